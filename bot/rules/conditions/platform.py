"""`platform`: the message comes from Discord or from Telegram.

What it matches:
    Messages from the named platform.

Parameters:
    ``discord`` or ``telegram``.

Example:
    match: {all: [{platform: telegram}, {links: true}]}
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from bot.rules.conditions.base import CompileContext, Compiled, Condition, Match, Subject


def _compile(params: str, modifiers: Mapping[str, Any], cc: CompileContext) -> Compiled:
    def matcher(subject: Subject) -> Match | None:
        return Match("platform", None, params) if subject.message.platform == params else None

    return Compiled(matcher)


CONDITION = Condition(
    key="platform",
    params=Literal["discord", "telegram"],
    compile=_compile,
    summary="the message's platform",
)
