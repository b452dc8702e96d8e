"""`duplicates`: this member sent the same text N times within a window, in any channel.

What it matches:
    Copy-paste spam: the member's messages with the same normalized text within ``within``
    (this one included) number at least ``messages``. Messages with no text never count.

Parameters:
    ``{messages: N, within: DURATION}``.

Example:
    match: {duplicates: {messages: 3, within: 1m}}
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bot.rules.conditions.base import CompileContext, Compiled, Condition, Match, Subject
from bot.rules.conditions.params import Window


def _compile(params: Window, modifiers: Mapping[str, Any], cc: CompileContext) -> Compiled:
    def matcher(subject: Subject) -> Match | None:
        history = subject.ctx.history
        key = subject.text_key
        if history is None or not key:
            return None
        since = subject.message.timestamp - params.within
        count = history.count_same_since(subject.member_key, key, since)
        if count >= params.messages:
            return Match("duplicates", (0, len(subject.nt.text)), f"{count} times")
        return None

    return Compiled(matcher, needs=(("same_text", params.messages),))


CONDITION = Condition(
    key="duplicates", params=Window, compile=_compile, summary="the same text repeated"
)
