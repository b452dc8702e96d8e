"""`rate`: this member sent N messages within a window, this one included.

What it matches:
    Flooding: the member's messages in this community within ``within`` before this one (by the
    messages' own timestamps, so replays keep time) number at least ``messages``. Edits do not
    count again.

Parameters:
    ``{messages: N, within: DURATION}``.

Example:
    match: {rate: {messages: 6, within: 10s}}
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bot.rules.conditions.base import CompileContext, Compiled, Condition, Match, Subject
from bot.rules.conditions.params import Window


def member_key(subject: Subject) -> tuple[str, str, str]:
    """The history key of the message's author."""
    return subject.member_key


def _compile(params: Window, modifiers: Mapping[str, Any], cc: CompileContext) -> Compiled:
    def matcher(subject: Subject) -> Match | None:
        history = subject.ctx.history
        if history is None:
            return None
        since = subject.message.timestamp - params.within
        key = member_key(subject)
        if not history.reaches(key, params.messages, since):
            return None
        return Match("rate", None, f"{history.count_since(key, since)} messages")

    return Compiled(matcher, needs=(("member_messages", params.messages),))


CONDITION = Condition(
    key="rate", params=Window, compile=_compile, summary="messages per member within a window"
)
