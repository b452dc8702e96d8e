"""Counting capital and lowercase letters exactly as ``str.isupper``/``str.islower`` do, character by
character, without a Python call per character (``caps`` and the ``capitals`` feature count them).

ASCII text: one C-level ``bytes.translate`` that deletes the letters. Other text: one ``re.sub``
deleting the runs of BMP characters that fail the test, with a character class of every BMP
character that passes (compiled to a bitmap: one lookup a character); astral characters are kept
and tested one by one, and a message rarely has any. A class with astral ranges would test every
character against each of its hundreds of ranges, slower than calling the method.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

ASCII_UPPER = bytes(range(ord("A"), ord("Z") + 1))
_ASCII_LOWER = bytes(range(ord("a"), ord("z") + 1))
_ASTRAL = "\U00010000"

CharTest = Callable[[str], bool]


def _ranges(chars: Iterable[str]) -> str:
    """A character class body matching exactly ``chars``, as ranges of consecutive code points."""
    points = sorted(map(ord, chars))
    out: list[str] = []
    i = 0
    while i < len(points):
        j = i
        while j + 1 < len(points) and points[j + 1] == points[j] + 1:
            j += 1
        out.append(f"\\U{points[i]:08x}" if i == j else f"\\U{points[i]:08x}-\\U{points[j]:08x}")
        i = j + 1
    return "".join(out)


# Per test: the runs of BMP characters for which it is false (built once, ~10 ms, see prepare).
_FAILING_RUNS: dict[CharTest, re.Pattern[str]] = {}


def _failing_runs(test: CharTest) -> re.Pattern[str]:
    """Runs of BMP characters for which ``test`` is false."""
    pattern = _FAILING_RUNS.get(test)
    if pattern is None:
        passing = filter(test, map(chr, range(0x10000)))
        pattern = re.compile("[^" + _ranges(passing) + _ASTRAL + "-\U0010ffff]+")
        _FAILING_RUNS[test] = pattern
    return pattern


def prepare() -> None:
    """Build the patterns now (at rule load) rather than on the first non-ASCII message."""
    _failing_runs(str.isupper)
    _failing_runs(str.islower)


def count_ascii(text: bytes, letters: bytes) -> int:
    """How many bytes of ``text`` are in ``letters``: one C-level pass that deletes them."""
    return len(text) - len(text.translate(None, letters))


def _count(text: str, ascii_letters: bytes, test: CharTest) -> int:
    if text.isascii():
        return count_ascii(text.encode("ascii"), ascii_letters)
    kept = _failing_runs(test).sub("", text)  # the BMP characters that pass, and astral ones
    if not kept or max(kept) < _ASTRAL:
        return len(kept)
    return sum(map(test, kept))


def count_capitals(text: str) -> int:
    """Characters of ``text`` that are capitals (``str.isupper``)."""
    return _count(text, ASCII_UPPER, str.isupper)


def count_lowercase(text: str) -> int:
    """Characters of ``text`` that are lowercase letters (``str.islower``)."""
    return _count(text, _ASCII_LOWER, str.islower)


def caps_share(text: str) -> tuple[int, float]:
    """Number of cased letters and the share of them that are capitals."""
    upper = count_capitals(text)
    letters = upper + count_lowercase(text)
    return letters, (upper / letters if letters else 0.0)
