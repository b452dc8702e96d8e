"""`lines`: the number of lines in the message.

What it matches:
    Messages of at least N lines (a wall of text), counted on the original text.

Parameters:
    ``{at_least: N}``.

Example:
    match: {lines: {at_least: 15}}
"""

from __future__ import annotations

from bot.rules.conditions.base import Subject
from bot.rules.conditions.counts import count_condition


def count_lines(subject: Subject) -> int:
    """Lines in the original text (an empty message has none)."""
    text = subject.message.text
    if "\n" not in text:  # a C-level search, ten times cheaper than counting on non-ASCII text
        return 1 if text else 0
    return text.count("\n") + 1


CONDITION = count_condition("lines", count_lines, "number of lines", "lines", "lines")
