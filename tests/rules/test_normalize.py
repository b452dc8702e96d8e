"""Normalization: the views, their span maps, and the evasions they see through."""

import re
import time
import unicodedata
from collections.abc import Sequence
from typing import Any

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from bot.rules.normalize import NormalizedText, normalize, normalize_entry, search_text

# (message, expected NormalizedText.text)
TEXT_CASES = [
    ("Hello World", "hello world"),
    ("h3ll0 w0rld", "hello world"),
    ("a$$hole", "asshole"),
    ("sh!t happens!", "shit happens!"),
    ("2024 10:30 5$ 3rd 5pm covid19", "2024 10:30 5$ 3rd 5pm covid19"),
    ("@ss", "@ss"),
    ("ѕһіt", "shit"),  # Cyrillic
    ("ΑΒΟΥΤ", "about"),  # Greek capitals
    ("ｆｕｃｋ", "fuck"),  # fullwidth
    ("𝐟𝐮𝐜𝐤 𝕗𝕦𝕔𝕜", "fuck fuck"),  # mathematical
    ("ⓕⓤⓒⓚ", "fuck"),  # enclosed
    ("ꜰᴜᴄᴋ", "fuck"),  # small capitals
    ("f\u200bu\u200dc\u2060k\ufeff", "fuck"),  # zero-width
    ("f\u00adu\u200ec\u202ek\u2066\u2069", "fuck"),  # soft hyphen, bidi
    ("f\u180eu\u2062ck", "fuck"),  # Mongolian vowel separator, invisible operator
    ("f\u0336u\u0336c\u0336k\u0336", "fuck"),  # strike-through
    ("z̷̢a̸l̵g̶o̴", "zalgo"),
    ("FuCk", "fuck"),
    ("các bạn ơi", "các bạn ơi"),
    (unicodedata.normalize("NFD", "các bạn ơi"), "các bạn ơi"),  # decomposed
    ("ô\u0300 ơ\u0301", "ồ ớ"),  # precomposed vowel + combining tone
    ("ĐỊT MẸ", "địt mẹ"),
    ("đm fúck", "dm fuck"),  # not syllables: folded
    ("d1t", "dit"),
    ("đ1t", "dit"),  # leet: the word is folded
    ("lồồồn", "looon"),  # repeated letters: not a syllable, folded
    ("сác", "cac"),  # a look-alike inside a Vietnamese word: folded
    ("discord.gg/abc", "discord.gg/abc"),
]


@pytest.mark.parametrize(("message", "expected"), TEXT_CASES)
def test_text(message: str, expected: str) -> None:
    assert normalize(message).text == expected


def test_numbers_stay_numbers() -> None:
    nt = normalize("call 0123 456 789 at 10:30, pay 5$ or 100$")
    assert nt.text == "call 0123 456 789 at 10:30, pay 5$ or 100$"


def test_leet_one_is_tried_as_i_and_l() -> None:
    forms = normalize("he11o").search_forms()
    assert forms.texts == ("heiio", "hello")


def test_mention_is_also_tried_as_a() -> None:
    assert "ass" in normalize("@ss").search_forms().texts


def test_split_letters_are_joined() -> None:
    assert [w for w, _ in normalize("f.u.c.k").search_forms().joined] == ["fuck"]
    assert [w for w, _ in normalize("f u c k you").search_forms().joined] == ["fuck"]
    assert [w for w, _ in normalize("đ ị t").search_forms().joined] == ["dit"]
    assert [w for w, _ in normalize("s.l.u.r.1 lol").search_forms().joined] == ["sluri", "slurl"]


@pytest.mark.parametrize("message", ["a b testing", "plan b is ok", "ừ à", "x. y"])
def test_ordinary_single_letters_are_not_joined(message: str) -> None:
    assert normalize(message).search_forms().joined == ()


