"""Template for a new condition: copy to ``<yaml_key>.py``, add one line to CONDITIONS, add a test.

What it matches:
    One sentence an owner understands.

Parameters:
    The YAML value and its bounds.

Example:
    match: {example: {at_least: 3}}
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bot.rules.conditions.base import CompileContext, Compiled, Condition, Match, Subject
from bot.rules.conditions.params import AtLeast


def _compile(params: AtLeast, modifiers: Mapping[str, Any], cc: CompileContext) -> Compiled:
    threshold = params.at_least

    def matcher(subject: Subject) -> Match | None:
        value = len(subject.message.text)
        return Match("example", None, str(value)) if value >= threshold else None

    return Compiled(matcher)


CONDITION = Condition(key="example", params=AtLeast, compile=_compile, summary="what it matches")
