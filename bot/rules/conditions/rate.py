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

from bot.rules.conditions.base import (
    CompileContext,
    Compiled,
    Condition,
    Match,
    Subject,
    member_messages_within,
)
from bot.rules.conditions.params import Window


def _compile(params: Window, modifiers: Mapping[str, Any], cc: CompileContext) -> Compiled:
    within, messages = params.within, params.messages

    def matcher(subject: Subject) -> Match | None:
        history = subject.ctx.history
        if history is None:
            return None
        since = subject.message.timestamp - within
        key = subject.member_key
        if not history.reaches(key, messages, since):
            return None
        return Match("rate", None, f"{history.count_since(key, since)} messages")

    # The feature is the count this matcher checks: only a member at the rate gets here.
    return Compiled(matcher, needs=((member_messages_within(within), messages),))


CONDITION = Condition(
    key="rate", params=Window, compile=_compile, summary="messages per member within a window"
)
