"""`repeated`: the same character N times in a row.

What it matches:
    A run of one character (``!!!!!!!!``, ``aaaaaaaaaa``, ``😂😂😂😂😂``) at least N long, in the
    original text.

Parameters:
    ``{at_least: N}`` with N of at least 2.

Example:
    match: {repeated: {at_least: 10}}
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from bot.rules.conditions.base import CompileContext, Compiled, Condition, Match, Subject
from bot.rules.conditions.params import AtLeast

# A character equal to the next; searched again from the next one for overlapping pairs (a
# lookahead instead costs a third more a character).
_PAIR = re.compile(r"(.)\1", re.DOTALL)


def _compile(params: AtLeast, modifiers: Mapping[str, Any], cc: CompileContext) -> Compiled:
    n = max(params.at_least, 2)
    # One backreference, no nesting: this scans in linear time in Python's re.
    run = re.compile(r"(.)\1{" + str(n - 1) + ",}", re.DOTALL)

    step = max(1, n // 2)

    def matcher(subject: Subject) -> Match | None:
        text = subject.message.text
        if len(text) < n:
            return None
        # A run of n >= 2*step characters covers two neighbouring positions that are multiples of
        # step and everything between them: text[::step] has two equal neighbours, and the
        # stretch of text between them is one character. Chat has equal neighbours often (two
        # spaces), a one-character stretch almost never, so the full scan below is rare.
        if step > 1:
            sample = text[::step]
            pair = _PAIR.search(sample)  # not finditer: most samples have no pair at all
            while pair is not None:
                at = pair.start()
                start = at * step
                # The stretch from this sample to the next is one character (counted in place).
                if text.count(text[start], start, start + step + 1) > step:
                    break
                pair = _PAIR.search(sample, at + 1)
            else:
                return None
        found = run.search(text)
        if found is None:
            return None
        span = subject.nt.normalized_span(found.start(), found.end())
        return Match("repeated", span, found.group(0)[:40])

    return Compiled(matcher, needs=(("chars", n),))


CONDITION = Condition(
    key="repeated",
    params=AtLeast,
    compile=_compile,
    summary="a character repeated N times in a row",
)