def test_typed_with_diacritics() -> None:
    assert normalize("đi ngủ").typed_with_diacritics
    assert not normalize("di ngu").typed_with_diacritics
    assert not normalize("fúck").typed_with_diacritics
    nt = normalize("mày ngu ma")
    assert nt.is_strict(4, 7) and nt.is_strict(8, 10)
    assert not normalize("ma ngu").is_strict(0, 2)


def test_regex_view_keeps_digits_and_vietnamese() -> None:
    nt = normalize("Gọi 0912\u200b345 NGAY h3ll0")
    assert nt.regex.text == "gọi 0912345 ngay h3ll0"
    assert nt.nfkc == "Gọi 0912\u200b345 NGAY h3ll0"


def test_links_view_undoes_defanging() -> None:
    assert normalize("hxxps://evil[.]com").links.text == "https://evil.com"
    assert normalize("evil(.)com and evil dot com and evil . com").links.text == (
        "evil.com and evil.com and evil.com"
    )
    assert normalize("discord。gg/abc").links.text == "discord.gg/abc"
    assert normalize("see discord.gg/abc").links.text == "see discord.gg/abc"
    assert normalize("ok. so then").links.text == "ok. so then"


def test_links_view_never_folds_look_alikes() -> None:
    assert normalize("ехаmple.com").links.text == "ехаmple.com"


def test_spans_map_back() -> None:
    msg = "Hey ｆ\u200bｕｃｋ you"
    nt = normalize(msg)
    start = nt.text.index("fuck")
    assert nt.original_span(start, start + 4) == (4, 9)
    assert nt.normalized_span(4, 9) == (start, start + 4)
    r = nt.regex
    assert r.original_span(0, len(r.text)) == (0, len(msg))


def test_nfkc_expansion_span_covers_the_character() -> None:
    nt = normalize("ﬁne")
    assert nt.text == "fine"
    assert nt.original_span(1, 2) == (0, 1)


def test_normalize_entry() -> None:
    e = normalize_entry("*Địt*")
    assert (e.written, e.folded, e.prefix_wild, e.suffix_wild) == ("địt", "dit", True, True)
    assert normalize_entry("@ss").written == "ass"
    assert normalize_entry("d'").literal == "d'"
    assert normalize_entry("d'").folded == "d"
    assert search_text("con.cặc!") == "con cac "


@pytest.mark.parametrize(
    "message",
    ["a" * 100_000, "a." * 50_000, "\u0301" * 100_000, "ệ\u0336" * 30_000, "f u " * 25_000],
    ids=["a", "a.", "marks", "strike", "split"],
)
def test_pathological_messages_are_fast(message: str) -> None:
    t = time.perf_counter()
    nt = normalize(message)
    nt.search_forms()
    _ = nt.regex, nt.links
    assert time.perf_counter() - t < 1.0  # generous for CI; the bench measures the real figure


# ------------------------------------------------------------------------------------ properties

TEXT = st.text(
    alphabet=st.one_of(
        st.characters(codec="utf-8", exclude_categories=("Cs",)),
        st.sampled_from(list("aáạăâđêôơư@$!1 .\u0301\u0323\u200b\u0336оаі")),
    ),
    max_size=40,
)


def _check_map(view_text: str, to_original: Sequence[int], original: str) -> None:
    assert len(to_original) == len(view_text) + 1
    assert to_original[len(view_text)] == len(original)
    prev = 0
    for v in to_original:
        assert 0 <= v <= len(original)
        assert v >= prev
        prev = v


