"""`account_age`: the account is younger than a duration.

What it matches:
    Accounts created less than ``under`` ago (Discord: from the id; Telegram: since the bot first
    saw the member). An unknown age never matches.

Parameters:
    ``{under: DURATION}``.

Example:
    match: {account_age: {under: 1d}}
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from bot.rules.conditions.base import CompileContext, Compiled, Condition, Match, Subject
from bot.rules.conditions.params import Under
from bot.rules.durations import format_duration


def age_condition(key: str, attribute: str, summary: str) -> Condition:
    """A condition on how long ago one of the author's datetimes was."""

    def _compile(params: Under, modifiers: Mapping[str, Any], cc: CompileContext) -> Compiled:
        def matcher(subject: Subject) -> Match | None:
            since: datetime | None = getattr(subject.message.author, attribute)
            if since is None:
                return None
            age = subject.ctx.now - since
            if age < params.under:
                return Match(key, None, format_duration(max(age, timedelta(0))))
            return None

        return Compiled(matcher)

    return Condition(key=key, params=Under, compile=_compile, summary=summary)


CONDITION = age_condition("account_age", "created_at", "the account is younger than")
