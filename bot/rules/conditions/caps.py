"""`caps`: the share of capital letters among the cased letters of the message.

What it matches:
    Shouting: at least ``at_least`` of the message's cased letters are capitals, counted on the
    original text after NFKC, once it has at least ``min_length`` letters.

Parameters:
    ``at_least`` share from 0 to 1 (default 0.7); ``min_length`` letters (default 12).

Example:
    match: {caps: {at_least: 0.8, min_length: 15}}
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from pydantic import Field

from bot.rules.conditions import casing
from bot.rules.conditions.base import CompileContext, Compiled, Condition, Match, Subject
from bot.rules.conditions.casing import caps_share, count_capitals
from bot.rules.conditions.params import Share, Strict


class CapsParams(Strict):
    """``{at_least: 0.7, min_length: 12}``."""

    at_least: Share = 0.7
    min_length: int = Field(default=12, ge=1, strict=True)


def _compile(params: CapsParams, modifiers: Mapping[str, Any], cc: CompileContext) -> Compiled:
    # A match needs at least at_least * min_length capitals; counts are whole, so the ceiling.
    fewest_capitals = math.ceil(params.at_least * params.min_length)
    casing.prepare()

    def matcher(subject: Subject) -> Match | None:
        text = subject.nt.source  # the message, up to normalize.MAX_CHARS characters
        # Cheap exits first: most messages are short or have few capitals. A lowercase text has
        # no capital, so with fewest_capitals >= 1 the count says what islower would.
        if len(text) < params.min_length:
            return None
        if fewest_capitals:
            if count_capitals(text) < fewest_capitals:
                return None
        elif text.islower():
            return None
        letters, share = caps_share(subject.nt.nfkc)
        if letters >= params.min_length and share >= params.at_least:
            return Match("caps", None, f"{share:.0%} capitals")
        return None

    if fewest_capitals > 0:
        # The ``capitals`` feature is the count of capitals the matcher starts with.
        return Compiled(matcher, needs=(("capitals", fewest_capitals),))
    return Compiled(matcher, needs=(("chars", params.min_length),))


CONDITION = Condition(
    key="caps", params=CapsParams, compile=_compile, summary="share of capital letters"
)

__all__ = ["CONDITION", "caps_share", "count_capitals"]