@settings(max_examples=300, deadline=None)
@given(TEXT)
def test_span_maps_in_range_and_monotonic(message: str) -> None:
    nt = normalize(message)
    for view in (nt.words, nt.regex, nt.links):
        _check_map(view.text, view.to_original, message)
        n = len(view.text)
        for a, b in ((0, n), (0, n // 2), (n // 2, n)):
            s, e = view.original_span(a, b)
            assert 0 <= s <= e <= len(message)
    s, e = nt.normalized_span(0, len(message))
    assert 0 <= s <= e <= len(nt.text)


@settings(max_examples=300, deadline=None)
@given(TEXT)
def test_idempotent(message: str) -> None:
    once = normalize(message).text
    assert normalize(once).text == once


def test_simple_characters_are_what_the_cluster_functions_make_of_them() -> None:
    # The bulk path for long messages (_prefill) must agree with the per-cluster one.
    from bot.rules import normalize as n

    look, attached = n._lookalikes(), n._attached_set()
    for cp in [*range(0x20, 0x20000, 7), *range(0xAC00, 0xAD00), *range(0xE0000, 0xE0200, 3)]:
        if 0xD800 <= cp < 0xE000:
            continue
        c = chr(cp)
        out = n._simple(c, look, attached)
        if out is not None:
            assert n._words_cluster.__wrapped__(c) == (out, False), hex(cp)
            assert n._regex_cluster.__wrapped__(c) == (out, False), hex(cp)


def test_long_messages_are_normalized_up_to_the_bound() -> None:
    from bot.rules.normalize import MAX_CHARS

    text = "x " * MAX_CHARS + "fuck"
    nt = normalize(text)
    assert nt.original == text
    assert len(nt.text) == MAX_CHARS
    assert nt.original_span(0, len(nt.text)) == (0, MAX_CHARS)
    # Every real message (Discord 4,000, Telegram 4,096 characters) is normalized whole.
    assert MAX_CHARS >= 4096
    assert normalize("a " * ((MAX_CHARS - 4) // 2) + "ѕһіt").text.endswith("shit")


def test_caches_are_safe_across_threads(monkeypatch: pytest.MonkeyPatch) -> None:
    # The toxicity scorer normalizes in a worker thread while the engine does on the event loop;
    # tiny cache bounds make the caches roll over all the time.
    import threading

    from bot.rules import normalize as n

    for name in ("_MAX_CHUNKS", "_MAX_PIECES", "_MAX_SQUEEZED_WORDS"):
        monkeypatch.setattr(n, name, 8)
    monkeypatch.setattr(n, "_RECENT_SIZE", 4)
    errors: list[BaseException] = []

    def work(seed: int) -> None:
        try:
            for i in range(500):
                text = f"các bạn {seed} ơi w{i} ngủ {i % 7} đi shopee{i % 13} ok"
                nt = n.normalize(text)
                assert nt.search_forms().squeezed[0].startswith(" ")
                assert nt.typed_with_diacritics
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(k,)) for k in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []


def test_shipped_lookalike_table_equals_a_fresh_build() -> None:
    import json

    from bot.rules.normalize import LOOKALIKES_FILE, build_lookalikes

    shipped = json.loads(LOOKALIKES_FILE.read_text(encoding="utf-8"))
    assert shipped == build_lookalikes(), "run .venv/bin/python scripts/gen_lookalikes.py"


@settings(max_examples=500, deadline=None)
@given(st.text(alphabet=st.sampled_from([*"ab1_-+.:[](){}dot \t\n\r", "ả", "đ", "ơ"])))
def test_link_hint_in_re2_agrees_with_its_re_spelling(text: str) -> None:
    import re

    from bot.rules.normalize import _LINK_HINT

    re_spelling = re.compile(
        r"[\w-](?:\.|\[\.\]|\(\.\)|\{\.\}|\[dot\]|\(dot\))[\w-]"
        r"|[^\W_]\s+(?:dot|\.)\s+[^\W_]|[\w+-]:|\[[\da-f:.]{2}"
    )
    assert (_LINK_HINT.Match(text) is None) == (re_spelling.search(text) is None)


_PLAIN_WORDS = [
    "@user578", "@ass", "@Alice", "@b", "@", "sh1t", "h3llo", "covid19", "ass", "a", "i", "s",
    "người", "ngủ", "ngu", "đm", "Đi", "các", "bạn", "fúck", "hello", "what's", "d'", "f", "u",
    "2-1", "x", "!hey!", "@@x", "email@x.com", "a.b", "NITRO",
]  # fmt: skip


@settings(max_examples=400, deadline=None)
@given(
    st.lists(
        st.tuples(st.sampled_from(_PLAIN_WORDS), st.sampled_from([" ", "  ", ", ", ".", "\n"])),
        min_size=1,
        max_size=8,
    )
)
def test_plain_pipeline_equals_the_general_one(parts: list[tuple[str, str]]) -> None:
    """The chunk-table shortcut (mentions included) gives what the general pipeline gives."""
    from unittest import mock

    import bot.rules.normalize as n

    text = "".join(w + s for w, s in parts)
    fast = n._words_pipeline(text)
    with mock.patch.object(n, "_plain_pipeline", lambda _text: None):
        slow = n._words_pipeline(text)
    assert (fast.text, fast._variant, list(fast._signals), fast.typed_with_diacritics) == (
        slow.text,
        slow._variant,
        list(slow._signals),
        slow.typed_with_diacritics,
    )
    assert fast.search_forms() == slow.search_forms()
    assert fast.regex.text == slow.regex.text


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from([*"ab @1.\t\n\r", "ả", "Đ", "😂", "\u200b"])))
def test_words_joined_is_the_text_with_whitespace_collapsed(text: str) -> None:
    nt = normalize(text)
    assert nt.words_joined() == " ".join(nt.text.split())


_CLASS_BYTES = st.text(alphabet="a9 .", max_size=24).map(str.encode)


@settings(max_examples=1000, deadline=None)
@given(_CLASS_BYTES)
def test_class_searches_in_re2_agree_with_their_lookaround_spelling(cls: bytes) -> None:
    import re

    from bot.rules.normalize import _ADJACENT_SINGLES, _ADJACENT_SINGLES_LETTER, _SPLIT_PRE

    spellings = [
        (_ADJACENT_SINGLES, rb"(?<![a9])[a9][ .]+[a9](?![a9])", cls),
        (_ADJACENT_SINGLES_LETTER, rb"(?<![a9])(?:a[ .]+[a9]|9[ .]+a)(?![a9])", cls),
        (_SPLIT_PRE, rb"(?<!a)a[ .]{1,3}a(?!a)", cls.replace(b"9", b"a")),
    ]
    for in_re2, lookaround, text in spellings:
        assert (in_re2.Match(text) is not None) == (re.search(lookaround, text) is not None)


_PLAIN_CHARS = st.text(alphabet=st.sampled_from([*"ab19 .,-'\t\n_", "ả", "đ", "ờ"]), max_size=24)


@settings(max_examples=1500, deadline=None)
@given(_PLAIN_CHARS)
def test_adjacent_singles_agrees_with_its_lookaround_spelling(text: str) -> None:
    """``_adjacent_singles`` (class bytes from UTF-8) against the lookaround spelling on the class
    bytes of the one-byte encoding."""
    import re

    import bot.rules.normalize as n
    from bot.rules.normalize import _B_CLASS_SINGLES, _adjacent_singles, _to_bytes

    cls = _to_bytes(text).translate(_B_CLASS_SINGLES)
    assert text.encode().translate(n._U_CLASS_SINGLES, n._UTF8_CONTINUATION) == cls
    any_pair = re.search(rb"(?<![a9])[a9][ .]+[a9](?![a9])", cls) is not None
    with_letter = re.search(rb"(?<![a9])(?:a[ .]+[a9]|9[ .]+a)(?![a9])", cls) is not None
    assert _adjacent_singles(text, digit_pairs=True) == any_pair
    assert _adjacent_singles(text, digit_pairs=False) == with_letter


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.sampled_from(["a", "i", "2-1", "f.u", "hello", "x", "ok", "3pm", "b.c.d"]), max_size=12
    )
)
def test_two_single_words_counts_as_the_sum_does(words: list[str]) -> None:
    from bot.rules.normalize import _plain_pipeline

    nt = _plain_pipeline(" ".join(words) or "-")
    if nt is None or nt._chunks is None:
        return
    chunks, tables = nt._chunks
    assert tables.two_single_words(chunks) == (sum(tables.singles[c] for c in chunks) >= 2)


