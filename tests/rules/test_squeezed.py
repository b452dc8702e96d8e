"""``Squeezed``: the squeezed text and its run map, against a plain reference implementation."""

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.rules.normalize import Squeezed, normalize, squeeze_words

# The run map as first written: every run of one letter, or of two or more spaces, in the source.
_REFERENCE_RUN = re.compile(r"([a-z])\1+| {2,}")


def reference_map(src: str) -> tuple[list[int], list[int], list[int]]:
    starts_s: list[int] = []
    starts_x: list[int] = []
    lens: list[int] = []
    removed = 0
    for m in _REFERENCE_RUN.finditer(src):
        a, b = m.span()
        starts_s.append(a - removed)
        starts_x.append(a)
        lens.append(b - a)
        removed += b - a - 1
    return starts_s, starts_x, lens


def reference_locate(src: str, i: int) -> tuple[int, int]:
    """Index ``i`` of the squeezed text -> (start in ``src``, run length), by walking ``src``."""
    k = 0  # index in the squeezed text
    x = 0
    while x < len(src):
        n = 1
        c = src[x]
        if c == " " or "a" <= c <= "z":
            while x + n < len(src) and src[x + n] == c:
                n += 1
        if k == i:
            return x, n
        k += 1
        x += n
    return x + i - k, 1  # past the end: as the map extends it


def check(sq: Squeezed, src: str) -> None:
    assert sq.src == src
    assert sq.s == Squeezed.squeeze(src)
    for i in range(len(sq.s)):
        assert sq.locate(i) == reference_locate(src, i), (src, i)
    sq.locate(0)  # builds the map (an empty text has no index to ask about)
    starts_s, starts_x, lens = reference_map(src)
    assert (sq._starts_s, sq._starts_x, sq._lens) == (starts_s, starts_x, lens)


_TEXTS = st.text(alphabet="aabbcoo  z.\x1f1đ", max_size=40)


@settings(max_examples=400, deadline=None)
@given(_TEXTS)
def test_run_map_equals_reference(src: str) -> None:
    check(Squeezed(src), src)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="aabbcoo  z1", max_size=40))  # what a search text holds
def test_run_map_with_pad_and_given_text(text: str) -> None:
    # As the word index builds it: the search text padded, its squeezed form from squeeze_words.
    s, _ = squeeze_words(text.split())
    sq = Squeezed(text, s, pad=" ")
    check(sq, " " + text + " ")


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet="ab địt  ,.!1@ooOOLL\u200b", max_size=40))
def test_search_forms_squeezed_texts_map_like_reference(message: str) -> None:
    forms = normalize(message).search_forms()
    for t, s in zip(forms.texts, forms.squeezed, strict=True):
        check(Squeezed(t, s, pad=" "), " " + t + " ")


def test_nothing_squeezed_is_the_identity() -> None:
    sq = Squeezed(" abc d e ", " abc d e ")
    assert [sq.locate(i) for i in range(9)] == [(i, 1) for i in range(9)]
    assert sq.src_span(1, 4) == (1, 4)
    sq = Squeezed("  fuuuck  yoou ")
    assert sq.s == " fuck you "
    assert sq.src_span(1, 5) == (2, 8)
    assert sq.locate(2) == (3, 3)
    assert sq.src_span(6, 9) == (10, 14)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(alphabet="aabbcoo1", min_size=1, max_size=6), max_size=8))
def test_squeeze_words_is_squeezing_each_word(words: list[str]) -> None:
    expected = [Squeezed.squeeze(w) for w in words]
    for _ in range(2):  # words first seen, then known
        s, out = squeeze_words(words)
        assert out == expected
        assert s == (" " + " ".join(expected) + " " if words else " ")
