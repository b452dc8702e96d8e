"""`emoji`: the number of emoji in the message.

What it matches:
    Messages with at least N emoji, counted on the original text: a pictographic character or
    sequence (with skin tones and joiners) counts once, and so does a Discord custom emoji
    ``<:name:id>``.

Parameters:
    ``{at_least: N}``.

Example:
    match: {emoji: {at_least: 10}}
"""

from __future__ import annotations

import re

from bot.rules.conditions.base import Subject
from bot.rules.conditions.counts import count_condition

_PICTO = (
    "\U0001f000-\U0001faff"  # mahjong .. symbols and pictographs extended-A
    "\u2600-\u27bf"  # misc symbols, dingbats
    "\u2300-\u23ff"  # misc technical (watch, hourglass)
    "\u2b00-\u2bff"  # arrows, stars
    "\u3030\u303d\u3297\u3299"
)
_EMOJI = re.compile(
    rf"<a?:\w{{1,32}}:\d{{5,25}}>"  # Discord custom emoji
    rf"|[\U0001f1e6-\U0001f1ff]{{2}}"  # flags: a pair of regional indicators
    rf"|[{_PICTO}][\ufe0f\U0001f3fb-\U0001f3ff]*(?:\u200d[{_PICTO}][\ufe0f\U0001f3fb-\U0001f3ff]*)*"
)


_ANY = re.compile(rf"[{_PICTO}\U0001f1e6-\U0001f1ff]|<a?:\w")


def count_emoji(text: str) -> int:
    """Emoji in ``text`` (sequences count once)."""
    # Every emoji is at or above U+2300 (or a "<" of a custom one): most messages are ruled out
    # by C-level string tests, the rest by one search before the slower counting scan.
    if "<" not in text and (text.isascii() or max(text) < "\u2300"):
        return 0
    first = _ANY.search(text)
    if first is None:
        return 0
    return len(_EMOJI.findall(text, first.start()))


def _count(subject: Subject) -> int:
    nt = subject.nt
    if nt.plain and "<" not in nt.source:
        return 0  # ASCII and Vietnamese letters only: no emoji
    return count_emoji(nt.source)


# Plain text (ASCII and Vietnamese letters) without a "<" has none; else at most one a character.
CONDITION = count_condition("emoji", _count, "number of emoji", "emoji", "symbols")