def _views(nt: NormalizedText) -> tuple[object, ...]:
    """Everything a ``NormalizedText`` tells the conditions, for comparing two of them."""
    return (
        nt.text,
        list(nt.words.to_original),
        nt._variant,
        list(nt._signals),
        nt.typed_with_diacritics,
        nt.plain,
        nt.regex.text,
        list(nt.regex.to_original),
        nt.search_forms(),
        nt.words_joined(),
        # Compared for plain text only: a text fixed chunk by chunk tells its chunks from the
        # chunk tables, others from their whole text (the quiet-chunk proofs of both are compared
        # with the search in ``test_quietchunks.py``).
        nt.word_chunks() if nt._chunks is not None else None,
        nt.word_chunks(digit_pairs=False) if nt._chunks is not None else None,
    )


def test_only_the_kelvin_sign_lowercases_from_unsafe_to_safe() -> None:
    """What the chunk tables' safety shortcut assumes of ``str.lower`` (see ``_KELVIN``)."""
    from bot.rules.normalize import _KELVIN, _SAFE_CHARS

    safe = set(_SAFE_CHARS)
    to_safe = []
    for cp in range(0x110000):
        c = chr(cp)
        low = c.lower()
        if c.isspace():
            assert low == c  # whitespace lowercases to itself
        else:
            assert not any(x.isspace() for x in low)  # and nothing else to whitespace
        if c not in safe and set(low) <= safe:
            to_safe.append(c)
    assert to_safe == [_KELVIN]


