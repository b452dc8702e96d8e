"""Quiet chunks: a message the shortcut calls hit-free has no word-index hit, whatever its shape."""

from __future__ import annotations

from itertools import pairwise

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.rules.normalize import normalize, search_text
from bot.rules.quietchunks import QuietChunks, entry_anchors
from bot.rules.textindex import WordEntry, WordIndex

ENTRIES = [
    WordEntry("w", "ngu", "word"),
    WordEntry("w", "địt", "word"),
    WordEntry("w", "ass", "word"),
    WordEntry("w", "scam*", "word"),
    WordEntry("w", "*coin", "word"),
    WordEntry("w", "d'", "word"),
    WordEntry("w", "s&m", "word"),
    WordEntry("w", "kill yourself", "word"),
    WordEntry("p", "free nitro", "phrase"),
    WordEntry("p", "việc nhẹ lương cao", "phrase"),
    WordEntry("p", "*ree gift", "phrase"),
    WordEntry("f", "discord", "word", fuzzy=1),
]

PIECES = [
    "ngu", "người", "nguyên", "ngủ", "địt", "dit", "ass", "assassin", "class", "scammer",
    "bitcoin", "coin", "d'", "d", "s", "m", "sss", "mmm", "s&m", "what's", "kill", "yourself",
    "free", "nitro", "gift", "free gift", "việc", "nhẹ", "lương", "cao", "discord", "dlscord",
    "hello", "a", "i", "2", "1", "9", "2g", "1c", "lol", "@user1", "@ass", "@dlscord", "@s", "ok", "f", "u", "c", "k", "ngon", "các", "bạn",
]  # fmt: skip
SEPARATORS = [" ", "  ", "   ", "    ", ", ", ". ", "\n", " - ", "!", "-", "&", "."]


def _index() -> tuple[WordIndex, QuietChunks]:
    index = WordIndex(ENTRIES)
    return index, QuietChunks(index, ENTRIES)


def test_anchors_are_the_longest_bounded_word_of_each_multi_word_entry() -> None:
    anchors = entry_anchors(ENTRIES)
    assert anchors is not None
    assert anchors.words == {"yourself", "nitro", "luong", "gift"}
    assert anchors.letters == {"s", "m"}


def test_an_entry_of_wildcard_words_only_turns_the_shortcut_off() -> None:
    entries = [WordEntry("p", "*ree gi*", "phrase")]
    assert entry_anchors(entries) is None
    quiet = QuietChunks(WordIndex(entries), entries)
    assert not quiet.no_hits(normalize("hello there"))


def test_common_chat_is_quiet_and_hits_are_not() -> None:
    _, quiet = _index()
    assert quiet.no_hits(normalize("hello there, how are you"))
    assert quiet.no_hits(normalize("người ta nói vậy"))
    loud = (
        "you ass",
        "free    nitro",
        "s    m",
        "sss mmm",
        "what's - mmm",
        "kill, yourself",
        "f u c k",
    )
    for text in loud:
        assert not quiet.no_hits(normalize(text)), text


@settings(max_examples=400, deadline=None)
@given(
    st.lists(
        st.tuples(st.sampled_from(PIECES), st.sampled_from(SEPARATORS)), min_size=1, max_size=8
    )
)
def test_quiet_means_no_hit(parts: list[tuple[str, str]]) -> None:
    index, quiet = _index()
    text = "".join(p + s for p, s in parts)
    nt = normalize(text)
    if quiet.no_hits(nt):
        assert index.search(normalize(text)) == {}, text


def test_one_digit_words_side_by_side_matter_only_for_entries_with_a_digit() -> None:
    _, quiet = _index()
    assert quiet.no_hits(normalize("won 2-1 yesterday"))
    assert not quiet.no_hits(normalize("won 2 a yesterday"))  # could join into a word
    # Inside one chunk: searched alone, with its split-letter run (``2a``, no entry).
    assert quiet.no_hits(normalize("won 2-a yesterday"))
    entries = [*ENTRIES, WordEntry("w", "1 2", "word")]
    index = WordIndex(entries)
    assert not QuietChunks(index, entries).no_hits(normalize("call 1 2 me"))
    assert index.search(normalize("call 1 2 me"))


