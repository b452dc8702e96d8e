"""`length`: the number of characters in the message.

What it matches:
    Messages of at least N characters, counted on the original text.

Parameters:
    ``{at_least: N}``.

Example:
    match: {length: {at_least: 2000}}
"""

from __future__ import annotations

from bot.rules.conditions.counts import count_condition

CONDITION = count_condition(
    "length", lambda s: len(s.message.text), "number of characters", "characters", "chars"
)