# Pieces of text, unsafe ones among them (the Kelvin and Angstrom signs, other whitespace...).
_PIECES = [
    *"aAkKiI1@!",
    *("ả", "Ả", "đ", "Đ", "ệ", "\u212a", "\u212b", "å", "İ", "ñ", "😂", "\u200b", "\x07", "\u0301"),
    *("ab", "cá", "kỳ", "a!!a", "1st", "l0l", "h3", "@"),
]
_SPACES = [" ", "  ", "\t", "\n", "\r", "\xa0", "\u2028", "\x0b", "\x1c", "\x85", "\u3000"]
# Text of words (plain, leet, Vietnamese...) and pieces (unsafe ones among them: the Kelvin and
# Angstrom signs, 'İ', emoji, marks...), separated by whitespace of any kind or not at all.
_MIXED = st.lists(
    st.tuples(
        st.sampled_from(_PIECES + _PLAIN_WORDS),
        st.sampled_from(["", " ", " ", " ", *_SPACES]),
    ),
    max_size=7,
).map(lambda parts: "".join(w + sep for w, sep in parts))


def _pipeline_before_chunk_fixes(text: str, tables: Any) -> NormalizedText:
    """``_words_pipeline`` as it was before the chunk tables fixed chunks and proved safety: the
    plain shortcut for a safe text whose chunks leet and folding leave alone (or change only in
    a mention's variant), the general pipeline for every other text."""
    from unittest import mock

    import bot.rules.normalize as n

    if n._is_safe(text):
        lower = text.lower()
        chunks = lower.split()
        for chunk in set(chunks).difference(tables.seen):
            b = n._to_bytes(chunk)
            special = variant_only = False
            if n._has_leet(b):
                primary, variant, changed = n._apply_leet(chunk, entry=False)
                special = primary != chunk or variant is not None or bool(changed)
                variant_only = primary == chunk and not changed and variant is not None
            bad, kept = n._piece_info(b)
            if special or bad:
                tables.special.add(chunk)
            if variant_only and not bad:
                tables.variant_only.add(chunk)
            if kept:
                tables.kept.add(chunk)
            words = b.translate(n._B_SEARCH).decode("latin-1").split()
            tables.squeezed[chunk] = " ".join(map(n.Squeezed.squeeze, words))
            tables.singles[chunk] = list(map(len, words)).count(1)
            if tables.singles[chunk]:
                tables.with_singles.add(chunk)
            tables.edges[chunk] = 0
            if words and len(words[-1]) == 1:
                tables.trailing.add(chunk)
                tables.edges[chunk] |= 1
            if not words or len(words[0]) == 1:
                tables.leading.add(chunk)
                tables.edges[chunk] |= 2
            tables.seen.add(chunk)
        variant = None
        plain = True
        if not tables.special.isdisjoint(chunks):
            plain = tables.variant_only.issuperset(tables.special.intersection(chunks))
            variant = n._apply_leet(lower, entry=False)[1]
        if plain:
            has_vi = not tables.kept.isdisjoint(chunks)
            return n._plain_text(text, lower, chunks, tables, has_vi, variant, None)
    with mock.patch.object(n, "_plain_pipeline", lambda _text: None):
        return n._words_pipeline(text)