def test_a_wildcard_entry_of_one_letter_words_needs_no_two_single_words() -> None:
    entries = [WordEntry("p", "s m*", "phrase"), WordEntry("p", "*x y", "phrase")]
    assert entry_anchors(entries) == (frozenset({"s", "y"}), frozenset())
    index = WordIndex(entries)
    quiet = QuietChunks(index, entries)
    for text in ("foo s mango", "ss mango", "box y there", "s", "what's up"):
        assert index.search(normalize(text)) or text in ("s", "what's up")
        assert not quiet.no_hits(normalize(text)), text


# Entries and pieces that reach every path to a quiet proof: plain text, text fixed chunk by chunk
# (leet, Vietnamese words folded), text that is not plain (emoji), split letters.
MIXED_ENTRIES = [
    *ENTRIES,
    WordEntry("w", "s m*", "phrase"),
    WordEntry("w", "*x y", "phrase"),
    WordEntry("w", "cồn", "word"),
    WordEntry("w", "shit", "word"),
    WordEntry("w", "slut", "word", fuzzy=1),
    WordEntry("w", "fuck", "word"),
    WordEntry("w", "truye", "word"),
    WordEntry("w", "con cá", "phrase"),
    WordEntry("w", "ab", "word"),
    WordEntry("w", "12", "word"),
]
MIXED_PIECES = [
    *PIECES, "truyệ", "nguyễ", "cuố", "đ", "đ.ị.t", "d.i.t", "sh1t", "5hit", "s1ut", "slu7",
    "h3ll0", "c0n-cá", "con-cá", "c0n", "con", "cồn", "cá", "😂", "😂😂", "x", "y", "xy", "a.b", "a b",
    "1.2", "1 2", "f.u", "c.k", "ss", "mango", "box", "ṡhit", "ꜱ", "ĐỊT", "Truyệ", "Ngu", "l", "1ol",
    "@cồn", "c'", "d'", "di~", "x\u0301", "e\u0301", "ｈｅｌｌｏ", "s😂m", "a\u0336ss", "co\u0300n",
    "😂a", "ｓ", "sh\u200bit", "①",
]  # fmt: skip


_MIXED = (WordIndex(MIXED_ENTRIES), QuietChunks(WordIndex(MIXED_ENTRIES), MIXED_ENTRIES))


@settings(max_examples=1500, deadline=None)
@given(
    st.lists(
        st.tuples(st.sampled_from(MIXED_PIECES), st.sampled_from(SEPARATORS)),
        min_size=1,
        max_size=10,
    )
)
def test_quiet_means_no_hit_on_mixed_text(parts: list[tuple[str, str]]) -> None:
    index, quiet = _MIXED  # shared: chunks already known take the set-operation path
    text = "".join(p + s for p, s in parts)
    if quiet.no_hits(normalize(text)):
        assert index.search(normalize(text)) == {}, text


def _cross_chunk_singles(text: str) -> bool:
    """Two one-character search words of different whitespace chunks next to each other."""
    words: list[tuple[int, str]] = []  # (chunk number, search word)
    for k, chunk in enumerate(text.lower().split()):
        words.extend((k, w) for w in search_text(chunk).split())
    return any(k1 != k2 and len(w1) == 1 and len(w2) == 1 for (k1, w1), (k2, w2) in pairwise(words))


@settings(max_examples=1000, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["a", "b", "1", "-", "...", "a.b", "2-1", "what's", "ok", "(a", "b)"]),
            st.sampled_from([" ", "  ", "\n", " - ", ".", ""]),
        ),
        min_size=1,
        max_size=8,
    )
)
def test_singles_meet_whenever_words_of_two_chunks_do(parts: list[tuple[str, str]]) -> None:
    text = "".join(p + s for p, s in parts)
    nt = normalize(text)
    if nt._chunks is not None:
        chunks, tables = nt._chunks
        # The edge codes' one search says what a walk over the neighbouring chunks says.
        walked = any(a in tables.trailing and b in tables.leading for a, b in pairwise(chunks))
        assert tables.singles_meet(chunks) == walked, text
        if _cross_chunk_singles(text):
            assert tables.singles_meet(chunks), text
