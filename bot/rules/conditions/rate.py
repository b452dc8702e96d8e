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


def member_reaches(within: timedelta, messages: int) -> str:
    """The name of the feature "``messages`` if the member sent that many in the last ``within``
    (by the messages' own timestamps, this one included), else 0".

    A gate of the rule's own window and count, not the history's size: most members in a busy
    channel have several messages in the history, few have ``rate``'s count in its window, and
    the history answers that in one step (``History.reaches``), without counting."""

    def feature(subject: Subject) -> int:
        history = subject.ctx.history
        if history is None:
            return 0
        since = subject.message.timestamp - within
        return messages if history.reaches(subject.member_key, messages, since) else 0

    return parameter_feature(
        f"member_reaches_{messages}_within_{within // timedelta(microseconds=1)}us", feature
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

    # The feature is the test this matcher starts with: only a member at the rate gets here.
    return Compiled(matcher, needs=((member_reaches(within, messages), messages),))


CONDITION = Condition(
    key="rate", params=Window, compile=_compile, summary="messages per member within a window"
)