def _tables_before_chunk_fixes() -> Any:
    import bot.rules.normalize as n

    class Tables(n._ChunkTables):
        __slots__ = ("special", "variant_only")

    tables = Tables()
    tables.special = set()
    tables.variant_only = set()
    return tables


@settings(max_examples=1500, deadline=None)
@given(st.lists(_MIXED, min_size=1, max_size=4))
# Leet runs on every chunk when one chunk passes ``_has_leet`` (an ordinary one: ``1st``), and
# ``a!!a`` is changed by it without passing it; ``đm`` is folded.
@example(["1st a!!a đm", "wow a!!a", "@bob a!!a", "sh1t a!!a", "@bob a!!a đm", "1st a!!a"])
@example(["ngủ sh1t", "ngủ @bob đi", "đ1t mẹ", "K ab", "ab\xa0cá", "cá\u2028", "cá\n\rab "])
def test_chunk_tables_give_what_the_pipeline_gave(texts: list[str]) -> None:
    """Chunks fixed one by one from the tables (``_fixed_text``), and a text proved safe by its
    known chunks, give what the pipeline gave before (``_is_safe`` first, then either the plain
    shortcut or the general pipeline): on first sight and once every chunk is known."""
    import bot.rules.normalize as n

    old_tables = _tables_before_chunk_fixes()
    for _ in range(2):
        for text in texts:
            new = n._words_pipeline(text)
            assert _views(new) == _views(_pipeline_before_chunk_fixes(text, old_tables))
            assert new.plain == n._is_safe(text)


def test_the_tables_make_a_safe_character_its_lowercase_form() -> None:
    """What ``_cluster_pass`` assumes of the stretches it does not translate."""
    import bot.rules.normalize as n

    for c in n._SAFE_CHARS:
        assert len(c.lower()) == 1
        assert ord(c) not in n._attached_set()
        words = ("'", True) if c == "`" else (c.lower(), False)
        assert n._words_cluster(c) == words
        assert n._regex_cluster(c) == (c.lower(), False)


_CLUSTER_PIECES = [
    *"aA`'. \n",
    *("ả", "Đ", "😂", "\u0301", "\u0336", "\u200b", "\u200d", "\ufe0f", "\U000e0041", "\U0001d167"),
    *(
        "ﬁ",
        "①",
        "ｆ",
        "İ",
        "ß",
        "\xa0",
        "К",
        "\u212a",
        "😂\u0301",
        "a\u0301\u0302\u0303",
        "`\u0301",
    ),
]


@settings(max_examples=1000, deadline=None)
@given(st.lists(st.sampled_from(_CLUSTER_PIECES), max_size=20).map("".join))
def test_cluster_pass_by_stretches_equals_the_whole_translation(text: str) -> None:
    import bot.rules.normalize as n

    for fn, tables in ((n._words_cluster, n._WORDS_TABLES), (n._regex_cluster, n._REGEX_TABLES)):
        assert n._cluster_pass(text, fn, tables) == n._cluster_pass_whole(text, fn, tables)
        long = text * 8  # prefilled
        assert n._cluster_pass(long, fn, tables) == n._cluster_pass_whole(long, fn, tables)


_SPLIT_RUN_LOOKBEHIND = re.compile(rb"(?<!a)a(?:[ .]{1,3}a(?!a))+")  # ``_SPLIT_RUN`` as it was


