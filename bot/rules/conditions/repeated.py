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

from bot.rules.conditions.base import (
    CompileContext,
    Compiled,
    Condition,
    Match,
    Subject,
    parameter_feature,
)
from bot.rules.conditions.params import AtLeast

# A character equal to the next; searched again from the next one for overlapping pairs (a
# lookahead instead costs a third more a character).
_PAIR = re.compile(r"(.)\1", re.DOTALL)


def _stretch_found(text: str, step: int) -> bool:
    """Whether two neighbouring characters of ``text[::step]`` are equal and the stretch of
    ``text`` between them is that one character: true of every text with a run of ``2 * step``.

    Such a run covers two neighbouring positions that are multiples of step and everything
    between them. Chat has equal neighbours in the sample often (two spaces), a one-character
    stretch almost never, so this rules out nearly every message with a slice and one search.
    """
    sample = text[::step]
    pair = _PAIR.search(sample)  # not finditer: most samples have no pair at all
    while pair is not None:
        at = pair.start()
        start = at * step
        char = text[start]
        # The middle first: it rules out most chance pairs without counting the stretch.
        if text[start + step // 2] == char and text.count(char, start, start + step + 1) > step:
            return True
        pair = _PAIR.search(sample, at + 1)
    return False


def _run_feature(step: int) -> str:
    """The name of the feature "at most this long a run" by the sample test every ``step``
    characters: below ``2 * step`` unless the test finds a stretch.

    A gate of its own, not the message's length: long messages are common, runs are not, and most
    messages then have no rule to evaluate at all."""

    def feature(subject: Subject) -> int:
        text = subject.message.text
        if len(text) < 2 * step or not _stretch_found(text, step):
            return min(len(text), 2 * step - 1)
        return len(text)

    return parameter_feature(f"run_sampled_every_{step}", feature)


def _compile(params: AtLeast, modifiers: Mapping[str, Any], cc: CompileContext) -> Compiled:
    n = max(params.at_least, 2)
    # One backreference, no nesting: this scans in linear time in Python's re.
    run = re.compile(r"(.)\1{" + str(n - 1) + ",}", re.DOTALL)

    step = max(1, n // 2)

    def matcher(subject: Subject) -> Match | None:
        text = subject.message.text
        if len(text) < n:
            return None
        # The sample test first (see _stretch_found): the full scan below is rare.
        if step > 1 and not _stretch_found(text, step):
            return None
        found = run.search(text)
        if found is None:
            return None
        span = subject.nt.normalized_span(found.start(), found.end())
        return Match("repeated", span, found.group(0)[:40])

    if step > 1:
        # n >= 2 * step: the feature is below n whenever the sample test rules the text out.
        return Compiled(matcher, needs=((_run_feature(step), n),))
    return Compiled(matcher, needs=(("chars", n),))


CONDITION = Condition(
    key="repeated",
    params=AtLeast,
    compile=_compile,
    summary="a character repeated N times in a row",
)
