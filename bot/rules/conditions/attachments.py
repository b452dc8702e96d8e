"""`attachments`: files on the message, by count or by type.

What it matches:
    Messages with at least N files, or with a file of one of the listed types (the file name's
    extension or the platform's media kind, such as ``sticker`` or ``photo``), or both when both
    are given.

Parameters:
    ``{at_least: N}`` and/or ``{types: [exe, apk]}``.

Example:
    match: {attachments: {types: [exe, apk, scr]}}
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import Field, model_validator

from bot.events import Attachment
from bot.rules.conditions.base import CompileContext, Compiled, Condition, Match, Subject
from bot.rules.conditions.params import Strict


class AttachmentsParams(Strict):
    """``{at_least: N}`` and/or ``{types: [...]}``."""

    at_least: int | None = Field(default=None, ge=1, strict=True)
    types: list[str] | None = None

    @model_validator(mode="after")
    def _one_of(self) -> AttachmentsParams:
        if self.at_least is None and not self.types:
            raise ValueError("expected at_least or types")
        return self


def attachment_kinds(attachment: Attachment) -> set[str]:
    """The names a file answers to: its media kind and its extension, lower case, no dot."""
    kinds = {attachment.kind.lower().lstrip(".")} if attachment.kind else set()
    name = attachment.filename.lower()
    if "." in name:
        kinds.add(name.rsplit(".", 1)[1])
    return kinds


def _compile(
    params: AttachmentsParams, modifiers: Mapping[str, Any], cc: CompileContext
) -> Compiled:
    wanted = frozenset(t.lower().lstrip(".") for t in params.types or ())

    def matcher(subject: Subject) -> Match | None:
        files = subject.message.attachments
        if not files:
            return None
        if params.at_least is not None and len(files) < params.at_least:
            return None
        if wanted:
            for f in files:
                hit = attachment_kinds(f) & wanted
                if hit:
                    return Match("attachments", None, f.filename or sorted(hit)[0])
            return None
        return Match("attachments", None, f"{len(files)} files")

    return Compiled(matcher, needs=(("attachments", params.at_least or 1),))


CONDITION = Condition(
    key="attachments", params=AttachmentsParams, compile=_compile, summary="files on the message"
)