@settings(max_examples=2000, deadline=None)
@given(st.lists(st.sampled_from([b"a", b" ", b"."]), max_size=30).map(b"".join))
def test_split_runs_after_a_separator_are_the_lookbehind_runs(cls: bytes) -> None:
    from bot.rules.normalize import _SPLIT_RUN

    new = [(m.start(1) - 1, m.end(1) - 1) for m in _SPLIT_RUN.finditer(b" " + cls)]
    assert new == [m.span() for m in _SPLIT_RUN_LOOKBEHIND.finditer(cls)]


def _joined_runs_before(folded: str, cls: bytes) -> list[tuple[str, tuple[int, ...]]]:
    """``_joined_runs`` as it was before its runs were cached (``_run_words``)."""
    from bot.rules.normalize import _MAX_JOINED, _apply_leet

    out: list[tuple[str, tuple[int, ...]]] = []
    for m in _SPLIT_RUN_LOOKBEHIND.finditer(cls):
        a, b = m.span()
        if b - a > _MAX_JOINED * 4:
            continue
        seps = cls[a:b].split(b"a")[1:-1]
        pos = [i for i in range(a, b) if cls[i] == 0x61]
        groups: list[list[int]] = []
        if any(b" " in s for s in seps):
            if len(pos) >= 3:
                groups.append(pos)
            cur = [pos[0]]
            for sep, p in zip(seps, pos[1:], strict=True):
                if b" " in sep:
                    if len(cur) >= 2:
                        groups.append(cur)
                    cur = [p]
                else:
                    cur.append(p)
            if len(cur) >= 2 and len(cur) != len(pos):
                groups.append(cur)
        elif len(pos) >= 2:
            groups.append(pos)
        for g in groups:
            word = "".join(folded[p] for p in g)
            if not any(c.isalpha() for c in word):
                continue
            prim, var, _ = _apply_leet(word, entry=False)
            out.append((prim, tuple(g)))
            if var is not None:
                out.append((var, tuple(g)))
    return out


@settings(max_examples=1500, deadline=None)
@given(
    st.lists(
        st.sampled_from([*"abf1@ .,-\n", "đ", "ị", "  ", "hello", "x.y.z", "s h 1 t"]), max_size=30
    ).map("".join)
)
def test_joined_runs_from_cached_runs_equal_the_direct_ones(text: str) -> None:
    import bot.rules.normalize as n

    b = n._to_bytes(text)
    folded = b.translate(n._B_SEARCH).decode("latin-1")
    cls = b.translate(n._B_CLASS_SPLIT)
    assert n._joined_runs(folded, cls) == _joined_runs_before(folded, cls)


_STRICT_PIECES = [
    "con", "cá", "c0n", "cồn", "ngủ", "ngu", "truyệ", "bitcoin", "h3ll0", "đ.ị.t", "1ol",
    "việt", "vi3t", "😂", " ", "-", "a1b", "ĐỊT", "x\u0301", "người", "n9uoi", "²",
]  # fmt: skip


@settings(max_examples=500, deadline=None)
@given(st.lists(st.sampled_from(_STRICT_PIECES), min_size=1, max_size=8))
def test_run_is_strict_is_is_strict(pieces: list[str]) -> None:
    """The one-word strict check gives what ``is_strict`` gives, on whole letter runs and on
    parts of them (a wildcard hit)."""
    text = " ".join(pieces)
    for fresh in (normalize(text), n_pipeline(text)):
        for m in re.finditer(r"[^\W\d_]+", fresh.text):
            a, b = m.span()
            spans = [(a, b), (a + 1, b), (a, b - 1)] if b - a > 1 else [(a, b)]
            for s, e in spans:
                assert fresh.run_is_strict(s, e) == n_pipeline(text).is_strict(s, e), (text, s, e)


def n_pipeline(text: str) -> NormalizedText:
    """A fresh ``NormalizedText`` (``normalize`` may hand back one already asked)."""
    from bot.rules.normalize import _words_pipeline

    return _words_pipeline(text)
