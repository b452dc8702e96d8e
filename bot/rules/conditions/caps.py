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

from collections.abc import Callable, Mapping
from typing import Any

from pydantic import Field

from bot.rules.conditions.base import CompileContext, Compiled, Condition, Match, Subject
from bot.rules.conditions.params import Share, Strict


class CapsParams(Strict):
    """``{at_least: 0.7, min_length: 12}``."""

    at_least: Share = 0.7
    min_length: int = Field(default=12, ge=1, strict=True)


_ASCII_UPPER = bytes(range(ord("A"), ord("Z") + 1))
_ASCII_LOWER = bytes(range(ord("a"), ord("z") + 1))


def _count(text: str, ascii_letters: bytes, test: Callable[[str], bool]) -> int:
    # ASCII text (most chat): one C-level pass that deletes the letters, not a call per character.
    if text.isascii():
        b = text.encode("ascii")
        return len(b) - len(b.translate(None, ascii_letters))
    return sum(map(test, text))


def count_capitals(text: str) -> int:
    """Characters of ``text`` that are capitals (``str.isupper``)."""
    return _count(text, _ASCII_UPPER, str.isupper)


def caps_share(text: str) -> tuple[int, float]:
    """Number of cased letters and the share of them that are capitals."""
    upper = count_capitals(text)
    letters = upper + _count(text, _ASCII_LOWER, str.islower)
    return letters, (upper / letters if letters else 0.0)


def _compile(params: CapsParams, modifiers: Mapping[str, Any], cc: CompileContext) -> Compiled:
    fewest_capitals = params.at_least * params.min_length

    def matcher(subject: Subject) -> Match | None:
        text = subject.nt.source  # the message, up to normalize.MAX_CHARS characters
        # Cheap exits first: most messages are short or have few capitals, and a match needs at
        # least at_least * min_length of them.
        if len(text) < params.min_length or text.islower():
            return None
        if count_capitals(text) < fewest_capitals:
            return None
        letters, share = caps_share(subject.nt.nfkc)
        if letters >= params.min_length and share >= params.at_least:
            return Match("caps", None, f"{share:.0%} capitals")
        return None

    if fewest_capitals > 0:
        return Compiled(matcher, needs=(("capitals", params.min_length),))
    return Compiled(matcher, needs=(("chars", params.min_length),))


CONDITION = Condition(
    key="caps", params=CapsParams, compile=_compile, summary="share of capital letters"
)
