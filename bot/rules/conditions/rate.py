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
from datetime import timedelta
from typing import Any

from bot.rules.conditions.base import (
    CompileContext,
    Compiled,
    Condition,
    Match,
    Subject,
    parameter_feature,
)
from bot.rules.conditions.params import Window


def member_messages_within(within: timedelta) -> str:
    """The name of the feature "the member's messages in the last ``within`` (by the messages' own
    timestamps), this one included".

    A gate of the rule's own window, not the history's size: most members in a busy channel have
    several messages in the history, few have ``rate``'s count in its window."""

    def feature(subject: Subject) -> int:
        history = subject.ctx.history
        if history is None:
            return 0
        return history.count_since(subject.member_key, subject.message.timestamp - within)

    return parameter_feature(
        f"member_messages_within_{within // timedelta(microseconds=1)}us", feature
    )


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
