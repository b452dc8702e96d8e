"""Shared factory for the ``{at_least: N}`` conditions that count something in the message."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from bot.rules.conditions.base import CompileContext, Compiled, Condition, Match, Subject
from bot.rules.conditions.params import AtLeast


def count_condition(
    key: str, count: Callable[[Subject], int], summary: str, unit: str, bound: str
) -> Condition:
    """A condition that holds when ``count(subject) >= at_least``; the feature ``bound`` (see
    ``base.FEATURES``) is never below the count, so messages under the threshold skip counting."""

    def _compile(params: AtLeast, modifiers: Mapping[str, Any], cc: CompileContext) -> Compiled:
        threshold = params.at_least

        def matcher(subject: Subject) -> Match | None:
            value = count(subject)
            return Match(key, None, f"{value} {unit}") if value >= threshold else None

        return Compiled(matcher, needs=((bound, threshold),))

    return Condition(key=key, params=AtLeast, compile=_compile, summary=summary)
