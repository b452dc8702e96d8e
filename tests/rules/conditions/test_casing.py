"""Counting capitals and lowercase letters: the C-level counts agree with ``str`` methods."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.rules.conditions.casing import (
    _failing_runs,
    caps_share,
    count_capitals,
    count_lowercase,
)

ALL = "".join(map(chr, range(0x110000)))


@pytest.mark.parametrize("test", [str.isupper, str.islower])
def test_the_pattern_keeps_exactly_the_bmp_characters_that_pass(test) -> None:  # type: ignore[no-untyped-def]
    bmp = ALL[:0x10000]
    assert _failing_runs(test).sub("", bmp) == "".join(filter(test, bmp))
    assert _failing_runs(test).sub("", ALL[0x10000:]) == ALL[0x10000:]  # astral: kept, tested


def test_every_code_point_counts_as_str_methods_say() -> None:
    assert count_capitals(ALL) == sum(map(str.isupper, ALL))
    assert count_lowercase(ALL) == sum(map(str.islower, ALL))


ADVERSARIAL = [
    *"aZ z A1 !\n",
    *"ĐđạẠ",  # Vietnamese
    *"ǅǈß",  # titlecase, a lowercase letter with no capital
    *"ΣσςİıＡａⒶⓐⅠⅰ",  # Greek, Turkish, fullwidth, circled, Roman numerals
    "𝐀",
    "𝐚",
    "🄰",
    "😂",
    "\U000e0041",  # astral capitals and lowercase, a squared letter, an emoji, a tag
    "\ud800",  # a lone surrogate
]


@settings(max_examples=500, deadline=None)
@given(st.text(alphabet=st.sampled_from(ADVERSARIAL), max_size=60))
def test_counts_agree_with_str_methods(text: str) -> None:
    upper = sum(map(str.isupper, text))
    lower = sum(map(str.islower, text))
    assert count_capitals(text) == upper
    assert count_lowercase(text) == lower
    letters = upper + lower
    assert caps_share(text) == (letters, upper / letters if letters else 0.0)
