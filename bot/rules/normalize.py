"""Message normalization for the text conditions: views of a message, each mapped to the original.

Steps of the fully normalized text (``NormalizedText.text``, the one
``words``/``phrases``/``fuzzy`` see):

1. Per grapheme cluster (a base character and the combining marks after it): invisible characters
   removed (format characters ``Cf``: ZWSP, ZWNJ, ZWJ, word joiner, BOM, soft hyphen, bidi marks
   and embeddings LRM..PDI, Mongolian vowel separator, invisible operators U+2061-2064, tags; plus
   CGJ, variation selectors and Hangul fillers); NFKC; look-alike letters folded to Latin from the
   Unicode confusables data shipped in ``confusable-homoglyphs`` (lowercase form first, so Greek
   ``Ι`` -> ``i``; small capitals via their Unicode names); case folding. Combining marks on a
   Latin letter are kept only as a well-formed Vietnamese letter (at most one vowel-shape mark and
   one tone, composed); every other mark - strike-through, zalgo, any run of more than two marks,
   marks on non-Latin bases - is dropped, and so is a diacritic that makes no Vietnamese letter
   (``ñ`` -> ``n``). Every change other than plain case/composition is an *obfuscation signal* on
   the word it touches.
2. Leetspeak, 1:1 per character, only in a token (a run of letters, digits and ``@$!``) that has a
   letter and nothing but letters and leet characters (``covid19``, ``5$``, ``10:30``, ``5pm``,
   ``3rd`` stay): ``@4``->a ``3``->e ``1``->i ``!``->i ``0``->o ``5$``->s ``7``->t. A ``!`` at
   either end of a token is punctuation. ``1`` is also tried as ``l`` and a leading ``@`` (a
   mention) as ``a``, in a second search text (``SearchForms.texts``); ``.text`` keeps ``i`` and
   the ``@``.
3. Vietnamese: a word (run of letters) holding Vietnamese diacritics is kept as written when it is
   a well-formed syllable (``bot.rules.vietnamese.is_syllable``) with no obfuscation signal;
   otherwise it is folded (``đm`` -> ``dm``, ``fúck`` -> ``fuck``, ``d1t`` -> ``dit``). A message
   with at least one kept word is *typed with diacritics*; there, every well-formed unobfuscated
   word is *strict*: the word index compares it as written (``ngủ`` != ``ngu``, ``ma`` != ``má``),
   see ``NormalizedText.is_strict``.

Not rewrites but search rules (in ``SearchForms`` and ``bot.rules.textindex``): repeated letters,
separators (any run of non-alphanumerics is one word gap) and split letters. A run of single
letters or digits is joined into one word when the separators between them are punctuation only
(``f.u.c.k``, two or more) or include whitespace (``f u c k``, ``đ ị t``, three or more, so ``a b
testing`` and ``I a m`` are left alone); separators are one to three characters.

Other views: ``regex`` (invisibles removed, NFKC + case folding, nothing else), ``links`` (the
regex view with defanged forms undone: ``hxxp``, ``[.]``, ``(.)``, ``{.}``, ``[dot]``, ``(dot)``,
`` dot `` and `` . `` between alphanumerics, ``。``) and ``nfkc`` (the original after NFKC only).

Fast paths: ASCII text, and text of printable ASCII plus precomposed Vietnamese letters (one
compiled character-class search), skip step 1 (identity maps, ``range``); the later steps work on
a one-byte-per-character encoding with ``bytes.translate`` and substring tests, and do per-word
Python work only when a cheap test says so. Per-word results that chat repeats (Zipfian
vocabulary) are kept in bounded caches and looked up for a whole message with C-level set
operations: the Vietnamese classification of each whitespace chunk (``_vi_info``), the squeezed
form of each search word (``squeeze_words``), leet replacements per token. The plain text's
lowercase form is the regex view as is (``_lower``), and ``may_have_link`` decides with substring
tests and a look at each dot and colon (RE2 for the rare bracket or spelled "dot") whether the
links view is needed at all.

Other text (step 1): per-character work goes through ``str.translate`` tables filled on first use
(one miss fills the output, length and signal tables together); a long message's new characters
are first classified in one pass (``_prefill``: a character with no decomposition, no look-alike
and no mark is kept, or case-folded, without calling the cluster functions), so random Unicode
costs a dictionary lookup a character. Runs of marks are found with a BMP character-class pattern
(astral marks are first mapped to a BMP mark, 1:1), and a run of more than 32 marks on one base is
cut into bounded clusters whose extra marks are orphans (dropped), so zalgo stays linear.

Work bound: the views cover at most ``MAX_CHARS`` (4,096) characters of a message - the longest
message Telegram sends (4,096 UTF-16 units, so at most as many code points; Discord's is 4,000),
so every real message is normalized whole. Of a longer text (the console, a replay, a pathological input) the views, and the text
conditions that read ``source`` (``caps``, ``emoji``, text mentions), see the first ``MAX_CHARS``
characters: a 100,000-character message of any kind is decided in a few milliseconds. Spans and
maps stay inside the original (the last map entry is the length of the part covered).
"""

from __future__ import annotations

import codecs
import json
import re
import unicodedata
from bisect import bisect_left, bisect_right
from collections import OrderedDict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from functools import cache, lru_cache
from itertools import accumulate, chain, repeat
from pathlib import Path
from typing import Any, NamedTuple

import re2

from bot.rules.vietnamese import VI_LETTERS, VI_LOWER, fold, is_syllable

__all__ = [
    "EntryForm",
    "NormalizedText",
    "SearchForms",
    "Squeezed",
    "TextView",
    "has_link_marks",
    "normalize",
    "normalize_entry",
    "search_text",
]


# ----------------------------------------------------------------------------------------- views


@dataclass(slots=True)  # not frozen: built for every message, and frozen doubles that cost
class TextView:
    """A derived text and, for each of its characters, the original character it came from.

    Never changed once built."""

    text: str
    to_original: Sequence[int]  # len(text) + 1 entries, non-decreasing; last: len(original covered)

    def original_span(self, start: int, end: int) -> tuple[int, int]:
        """A span of ``text`` as a span of the original (end exclusive, never outside it)."""
        n = len(self.text)
        start = min(max(start, 0), n)
        end = min(max(end, start), n)
        ostart = self.to_original[start]
        oend = self.to_original[end]
        if end > start and oend <= ostart:
            # Several characters from one original character (NFKC expansion): cover that character.
            j = end
            while j < n and self.to_original[j] <= ostart:
                j += 1
            oend = self.to_original[j]
        return ostart, max(oend, ostart)

    def view_span(self, ostart: int, oend: int) -> tuple[int, int]:
        """A span of the original as the smallest span of ``text`` covering what came from it."""
        n = len(self.text)
        last = self.to_original[n]
        ostart = min(max(ostart, 0), last)
        oend = min(max(oend, ostart), last)
        start = bisect_left(self.to_original, ostart, 0, n)
        end = bisect_left(self.to_original, oend, 0, n)
        return start, max(end, start)


# ------------------------------------------------------------------------------------------- tables

# Format characters (Cf) live in a few blocks; scanning them is cheap at import.
_CF_RANGES: tuple[tuple[int, int], ...] = (
    (0x00, 0x3000),
    (0xFE00, 0x10000),
    (0x11000, 0x14000),
    (0x1BC00, 0x1BD00),
)
_CF_RANGES += ((0x1D100, 0x1D200), (0xE0000, 0xE0100))
_EXTRA_INVISIBLE = {0x034F, 0x115F, 0x1160, 0x17B4, 0x17B5, 0x180B, 0x180C, 0x180D, 0x180F, 0x3164}
_EXTRA_INVISIBLE |= {0xFFA0, *range(0xFE00, 0xFE10), *range(0xE0100, 0xE01F0)}
INVISIBLE: frozenset[str] = frozenset(
    chr(cp)
    for lo, hi in _CF_RANGES
    for cp in range(lo, hi)
    if unicodedata.category(chr(cp)) == "Cf" or cp in _EXTRA_INVISIBLE
) | frozenset(chr(cp) for cp in _EXTRA_INVISIBLE)

_APOSTROPHES = "\u2019\u2018\u02bc\u00b4\u2032\u02b9\u0060"  # folded to ' (a small addition)

# Characters that need no per-cluster work: printable ASCII, \t \n \r and Vietnamese letters.
_SAFE_CHARS = "\t\n\r" + "".join(chr(c) for c in range(0x20, 0x7F)) + "".join(sorted(VI_LETTERS))

# One byte per character for the words pipeline: ASCII as is, the 67 lowercase Vietnamese letters at
# 0x80.., and two placeholders for anything else (a letter or digit / not). Every later step
# works on these bytes, which stay 1:1 with the text.
_B_OTHER_SEP = 0x80 + len(VI_LOWER)
_B_OTHER_ALNUM = _B_OTHER_SEP + 1
_P_OTHER_SEP = "\ue000"
_P_OTHER_ALNUM = "\ue001"
_DECODING = "".join(chr(i) for i in range(128)) + "".join(VI_LOWER) + _P_OTHER_SEP + _P_OTHER_ALNUM
_DECODING += "".join(chr(0xE100 + i) for i in range(256 - len(_DECODING)))
_ENCODING_MAP = codecs.charmap_build(_DECODING)


class _PlaceholderTable(dict[int, str]):
    """``str.translate`` table: any character to the alphanumeric or the other placeholder."""

    def __missing__(self, cp: int) -> str:
        value = _P_OTHER_ALNUM if chr(cp).isalnum() else _P_OTHER_SEP
        if len(self) < 200_000:
            self[cp] = value
        return value


_PLACEHOLDERS = _PlaceholderTable()


def _placeholder_errors(exc: UnicodeError) -> tuple[str, int]:
    if not isinstance(exc, UnicodeEncodeError):
        raise exc
    return exc.object[exc.start : exc.end].translate(_PLACEHOLDERS), exc.end


codecs.register_error("modbot-placeholder", _placeholder_errors)


def _to_bytes(text: str) -> bytes:
    if text.isascii():
        return text.encode("ascii")
    return codecs.charmap_encode(text, "modbot-placeholder", _ENCODING_MAP)[0]


def _byte_table(fn: Callable[[str], str]) -> bytes:
    return bytes(ord(fn(_DECODING[i])) for i in range(256))


def _is_alnum_byte_char(c: str) -> bool:
    return c == _P_OTHER_ALNUM or (c.isalnum() and (c.isascii() or c in VI_LETTERS))


# Search text: Vietnamese folded, every non-alphanumeric a space (the literal table keeps ' ` ~).
_MARKS = "'`~"
_B_SEARCH = _byte_table(
    lambda c: (
        chr(_B_OTHER_ALNUM) if c == _P_OTHER_ALNUM else fold(c) if _is_alnum_byte_char(c) else " "
    )
)
_B_SEARCH_LIT = _byte_table(
    lambda c: (
        chr(_B_OTHER_ALNUM)
        if c == _P_OTHER_ALNUM
        else fold(c)
        if _is_alnum_byte_char(c)
        else (c if c in _MARKS else " ")
    )
)
_LEET_CHARS = "@$!013457"
_B_CLASS_LEET = _byte_table(
    lambda c: (
        c
        if c in "@!"
        else "1"
        if c in _LEET_CHARS
        else "a"
        if _is_alnum_byte_char(c) and not c.isdigit()
        else "9"
        if c.isdigit()
        else " "
    )
)


def _search_set(pattern: str | bytes) -> re2.Set:
    """One pattern as an RE2 set: ``Match`` answers yes or no without building a match object,
    which costs more than the search itself."""
    regex_set = re2.Set.SearchSet(re2.Options())
    regex_set.Add(pattern)
    regex_set.Compile()
    return regex_set


_B_CLASS_SPLIT = _byte_table(
    lambda c: "a" if _is_alnum_byte_char(c) else (" " if c.isspace() else ".")
)
# Any split-letter run at all (as ``_SPLIT_RUN``, in RE2 as below).
_SPLIT_PRE = _search_set(rb"(?:^|[ .])a[ .]{1,3}a(?:[ .]|$)")
# Searched in a space and the class bytes (``" " + cls``): a run is ``(?<!a)a(?:[ .]{1,3}a(?!a))+``,
# spelled with the separator before it so that ``re`` looks for that character first instead of
# trying the lookbehind at every byte (a third less time); group 1 is the run.
_SPLIT_RUN = re.compile(rb"[ .](a(?:[ .]{1,3}a(?!a))+)")
# Two one-character words next to each other, any gap: letters "a", digits "9" (the second
# pattern asks for a letter among them: a split-letter run of digits only joins no word).
_B_CLASS_SINGLES = _byte_table(
    lambda c: (
        ("9" if c.isdigit() else "a") if _is_alnum_byte_char(c) else (" " if c.isspace() else ".")
    )
)
# Searched in RE2 (a third of plain messages need it; Python's ``re`` tries the lookbehind at
# every byte). RE2 has no lookarounds: the class bytes are only ``a 9 . space``, so "no [a9]
# before/after" is "start/end, or a separator", consumed (a yes/no answer is all that is asked; a
# test checks them against the lookaround spelling).
_ADJACENT_SINGLES = _search_set(rb"(?:^|[ .])[a9][ .]+[a9](?:[ .]|$)")
_ADJACENT_SINGLES_LETTER = _search_set(rb"(?:^|[ .])(?:a[ .]+[a9]|9[ .]+a)(?:[ .]|$)")
# The same classes read from a plain text's UTF-8: there every other character is a Vietnamese
# letter, whose lead byte is its class ("a") and whose continuation bytes are deleted.
# ``str.encode`` costs a third of ``_to_bytes``.
_U_CLASS_SINGLES = bytes(ord("a") if i >= 0x80 else _B_CLASS_SINGLES[i] for i in range(256))
_UTF8_CONTINUATION = bytes(range(0x80, 0xC0))


def _adjacent_singles(plain: str, *, digit_pairs: bool) -> bool:
    """Whether a plain text (ASCII and lowercase Vietnamese letters) has two one-character words
    next to each other (with ``digit_pairs=False``, not both digits)."""
    pattern = _ADJACENT_SINGLES if digit_pairs else _ADJACENT_SINGLES_LETTER
    cls = plain.encode().translate(_U_CLASS_SINGLES, _UTF8_CONTINUATION)
    return pattern.Match(cls) is not None


_LEET_PRIMARY = {"@": "a", "4": "a", "3": "e", "1": "i", "!": "i", "0": "o", "5": "s", "$": "s"}
_LEET_PRIMARY["7"] = "t"
# Only tokens holding a leet character; the lookbehind keeps each token scanned once.
# Searched in the text with "_" made a space (1:1), so that a token is a run of one character class
# (``[\w@$!]``): twice as fast as an alternation of classes.
_LEET_TOKEN = re.compile(r"(?<![\w@$!])[\w@$!]*?[@$!013457][\w@$!]*")
_UNIT = re.compile(
    r"\d+(?:st|nd|rd|th|s|am|pm|h|m|k|d|x|p|g|kg|km|cm|mm|ml|mb|gb|tb|v|w|hz|fps|min|k|b)"
)
_LETTER_RUN = re.compile(r"[^\W\d_]+")


def _small_capital(ch: str) -> str | None:
    name = unicodedata.name(ch, "")
    prefix = "LATIN LETTER SMALL CAPITAL "
    if name.startswith(prefix) and len(name) == len(prefix) + 1:
        return name[-1].lower()
    return None


LOOKALIKES_FILE = Path(__file__).with_name("lookalikes.json")


@cache
def _lookalikes() -> dict[str, str]:
    """Non-Latin letters and digits that look like an ASCII letter or digit.

    Read from ``lookalikes.json``, which ``scripts/gen_lookalikes.py`` derives from the maintained
    Unicode confusables data (package confusable-homoglyphs); a test checks it still equals a fresh
    build. Loading the whole dataset instead costs ~13 MB of memory in every bot process.
    """
    try:
        data = json.loads(LOOKALIKES_FILE.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return build_lookalikes()
    return {str(k): str(v) for k, v in data.items()}


def build_lookalikes() -> dict[str, str]:
    """Build the look-alike table from the confusables dataset (slow: ~0.3 s, ~13 MB transient)."""
    from confusable_homoglyphs.utils import load

    confusables_data = load("confusables.json")

    ascii_alnum = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")

    def as_target(ch: str) -> str | None:
        if ch in ascii_alnum:
            return ch
        return _small_capital(ch) if len(ch) == 1 else None

    def target(ch: str) -> str | None:
        seen = {ch}
        frontier = [ch]
        for _ in range(3):
            found: list[str] = []
            following: list[str] = []
            for x in frontier:
                for h in confusables_data.get(x, ()):
                    y = h["c"]
                    if y in seen:
                        continue
                    seen.add(y)
                    t = as_target(y)
                    if t is not None:
                        found.append(t)
                    following.append(y)
            if found:
                letters = [f for f in found if f.isalpha()]
                return min(letters or found)
            frontier = following
        return None

    table: dict[str, str] = {}
    for ch in confusables_data:
        if len(ch) != 1 or ch.isascii() or ch in VI_LETTERS:
            continue
        if unicodedata.category(ch)[0] not in "LN":
            continue
        if unicodedata.normalize("NFD", ch)[0].isascii():
            continue  # a Latin letter with diacritics: handled by the mark rules
        t = target(ch)
        if t is not None:
            table[ch] = t
    small_caps_blocks = (range(0x0250, 0x02B0), range(0x1D00, 0x1D80), range(0xA720, 0xA800))
    for block in small_caps_blocks:  # small capitals the confusables graph does not reach
        for cp in block:
            t = _small_capital(chr(cp))
            if t is not None:
                table.setdefault(chr(cp), t)
    for ch in _APOSTROPHES:
        table[ch] = "'"
    return table


@lru_cache(maxsize=4096)
def _is_attached(ch: str) -> bool:
    """A combining mark or an invisible character: belongs to the cluster before it."""
    return (
        ch in INVISIBLE
        or unicodedata.combining(ch) != 0
        or unicodedata.category(ch) in ("Mn", "Me")
    )


_VI_SHAPE = frozenset("\u0302\u0306\u031b")
_VI_TONE = frozenset("\u0300\u0301\u0303\u0309\u0323")
_ASCII_LOWER = frozenset("abcdefghijklmnopqrstuvwxyz")


def _subclusters(text: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for ch in text:
        if _is_attached(ch) and ch not in INVISIBLE:
            if out:
                out[-1] = (out[-1][0], out[-1][1] + ch)
            else:
                out.append(("", ch))
        else:
            out.append((ch, ""))
    return out


def _fold_letter(base: str, marks: str) -> tuple[str, bool]:
    """A case-folded base and its marks -> (output, whether marks were dropped)."""
    d = unicodedata.normalize("NFD", base)
    b0, all_marks = d[0], d[1:] + marks
    if not (b0 in _ASCII_LOWER or b0 == "đ"):
        return base, bool(marks)
    if not all_marks:
        return b0, False
    shapes = [m for m in all_marks if m in _VI_SHAPE]
    tones = [m for m in all_marks if m in _VI_TONE]
    if (
        len(all_marks) > 2
        or len(shapes) > 1
        or len(tones) > 1
        or len(shapes) + len(tones) != len(all_marks)
    ):
        return b0, True
    cand = unicodedata.normalize("NFC", b0 + "".join(shapes) + "".join(tones))
    if len(cand) == 1 and cand in VI_LETTERS:
        return cand, bool(marks) and unicodedata.normalize("NFC", base + marks) != cand
    return b0, True


def _words_cluster_once(cluster: str) -> tuple[str, bool]:
    raw = "".join(c for c in cluster if c not in INVISIBLE)
    signal = len(raw) != len(cluster)
    if not raw:
        return "", True
    nfkc = unicodedata.normalize("NFKC", raw)
    if nfkc != unicodedata.normalize("NFC", raw):
        signal = True  # compatibility forms: fullwidth, mathematical, circled, ligatures
    look = _lookalikes()
    out: list[str] = []
    for base, marks in _subclusters(nfkc):
        if not base:
            signal = True  # orphan marks
            continue
        folded = base.casefold()
        if len(folded) == 1 and folded in look:
            folded, signal = look[folded].lower(), True
        elif base in look:
            folded, signal = look[base].lower(), True
        for i, ch in enumerate(folded):
            res, dropped = _fold_letter(ch, marks if i == len(folded) - 1 else "")
            if len(res) == 1 and res in look and not res.isascii():
                res, dropped = look[res].lower(), True
            signal = signal or dropped
            out.append(res)
    return "".join(out), signal


@lru_cache(maxsize=16384)
def _words_cluster(cluster: str) -> tuple[str, bool]:
    """A cluster in the words view, applied until stable (so normalization is idempotent)."""
    out, signal = _words_cluster_once(cluster)
    for _ in range(4):
        again = "".join(_words_cluster_once(b + m)[0] for b, m in _subclusters(out))
        if again == out:
            break
        out = again
    return out, signal


@lru_cache(maxsize=16384)
def _regex_cluster(cluster: str) -> tuple[str, bool]:
    """A cluster in the regex view: invisibles removed, NFKC and case folding (to a fixed point)."""
    out = "".join(c for c in cluster if c not in INVISIBLE)
    for _ in range(4):
        again = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", out).casefold())
        if again == out:
            break
        out = again
    return out, False


_MAX_CLUSTER = 32


_UNSAFE = re.compile("[^" + re.escape(_SAFE_CHARS) + "]")
_UNSAFE_RUN = re.compile("[^" + re.escape(_SAFE_CHARS) + "]+")


def _is_safe(text: str) -> bool:
    return text.isascii() or _UNSAFE.search(text) is None


# The one character outside ``_SAFE_CHARS`` whose lowercase form is made of them (``K`` -> ``k``):
# the chunk tables see lowercase chunks, so it is tested for apart (a test checks it is the only one).
_KELVIN = "\u212a"


def _safe_spaces(lower: str, joined: str, count: int) -> bool:
    """Whether every whitespace character of ``lower`` is a safe one (space, tab, newline, CR),
    given ``joined``, its ``count`` whitespace chunks joined by single spaces."""
    if joined == lower:  # the usual case: single spaces
        return True
    spaces = len(lower) - len(joined) + max(count - 1, 0)  # whitespace characters in ``lower``
    return spaces == (lower.count(" ") + lower.count("\n") + lower.count("\t") + lower.count("\r"))


@cache
def _attached_runs() -> tuple[re.Pattern[str], dict[int, str], frozenset[int]]:
    """Runs of combining marks and invisible characters (built on first need, ~70 ms).

    A pattern of the BMP ones (compiled to a bitmap, O(1) a character) and a ``str.translate``
    table that turns the others into a BMP combining mark: a pattern with astral ranges checks
    them one by one for every character, 100 times slower on a long message.
    """
    ranges = ((0, 0x20000), (0xE0000, 0xE1000))
    chars = [chr(cp) for lo, hi in ranges for cp in range(lo, hi) if _is_attached(chr(cp))]
    bmp = [c for c in chars if c < "\U00010000"]
    pattern = re.compile("[" + "".join(f"\\U{ord(c):08x}" for c in bmp) + "]+")
    lift = {ord(c): "\u0300" for c in chars if c >= "\U00010000"}
    return pattern, lift, frozenset(map(ord, chars))


def _attached_iter(text: str) -> Iterator[re.Match[str]]:
    """The runs of attached characters of ``text`` (spans index ``text``)."""
    pattern, lift, _ = _attached_runs()
    if max(text, default="a") >= "\U00010000":
        text = text.translate(lift)  # 1:1, astral marks made BMP ones
    return pattern.finditer(text)


class _CharTable(dict[int, str]):
    """A ``str.translate`` table filled on first use from a cluster function: output, length, signal."""

    def __init__(self, fn: Callable[[str], tuple[str, bool]], part: int) -> None:
        super().__init__()
        self._fn = fn
        self._part = part
        self.siblings: tuple[_CharTable, ...] = ()

    def __missing__(self, cp: int) -> str:
        res, signal = self._fn(chr(cp))
        values = (res, chr(len(res)), "\x01" if signal else "\x00")
        if len(self) < 200_000:
            for table, value in zip(self.siblings, values, strict=True):
                table[cp] = value  # one call fills the three tables
        return values[self._part]


def _tables(fn: Callable[[str], tuple[str, bool]]) -> tuple[_CharTable, _CharTable, _CharTable]:
    tables = (_CharTable(fn, 0), _CharTable(fn, 1), _CharTable(fn, 2))
    for table in tables:
        table.siblings = tables
    return tables


# Unsafe stretches in a text beyond which ``_cluster_pass`` translates the whole text: each costs
# ~2 microseconds, and text alternating safe and unsafe characters would cost ten times more.
_MAX_STRETCHES = 16


def _cluster_pass(
    text: str,
    cluster_fn: Callable[[str], tuple[str, bool]],
    tables: tuple[_CharTable, _CharTable, _CharTable],
) -> tuple[str, Sequence[int], list[int]]:
    """Per-character work through ``str.translate``; clusters with marks one at a time.

    Returns the text, its map to the original and the obfuscation signal positions. Only the
    stretches of characters outside ``_SAFE_CHARS`` (an emoji, a mark and its base...) go through
    the tables: the cluster functions make a safe character its lowercase form, with no signal,
    but for the words view's backtick (an apostrophe look-alike); a test checks it. ``str.lower``
    of a stretch costs a hundredth of translating it.
    """
    spans: list[tuple[int, int]] = []
    for m in _UNSAFE_RUN.finditer(text):
        spans.append(m.span())
        if len(spans) > _MAX_STRETCHES:  # the stretches' own cost would exceed the saving
            return _cluster_pass_whole(text, cluster_fn, tables)
    apostrophe = cluster_fn is _words_cluster
    attached = _attached_set()
    out: list[str] = []
    lens: list[str] = []
    sigs: list[str] = []
    pos = 0
    for i, j in spans:
        if i > pos and ord(text[i]) in attached:
            i -= 1  # a mark belongs to the (safe) character before it: the cluster's base
        _safe_codes(text[pos:i], apostrophe, out, lens, sigs)
        _cluster_codes(text[i:j], cluster_fn, tables, out, lens, sigs)
        pos = j
    _safe_codes(text[pos:], apostrophe, out, lens, sigs)
    return _cluster_result(text, out, lens, sigs)


def _cluster_pass_whole(
    text: str,
    cluster_fn: Callable[[str], tuple[str, bool]],
    tables: tuple[_CharTable, _CharTable, _CharTable],
) -> tuple[str, Sequence[int], list[int]]:
    """``_cluster_pass`` with every character through the tables (what it is checked against)."""
    out: list[str] = []
    lens: list[str] = []
    sigs: list[str] = []
    _cluster_codes(text, cluster_fn, tables, out, lens, sigs)
    return _cluster_result(text, out, lens, sigs)


def _safe_codes(
    stretch: str, apostrophe: bool, out: list[str], lens: list[str], sigs: list[str]
) -> None:
    """What the tables give a stretch of safe characters: lowercase, one character each."""
    low = stretch.lower()
    if apostrophe and "`" in low:
        out.append(low.replace("`", "'"))
        sigs.append("".join("\x01" if c == "`" else "\x00" for c in low))
    else:
        out.append(low)
        sigs.append("\x00" * len(low))
    lens.append("\x01" * len(low))


def _cluster_codes(
    text: str,
    cluster_fn: Callable[[str], tuple[str, bool]],
    tables: tuple[_CharTable, _CharTable, _CharTable],
    out: list[str],
    lens: list[str],
    sigs: list[str],
) -> None:
    """Each character's output, output length (a code) and signal (a code), appended."""
    if len(text) > 64:
        _prefill(text)
    values, lengths, flags = tables
    pos = 0
    for m in _attached_iter(text):
        i, j = m.span()
        base = i - 1 if i > pos else i  # marks belong to the character before them
        stretch = text[pos:base]
        out.append(stretch.translate(values))
        lens.append(stretch.translate(lengths))
        sigs.append(stretch.translate(flags))
        k = base
        while k < j:
            # Zalgo can pile thousands of marks on one base: bounded chunks (the marks after the
            # first chunk are orphans, which the words view drops).
            e = min(j, k + _MAX_CLUSTER)
            res, signal = cluster_fn(text[k:e])
            res = res[:255]
            out.append(res)
            lens.append(chr(len(res)) + "\x00" * (e - k - 1))
            sigs.append(("\x01" if signal else "\x00") * (e - k))
            k = e
        pos = j
    stretch = text[pos:]
    out.append(stretch.translate(values))
    lens.append(stretch.translate(lengths))
    sigs.append(stretch.translate(flags))


def _cluster_result(
    text: str, out: list[str], lens: list[str], sigs: list[str]
) -> tuple[str, Sequence[int], list[int]]:
    """The text, its map to the original and the signal positions, from the codes."""
    result = "".join(out)
    n = len(text)
    len_codes = "".join(lens)
    flag_codes = "".join(sigs)
    if len(result) == n and len_codes.count("\x01") == n:
        omap: Sequence[int] = range(n + 1)
        if "\x01" not in flag_codes:
            return result, omap, []
    la = len_codes.encode("latin-1")  # output length of each original character
    if len(result) != n or len_codes.count("\x01") != n:
        omap_list: list[int] = list(chain.from_iterable(map(repeat, range(n), la)))
        omap_list.append(n)
        omap = omap_list
    signals: list[int] = []
    if "\x01" in flag_codes:
        starts = list(accumulate(la, initial=0))  # where each original character's output starts
        marked: set[int] = set()
        for i, flag in enumerate(flag_codes.encode("latin-1")):
            if flag:
                start, length = starts[i], la[i]
                marked.add(start if length else start - 1)
                marked.add(start + length)
        signals = sorted(p for p in marked if 0 <= p <= len(result))
    return result, omap, signals


_WORDS_TABLES = _tables(_words_cluster)
_REGEX_TABLES = _tables(_regex_cluster)


# Code points _prefill found not simple (they go through the cluster functions).
_NOT_SIMPLE: set[int] = set()


def _attached_set() -> frozenset[int]:
    return _attached_runs()[2]


def _simple(c: str, look: dict[str, str], attached: frozenset[int]) -> str | None:
    """What both views make of a lone character that needs no cluster work, or None.

    Simple: no compatibility or canonical decomposition (NFKD; Hangul syllables too, whose
    decomposition starts with no Latin letter), no look-alike, no mark or invisible; the result is
    its case folding when that is one such character too. No obfuscation signal.
    """
    cp = ord(c)
    if cp in attached or c in look:
        return None
    if not (unicodedata.is_normalized("NFKD", c) or 0xAC00 <= cp <= 0xD7A3):
        return None
    f = c.casefold()
    if f == c:
        return c
    if len(f) != 1 or f in look or f.casefold() != f or not unicodedata.is_normalized("NFKD", f):
        return None
    return f


def _prefill(text: str) -> None:
    """Enter the text's new *simple* characters (see ``_simple``) in the tables in one pass.

    Both views keep a simple character (or its one-character case folding) with no signal. Most
    characters of a long message in another script, or of random Unicode, are simple: this spares
    each of them the cluster functions and three table misses.
    """
    words = _WORDS_TABLES[0]
    if len(words) >= 200_000:
        return
    missing = set(map(ord, text)).difference(words)
    missing.difference_update(_NOT_SIMPLE)
    if not missing:
        return
    look = _lookalikes()
    attached = _attached_set()
    keys: list[int] = []
    outs: list[str] = []
    for cp in missing:
        out = _simple(chr(cp), look, attached)
        if out is None:
            if len(_NOT_SIMPLE) < 200_000:
                _NOT_SIMPLE.add(cp)
        else:
            keys.append(cp)
            outs.append(out)
    if not keys:
        return
    one = dict.fromkeys(keys, "\x01")
    none = dict.fromkeys(keys, "\x00")
    for values, lengths, flags in (_WORDS_TABLES, _REGEX_TABLES):
        values.update(zip(keys, outs, strict=True))
        lengths.update(one)
        flags.update(none)
    if len(_PLACEHOLDERS) < 200_000:
        _PLACEHOLDERS.update(
            (ord(c), _P_OTHER_ALNUM if c.isalnum() else _P_OTHER_SEP) for c in outs
        )


# --------------------------------------------------------------------------------- search forms


class Squeezed:
    """A search text with runs of the same letter and runs of spaces squeezed to one character.

    ``s`` is what the automaton reads; the run map (built only when a hit needs it) turns an index
    of ``s`` back into an index of the unsqueezed source and gives the length of each run.
    """

    __slots__ = ("_lens", "_pad", "_src", "_starts_s", "_starts_x", "s")
    # A run of one letter or of spaces (``([a-z])\1+| {2,}``); one branch, and the lookahead fails
    # fast at the usual position: ~40% less time than the two-branch spelling.
    _RUN = re.compile(r"([a-z ])(?=\1)\1+")
    _DOUBLES = tuple(c + c for c in "abcdefghijklmnopqrstuvwxyz")

    def __init__(self, src: str, s: str | None = None, *, pad: str = "") -> None:
        # ``pad`` at both ends of ``src`` makes the source, built only if a hit needs it.
        self._src = src
        self._pad = pad
        self.s = self.squeeze(pad + src + pad) if s is None else s
        self._starts_s: list[int] | None = None
        self._starts_x: list[int] = []
        self._lens: list[int] = []

    @property
    def src(self) -> str:
        """The unsqueezed source."""
        if self._pad:
            self._src = self._pad + self._src + self._pad
            self._pad = ""
        return self._src

    @classmethod
    def squeeze(cls, src: str) -> str:
        s = src
        while "  " in s:
            s = s.replace("  ", " ")
        for dd in cls._DOUBLES:
            if dd in s:
                c = dd[0]
                while dd in s:
                    s = s.replace(dd, c)
        return s

    def _build(self) -> list[int]:
        starts_s: list[int] = []
        if len(self.s) == len(self._src) + 2 * len(self._pad):
            # Nothing was squeezed (``s`` is the squeezed source): the identity map.
            self._starts_s = starts_s
            return starts_s
        removed = 0
        for m in self._RUN.finditer(self.src):
            a, b = m.span()
            starts_s.append(a - removed)
            self._starts_x.append(a)
            self._lens.append(b - a)
            removed += b - a - 1
        self._starts_s = starts_s
        return starts_s

    def locate(self, i: int) -> tuple[int, int]:
        """Index ``i`` of ``s`` -> (start in ``src``, run length)."""
        starts = self._starts_s if self._starts_s is not None else self._build()
        k = bisect_right(starts, i) - 1
        if k < 0:
            return i, 1
        if starts[k] == i:
            return self._starts_x[k], self._lens[k]
        return i + (self._starts_x[k] - starts[k]) + self._lens[k] - 1, 1

    def src_span(self, start: int, end: int) -> tuple[int, int]:
        """Span of ``s`` -> span of ``src``."""
        a, _ = self.locate(start)
        b, n = self.locate(end - 1)
        return a, b + n


class SearchForms(NamedTuple):
    """What the word index searches, all derived from ``NormalizedText.text``.

    ``texts``: folded texts (Vietnamese diacritics off, non-alphanumerics as spaces), each 1:1 with
    ``.text``: the primary one, then leet/mention variants. ``joined``: split-letter runs as
    (folded letters, index in ``.text`` of each letter) pairs, primary and leet variants.
    ``literal``: the primary text with ``' ` ~`` kept (for entries that contain them), or None.
    ``squeezed``: each of ``texts`` padded with a space at both ends and squeezed (``Squeezed.s``),
    and ``tokens`` the squeezed words of each (what ``fuzzy`` compares).
    """

    texts: tuple[str, ...]
    joined: tuple[tuple[str, tuple[int, ...]], ...]
    literal: str | None
    squeezed: tuple[str, ...]
    tokens: tuple[list[str], ...]


def search_text(text: str, *, literal: bool = False) -> str:
    """``text`` folded for search (1:1): no Vietnamese diacritics, non-alphanumerics as spaces."""
    table = _B_SEARCH_LIT if literal else _B_SEARCH
    return _to_bytes(text).translate(table).decode("latin-1")


# ----------------------------------------------------------------------------------------- leet


@lru_cache(maxsize=65536)
def _leet_token(tok: str, *, entry: bool) -> tuple[tuple[int, str, str], ...] | None:
    """Replacements (offset, primary, variant) for one token, or None (cached: chat repeats)."""
    lo, hi = 0, len(tok)
    while lo < hi and tok[lo] == "!":
        lo += 1
    while hi > lo and tok[hi - 1] == "!":
        hi -= 1
    mention = -1
    if hi - lo > 1 and tok[lo] == "@" and tok[lo + 1].isalpha():
        mention = lo
        lo += 1
    body = tok[lo:hi]
    if not body or not any(c.isalpha() for c in body):
        return None
    reps: list[tuple[int, str, str]] = []
    if any(c in _LEET_PRIMARY for c in body) and not _UNIT.fullmatch(body):
        if all(c.isalpha() or c in _LEET_PRIMARY for c in body):
            for k, c in enumerate(body):
                if c in _LEET_PRIMARY:
                    p = _LEET_PRIMARY[c]
                    reps.append((lo + k, p, "l" if c == "1" else p))
    if mention >= 0:
        reps.append((mention, "a" if entry else "@", "a"))
    return tuple(reps) or None


def _apply_leet(text: str, *, entry: bool) -> tuple[str, str | None, list[int]]:
    """Leet applied: (primary text, variant text or None, positions changed in the primary)."""
    found = []
    for m in _LEET_TOKEN.finditer(text.replace("_", " ") if "_" in text else text):
        reps = _leet_token(m.group(), entry=entry)
        if reps is not None:
            found.append((m.start(), reps))
    if not found:
        return text, None, []
    primary = list(text)
    variant: dict[int, str] = {}
    changed: list[int] = []
    for base, reps in found:
        for off, p, v in reps:
            i = base + off
            if p != text[i]:
                changed.append(i)
            primary[i] = p
            if v != p:
                variant[i] = v
    prim = "".join(primary)
    if not variant:
        return prim, None, changed
    for i, v in variant.items():
        primary[i] = v
    return prim, "".join(primary), changed


def _has_leet(b: bytes) -> bool:
    c = b.translate(_B_CLASS_LEET)
    return b"a1" in c or b"1a" in c or b"@a" in c or b"a@" in c or b"a!a" in c


# ------------------------------------------------------------------------------------ Vietnamese

# Whitespace-separated chunks (one-byte encoding) already classified, and those of them that hold a
# diacritic word that is not a syllable (bad) or a kept diacritic word. Chat vocabulary is Zipfian:
# after warm-up a message is classified with three C-level set operations.
_PIECES: tuple[set[bytes], set[bytes], set[bytes]] = (set(), set(), set())  # seen, bad, kept
_MAX_PIECES = 200_000


def _piece_info(piece: bytes) -> tuple[bool, bool]:
    """(has a diacritic word that is not a syllable, has a kept diacritic word) for one chunk."""
    if piece.isascii():
        return False, False
    text = piece.decode("latin-1").translate(_LATIN1_TO_TEXT)
    bad = kept = False
    for m in _LETTER_RUN.finditer(text):
        w = m.group()
        if w.isascii():
            continue
        if is_syllable(w):
            kept = kept or any(c in VI_LETTERS for c in w)
        elif any(c in VI_LETTERS for c in w):
            bad = True
    return bad, kept


def _vi_info(b: bytes) -> tuple[bool, bool]:
    """``_piece_info`` of a whole text: (any bad chunk, any kept word)."""
    global _PIECES
    pieces = b.split()
    seen, bad_set, kept_set = _PIECES
    if not all(map(seen.__contains__, pieces)):
        unknown = set(pieces).difference(seen)
        if len(seen) + len(unknown) > _MAX_PIECES:
            # Replaced, never cleared: another thread may be reading the full one.
            seen, bad_set, kept_set = _PIECES = (set(), set(), set())
            unknown = set(pieces)
        for piece in unknown:
            bad, kept = _piece_info(piece)
            if bad:
                bad_set.add(piece)
            if kept:
                kept_set.add(piece)
        seen.update(unknown)
    return not bad_set.isdisjoint(pieces), not kept_set.isdisjoint(pieces)


_LATIN1_TO_TEXT = {i: _DECODING[i] for i in range(128, 256)}


# ----------------------------------------------------------------------------------- the result


_NO_DOTS: frozenset[int] = frozenset()


class NormalizedText:
    """One message, normalized once; the views are computed on first use."""

    # Slots, every one set in ``__init__``: the lazily computed parts are filled in a different order
    # for each message, and an instance dictionary filled out of order stops sharing its keys (a
    # copy of the dictionary, for most messages).
    __slots__ = (
        "_bytes",
        "_chunks",
        "_fixed",
        "_forms",
        "_has_vi",
        "_joined",
        "_link_dots",
        "_links",
        "_lower",
        "_nfkc",
        "_omap",
        "_regex",
        "_signals",
        "_src",
        "_strict",
        "_variant",
        "_words",
        "memo",
        "original",
        "text",
    )

    def __init__(
        self,
        original: str,
        text: str,
        omap: Sequence[int] | None,
        variant: str | None,
        signals: Sequence[int],
        has_vi: bool,
        lower: str | None,
        chunks: tuple[list[str], _ChunkTables] | None,
        encoded: bytes | None,
        joined: str | None,
    ) -> None:
        # Positional: built for every message, and keywords cost a dictionary a call.
        # Every instance attribute is set here, in one order: instances then share one key table.
        self.original = original
        self._src = original  # what the views cover: the original, up to MAX_CHARS characters
        self.text = text
        self._omap = omap  # ``text`` to the original; None: one to one (the words view is lazy)
        self._variant = variant
        self._signals = signals
        self._has_vi = has_vi
        self._lower = lower  # the regex view's text when it is the lowercase original
        self._chunks = chunks  # plain text: its chunks and their tables
        self._bytes = encoded  # ``.text`` in the one-byte encoding, when known
        self._joined = joined  # ``words_joined()``, when known
        # Computed on first use.
        self._words: TextView | None = None
        self._regex: TextView | None = None
        self._links: TextView | None = None
        self._link_dots: frozenset[int] = _NO_DOTS
        self._nfkc: str | None = None
        self._forms: SearchForms | None = None
        self._strict: list[tuple[int, int, bool]] | None = None
        # A text fixed chunk by chunk whose search reads each chunk as that chunk alone would be
        # read (``_fixed_text``): its lowercase chunks and their tables, for ``word_chunks``.
        self._fixed: tuple[list[str], _ChunkTables] | None = None
        # What the last rule set to decide this text derived from it: (that rule set's key, its
        # index hits, its RE2 set hits). A repeated text is searched once.
        self.memo: tuple[object, Any, Any] | None = None

    def __repr__(self) -> str:
        return f"NormalizedText({self.original!r} -> {self.text!r})"

    @property
    def words(self) -> TextView:
        """``.text`` mapped to the original (built on first use: most messages need no span)."""
        view = self._words
        if view is None:
            text = self.text
            omap = self._omap
            view = self._words = TextView(text, range(len(text) + 1) if omap is None else omap)
        return view

    @property
    def regex(self) -> TextView:
        """NFKC, case-folded, invisibles removed: what ``regex`` patterns see."""
        if self._regex is None:
            lower = self._lower
            if lower is not None:
                self._regex = TextView(lower, range(len(lower) + 1))
            else:
                self._regex = _regex_view(self._src)
        return self._regex

    @property
    def regex_text(self) -> str:
        """``regex.text``, without building the view for plain text (its lowercase form)."""
        return self._lower if self._lower is not None else self.regex.text

    @property
    def links(self) -> TextView:
        """The regex view with defanged links undone: what ``links``/``invites``/mentions see."""
        if self._links is None:
            self._links, self._link_dots = _links_view(self.regex)
        return self._links

    @property
    def spaced_link_dots(self) -> frozenset[int]:
        """Positions in ``links.text`` of dots that were `` . `` or `` dot `` in the message."""
        _ = self.links
        return self._link_dots

    @property
    def may_have_link(self) -> bool:
        """False only when the links view can hold no link (cheap tests, see _plain_link_hint)."""
        lower = self._lower
        if lower is None:
            # Not plain text: NFKC may make dots or colons, so the regex view (which the links view
            # is made from anyway) tells: a link needs a dot, a colon or a spelled "dot" in it.
            return has_link_marks(self.regex.text)
        if not ("." in lower or ":" in lower or "dot" in lower):
            return False
        # A scheme's "://" nearly always starts a link, which the scan then finds: the hint (an
        # upper bound, never exact) says yes without a search.
        return "://" in lower or _plain_link_hint(lower)

    @property
    def plain(self) -> bool:
        """The message is ASCII and Vietnamese letters only (no emoji, marks or look-alikes)."""
        return self._lower is not None

    @property
    def source(self) -> str:
        """What the views cover: the original, or its first MAX_CHARS characters if longer."""
        return self._src

    @property
    def nfkc(self) -> str:
        """The original after NFKC only (for ``caps``; up to MAX_CHARS characters)."""
        if self._nfkc is None:
            o = self._src
            self._nfkc = o if o.isascii() else unicodedata.normalize("NFKC", o)
        return self._nfkc

    @property
    def typed_with_diacritics(self) -> bool:
        """At least one word kept with its Vietnamese diacritics (strict comparison applies)."""
        return self._has_vi

    def original_span(self, start: int, end: int) -> tuple[int, int]:
        """A span of ``.text`` as a span of the original."""
        return self.words.original_span(start, end)

    def normalized_span(self, ostart: int, oend: int) -> tuple[int, int]:
        """A span of the original as a span of ``.text``."""
        return self.words.view_span(ostart, oend)

    def search_forms(self) -> SearchForms:
        """The folded search texts the word index reads (computed once)."""
        if self._forms is None:
            if self._chunks is not None and self._variant is None:
                self._forms = _plain_forms(self.text, *self._chunks)
            else:
                self._forms = _search_forms(self.text, self._variant, self._bytes)
        return self._forms

    def words_joined(self) -> str:
        """``.text`` with every run of whitespace one space, no space at the ends."""
        if self._joined is not None:
            return self._joined
        if self._chunks is not None:
            return " ".join(self._chunks[0])  # plain text: ``.text`` is the lowercase original
        return " ".join(self.text.split())

    def word_chunks(self, *, digit_pairs: bool = True) -> list[str] | None:
        """The whitespace chunks of ``.text`` when each is searched as it would be alone (see
        ``_fixed_text`` and ``_other_chunks``) and no two one-character words of different
        chunks stand next to each other (so no split-letter run joins letters across chunks,
        and no entry made of single characters such as ``s&m`` matches across them: what lies
        inside a chunk is found searching it alone), else None. ``digit_pairs=False``: two
        one-digit words (``2-1``) do not count (when no such entry has a digit)."""
        if self._chunks is not None:
            chunks, tables = self._chunks
            if tables.singles_meet(chunks) and _adjacent_singles(
                self.text, digit_pairs=digit_pairs
            ):
                return None
            return chunks
        if self._fixed is None:
            return self._other_chunks(digit_pairs)
        # A fixed text: where one-character words stand is read from the lowercase chunks (leet
        # and folding change letters one for one and never split a word, so a one-character word
        # of ``.text`` is one there too), and its chunks are those of ``.text``, as searched.
        lower_chunks, tables = self._fixed
        if tables.singles_meet(lower_chunks) and _adjacent_singles(
            self.text, digit_pairs=digit_pairs
        ):
            return None
        return self.text.split()

    def _other_chunks(self, digit_pairs: bool) -> list[str] | None:
        """``word_chunks`` of a text that is not plain (emoji, look-alikes, marks), from its
        whole text (no chunk tables): its chunks are searched as each would be alone when it has
        no leet variant (read from the text before leet) and no word changed by normalization
        (not strict in the text) stands in a text with strict words."""
        if self._variant is not None or (self._signals and self._has_vi):
            return None
        b = self._bytes if self._bytes is not None else _to_bytes(self.text)
        pattern = _ADJACENT_SINGLES if digit_pairs else _ADJACENT_SINGLES_LETTER
        if pattern.Match(b.translate(_B_CLASS_SINGLES)) is not None:
            return None
        return self.text.split()

    def run_is_strict(self, start: int, end: int) -> bool:
        """``is_strict`` of the letter run at [start, end) of ``.text``, classifying that one
        word only (``is_strict`` classifies every word of the text on first use). A span that is
        part of a longer run (a wildcard hit: ``coin`` in ``bitcoin``) asks ``is_strict``."""
        if not self._has_vi:
            return False
        text = self.text
        if (start > 0 and _LETTER_RUN.match(text, start - 1, start) is not None) or (
            end < len(text) and _LETTER_RUN.match(text, end, end + 1) is not None
        ):
            return self.is_strict(start, end)
        signals = self._signals
        k = bisect_left(signals, start)
        if k < len(signals) and signals[k] < end:
            return False  # changed by leet: not as typed
        return is_syllable(text[start:end])

    def is_strict(self, start: int, end: int) -> bool:
        """Whether the word of ``.text`` at [start, end) is compared as written (see module doc)."""
        if not self._has_vi:
            return False
        tokens = self._strict
        if tokens is None:
            tokens = self._strict = []
            signals = self._signals
            for m in _LETTER_RUN.finditer(self.text):
                a, b = m.span()
                k = bisect_left(signals, a)
                clean = k >= len(signals) or signals[k] >= b
                tokens.append((a, b, clean and is_syllable(m.group())))
        k = bisect_right(tokens, (start, len(self.text) + 1, True)) - 1
        if k >= 0 and tokens[k][0] <= start < tokens[k][1]:
            return tokens[k][2]
        if k + 1 < len(tokens) and start <= tokens[k + 1][0] < end:
            return tokens[k + 1][2]
        return False


def _search_forms(text: str, variant: str | None, b: bytes | None = None) -> SearchForms:
    if b is None:
        b = _to_bytes(text)
    folded = b.translate(_B_SEARCH).decode("latin-1")
    words = folded.split()
    sq, sq_words = squeeze_words(words)
    if variant is None:
        texts: tuple[str, ...] = (folded,)
        squeezed: tuple[str, ...] = (sq,)
        tokens: tuple[list[str], ...] = (sq_words,)
    else:
        v = search_text(variant)
        v_sq, v_words = squeeze_words(v.split())
        texts, squeezed, tokens = (folded, v), (sq, v_sq), (sq_words, v_words)
    literal = None
    if len(b.translate(None, b"'`~")) != len(b):
        literal = b.translate(_B_SEARCH_LIT).decode("latin-1")
    joined: tuple[tuple[str, tuple[int, ...]], ...] = ()
    # A split-letter run needs two one-character words: most messages have fewer.
    if list(map(len, words)).count(1) >= 2:
        cls = b.translate(_B_CLASS_SPLIT)
        if _SPLIT_PRE.Match(cls) is not None:
            joined = tuple(_joined_runs(folded, cls))
    return SearchForms(texts, joined, literal, squeezed, tokens)


# Squeezed form of each word seen (chat vocabulary is Zipfian: most words are found here).
_SQUEEZED_WORDS: dict[str, str] = {}
_MAX_SQUEEZED_WORDS = 200_000


def squeeze_words(words: list[str]) -> tuple[str, list[str]]:
    """``Squeezed(" " + " ".join(words) + " ").s`` and its words, with squeezing cached per word."""
    cache = _SQUEEZED_WORDS
    try:  # the usual case: every word known, one pass
        out = list(map(cache.__getitem__, words))
    except KeyError:
        missing = set(words).difference(cache)
        if len(cache) + len(missing) > _MAX_SQUEEZED_WORDS:
            cache.clear()
            missing = set(words)
        for w in missing:
            cache[w] = Squeezed.squeeze(w)
        # Not read back from the cache: another thread may empty it meanwhile.
        out = [cache.get(w) or Squeezed.squeeze(w) for w in words]
    if not out:
        return " ", out
    return " " + " ".join(out) + " ", out


_MAX_JOINED = 40


def _joined_runs(folded: str, cls: bytes) -> list[tuple[str, tuple[int, ...]]]:
    out: list[tuple[str, tuple[int, ...]]] = []
    for m in _SPLIT_RUN.finditer(b" " + cls):
        a, b = m.start(1) - 1, m.end(1) - 1
        if b - a > _MAX_JOINED * 4:
            continue  # no word is that long: a wall of single letters is not an evasion
        for word, positions in _run_words(folded[a:b], cls[a:b]):
            out.append((word, tuple(map(a.__add__, positions))))
    return out


@lru_cache(maxsize=4096)
def _run_words(folded: str, cls: bytes) -> tuple[tuple[str, tuple[int, ...]], ...]:
    """The words one split-letter run joins (indexes in the run), from its folded text and class
    bytes (cached: chat repeats its runs, ``f u c k`` as ``a b`` and ``2-1``)."""
    out: list[tuple[str, tuple[int, ...]]] = []
    seps = cls.split(b"a")[1:-1]
    pos = [i for i in range(len(cls)) if cls[i] == 0x61]
    groups: list[list[int]] = []
    if any(b" " in s for s in seps):
        if len(pos) >= 3:
            groups.append(pos)
        # Punctuation-joined pieces inside a spaced run (``f.u.c.k y.o.u``) are words too.
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
    return tuple(out)


# ------------------------------------------------------------------------------------- pipeline


# Plain text is classified whitespace chunk by whitespace chunk (no step crosses whitespace: leet
# tokens, Vietnamese words and search words are all inside one chunk), and chat repeats its
# chunks: what each chunk needs is kept here, and a message is decided with set operations.
class _ChunkFix(NamedTuple):
    """What the pipeline does to one chunk that is not ordinary: its leet forms (``_apply_leet``
    of the chunk alone) and the Vietnamese classification (``_piece_info``) before and after."""

    special: bool  # leet changes it (when the text's leet step runs), or it has a bad word
    variant_only: bool  # special only for a leet variant (a mention: ``@name`` also as ``aname``)
    gate: bool  # ``_has_leet``: a text holding it has the leet step, on all its chunks
    primary: str  # leet applied
    changed: tuple[int, ...]  # where ``primary`` differs from the chunk
    variant: str | None  # the leet variant, if any
    bad: bool  # a diacritic word that is not a syllable (``_piece_info``)
    kept: bool  # a word kept with its diacritics
    primary_bad: bool  # the same of ``primary``
    primary_kept: bool


class _ChunkTables:
    """What is known of each chunk seen. Never cleared: when full it is replaced by a new one, so a
    reader (another thread: the toxicity scorer normalizes too) never sees a chunk half-known."""

    __slots__ = (
        "edges",
        "fixes",
        "gated",
        "kept",
        "leading",
        "ordinary",
        "seen",
        "singles",
        "squeezed",
        "trailing",
        "with_singles",
    )

    def __init__(self) -> None:
        self.seen: set[str] = set()  # entered in the others (entered last)
        # Seen, only of ``_SAFE_CHARS``, and unchanged by leet and Vietnamese folding: lowercasing
        # is all it needs, and a text whose lowercase chunks are all ordinary is safe but for its
        # whitespace and ``_KELVIN``.
        self.ordinary: set[str] = set()
        self.fixes: dict[str, _ChunkFix] = {}  # each chunk seen that is not ordinary
        self.kept: set[str] = set()  # it holds a word kept with its Vietnamese diacritics
        self.gated: set[str] = set()  # it passes ``_has_leet`` (ordinary ones too: ``1st``)
        self.squeezed: dict[str, str] = {}  # its search words, squeezed, joined by spaces
        self.singles: dict[str, int] = {}  # how many of its search words are one character long
        self.with_singles: set[str] = set()  # the chunks with at least one (most have none)
        # Its last search word is one character long (``a``, ``what's``, ``2-1``); its first one
        # is, or it has none (``-`` lets the words on either side meet).
        self.trailing: set[str] = set()
        self.leading: set[str] = set()
        # Both as one number per chunk (1: trailing, 2: leading, 3: both), read for a whole
        # message in one pass.
        self.edges: dict[str, int] = {}

    def two_single_words(self, chunks: list[str]) -> bool:
        """Whether these chunks hold two one-character search words or more. One set operation:
        summing every chunk's count costs twice as much, and most chunks hold none."""
        found = self.with_singles.intersection(chunks)
        if len(found) != 1:
            return bool(found)
        (chunk,) = found
        return self.singles[chunk] * chunks.count(chunk) >= 2

    def singles_meet(self, chunks: list[str]) -> bool:
        """Whether a chunk ending in a one-character search word is followed by one starting
        with one (or by one with no search word): the only way two one-character words of
        different chunks stand side by side. Most chunks end in a longer word."""
        if self.trailing.isdisjoint(chunks):
            return False
        # Each chunk's edge code as one byte, and one search for a trailing code before a leading
        # one: C-level passes, not a Python step per occurrence of ``a`` or ``i``.
        return _EDGES_MEET.search(bytes(map(self.edges.__getitem__, chunks))) is not None


_EDGES_MEET = re.compile(b"[\x01\x03][\x02\x03]")


_CHUNK_TABLES = _ChunkTables()
_MAX_CHUNKS = 200_000
_LEET_SET = frozenset(_LEET_CHARS)  # a token that leet changes holds one of them


def _chunk_fix(chunk: str, b: bytes) -> _ChunkFix:
    """A chunk's ``_ChunkFix`` (``b``: the chunk in the one-byte encoding)."""
    changed: list[int] = []
    if _LEET_SET.isdisjoint(chunk):
        primary, variant = chunk, None
    else:
        primary, variant, changed = _apply_leet(chunk, entry=False)
    gate = _has_leet(b)
    special = gate and (primary != chunk or variant is not None or bool(changed))
    bad, kept = _piece_info(b)
    primary_bad, primary_kept = (bad, kept) if primary == chunk else _piece_info(_to_bytes(primary))
    return _ChunkFix(
        special=special or bad,
        variant_only=special and primary == chunk and not changed and not bad,
        gate=gate,
        primary=primary,
        changed=tuple(sorted(changed)),
        variant=variant,
        bad=bad,
        kept=kept,
        primary_bad=primary_bad,
        primary_kept=primary_kept,
    )


def _learn_chunks(chunks: list[str]) -> _ChunkTables:
    global _CHUNK_TABLES
    tables = _CHUNK_TABLES
    new = set(chunks).difference(tables.seen)
    if len(tables.seen) + len(new) > _MAX_CHUNKS:
        tables = _CHUNK_TABLES = _ChunkTables()
        new = set(chunks)
    for chunk in new:
        b = _to_bytes(chunk)
        fix = _chunk_fix(chunk, b)
        if fix.kept:
            tables.kept.add(chunk)
        if fix.gate:
            tables.gated.add(chunk)
        words = b.translate(_B_SEARCH).decode("latin-1").split()
        tables.squeezed[chunk] = " ".join(map(Squeezed.squeeze, words))
        tables.singles[chunk] = list(map(len, words)).count(1)
        if tables.singles[chunk]:
            tables.with_singles.add(chunk)
        edges = 0
        if words and len(words[-1]) == 1:
            tables.trailing.add(chunk)
            edges |= 1
        if not words or len(words[0]) == 1:
            tables.leading.add(chunk)
            edges |= 2
        tables.edges[chunk] = edges
        if (
            fix.special
            or fix.primary != chunk
            or fix.variant is not None
            or _UNSAFE.search(chunk) is not None
        ):
            tables.fixes[chunk] = fix
        else:
            tables.ordinary.add(chunk)
    tables.seen.update(new)
    return tables


def _plain_pipeline(text: str) -> NormalizedText | None:
    """Safe text (see ``_is_safe``) from its chunks' tables, or None (the text is not safe).

    The usual case: every chunk is ordinary, so the text is plain (it needs nothing but
    lowercasing). Else each chunk that is not ordinary is fixed on its own (``_fixed_text``)."""
    lower = text.lower()
    chunks = lower.split()
    tables = _CHUNK_TABLES
    joined = None
    if tables.ordinary.issuperset(chunks):  # the usual case: one set test
        if text.isascii():
            return _plain_text(text, lower, chunks, tables, False, None, None)
        # Ordinary chunks are safe characters: so is the text, unless it has other whitespace or
        # the one unsafe character that lowercases to a safe one. This spares ``_is_safe``.
        joined = " ".join(chunks)  # ``words_joined``, asked for every message (history)
        if _KELVIN not in text and _safe_spaces(lower, joined, len(chunks)):
            has_vi = not tables.kept.isdisjoint(chunks)
            return _plain_text(text, lower, chunks, tables, has_vi, None, joined)
    if not _is_safe(text):
        return None
    if not tables.seen.issuperset(chunks):
        tables = _learn_chunks(chunks)
    if tables.ordinary.issuperset(chunks):
        has_vi = not tables.kept.isdisjoint(chunks)
        return _plain_text(text, lower, chunks, tables, has_vi, None, joined)
    return _fixed_text(text, lower, chunks, tables)


def _splice(text: str, edits: list[tuple[int, str]]) -> str:
    """``text`` with each (start, replacement) written over as many characters, in order."""
    out: list[str] = []
    pos = 0
    for start, rep in edits:
        out.append(text[pos:start])
        out.append(rep)
        pos = start + len(rep)
    out.append(text[pos:])
    return "".join(out)


def _fixed_text(text: str, lower: str, chunks: list[str], tables: _ChunkTables) -> NormalizedText:
    """A safe text with chunks that are not ordinary, chunk by chunk: what the general pipeline
    gives (``_words_pipeline`` below the plain-text shortcut), where every step stays inside a
    chunk. Its one text-wide choice is made here: the leet step runs on every chunk when a chunk
    passes ``_has_leet``, and the Vietnamese folding when a word is bad, or changed by leet in a
    text with a kept word. Ordinary chunks are unchanged by either.

    As before the general pipeline: a text whose non-ordinary chunks are not special, or only
    special for a leet variant (a mention), stays plain (lowercased; the variant on the side)."""
    ordinary = tables.ordinary
    fixes = tables.fixes
    found: list[
        tuple[int, str, _ChunkFix]
    ] = []  # where each non-ordinary chunk starts in ``lower``
    pos = 0
    for chunk in chunks:
        pos = lower.find(chunk, pos)  # the chunk's start: the gap before it is whitespace
        if chunk not in ordinary:
            found.append((pos, chunk, fixes[chunk]))
        pos += len(chunk)
    special = [fix for _, _, fix in found if fix.special]
    if all(fix.variant_only for fix in special):
        variant = None
        if special:
            variant = _splice(
                lower,
                [(p, fix.primary if fix.variant is None else fix.variant) for p, _, fix in found],
            )
        has_vi = not tables.kept.isdisjoint(chunks)
        return _plain_text(text, lower, chunks, tables, has_vi, variant, None)
    gate = not tables.gated.isdisjoint(chunks)  # an ordinary chunk may be the one (``1st``)
    kept_ordinary = not ordinary.isdisjoint(tables.kept.intersection(chunks))
    has_vi = kept_ordinary
    bad = has_variant = False
    words: list[tuple[int, str, tuple[int, ...]]] = []  # each chunk after leet, its changes
    signals: list[int] = []
    for p, chunk, fix in found:
        if gate:
            words.append((p, fix.primary, fix.changed))
            signals.extend(p + i for i in fix.changed)
            bad = bad or fix.primary_bad
            has_vi = has_vi or fix.primary_kept
            has_variant = has_variant or fix.variant is not None
        else:
            words.append((p, chunk, ()))
            bad = bad or fix.bad
            has_vi = has_vi or fix.kept
    edits = [(p, w) for p, w, _ in words]
    if bad or (signals and has_vi):
        has_vi = kept_ordinary
        edits = []
        for p, w, changed in words:
            folded, kept = _fold_words(w, changed)
            edits.append((p, folded))
            has_vi = has_vi or kept
    variant = None
    if has_variant:
        variant = _splice(
            lower, [(p, fix.primary if fix.variant is None else fix.variant) for p, _, fix in found]
        )
    nt = NormalizedText(
        text, _splice(lower, edits), None, variant, signals, has_vi, lower, None, None, None
    )
    if variant is None and not (signals and has_vi):
        # Each chunk of ``.text`` is searched as it would be alone: there is no leet variant
        # (read from the unfixed chunks), and no word changed by leet (not strict in the text)
        # stands in a text with strict words (where the chunk alone would make it strict).
        nt._fixed = (chunks, tables)
    return nt


def _plain_text(
    text: str,
    lower: str,
    chunks: list[str],
    tables: _ChunkTables,
    has_vi: bool,
    variant: str | None,
    joined: str | None,
) -> NormalizedText:
    """The ``NormalizedText`` of a plain text: its lowercase form, 1:1 with it."""
    return NormalizedText(
        text, lower, None, variant, (), has_vi, lower, (chunks, tables), None, joined
    )


def _plain_forms(text: str, chunks: list[str], tables: _ChunkTables) -> SearchForms:
    """``_search_forms`` of a plain text from its chunks (same result, from the chunk tables)."""
    squeezed = " ".join(filter(None, map(tables.squeezed.__getitem__, chunks)))
    sq = " " + squeezed + " " if squeezed else " "
    b = _to_bytes(text)
    folded = b.translate(_B_SEARCH).decode("latin-1")
    literal = None
    if "'" in text or "`" in text or "~" in text:
        literal = b.translate(_B_SEARCH_LIT).decode("latin-1")
    joined: tuple[tuple[str, tuple[int, ...]], ...] = ()
    if tables.two_single_words(chunks):
        cls = b.translate(_B_CLASS_SPLIT)
        if _SPLIT_PRE.Match(cls) is not None:
            joined = tuple(_joined_runs(folded, cls))
    return SearchForms((folded,), joined, literal, (sq,), (squeezed.split(),))


def _words_pipeline(text: str, *, entry: bool = False) -> NormalizedText:
    if not entry:
        nt = _plain_pipeline(text)
        if nt is not None:
            return nt
    # Step 1: clusters (skipped for safe text).
    signals: list[int]
    lower: str | None = None  # the regex view's text, when it is just the lowercase original
    b: bytes | None
    if text.isascii():
        w1 = lower = text.lower()
        omap: Sequence[int] | None = None  # one to one
        signals = []
        b = w1.encode("ascii")
    elif _is_safe(text):
        w1 = lower = text.lower()
        omap = None
        signals = []
        b = _to_bytes(w1)
    else:
        w1, omap, signals = _cluster_pass(text, _words_cluster, _WORDS_TABLES)
        b = _to_bytes(w1)
    # Step 2: leet.
    variant: str | None = None
    if _has_leet(b):
        w1, variant, changed = _apply_leet(w1, entry=entry)
        if changed:
            signals = sorted({*signals, *changed})
        b = _to_bytes(w1)
    # Step 3: Vietnamese words.
    has_vi = False
    if not b.isascii():
        bad, has_vi = _vi_info(b)
        if bad or (signals and has_vi):
            w1, has_vi = _fold_words(w1, signals)
            b = None
    return NormalizedText(text, w1, omap, variant, signals, has_vi, lower, None, b, None)


# A word (run of letters) holding a Vietnamese letter; other words fold to themselves. The
# lookbehind starts a match only at a word's start, so the lookahead scans each word once.
_VI_WORD = re.compile(r"(?<![^\W\d_])(?=[^\W\d_]*?[" + "".join(sorted(VI_LETTERS)) + r"])[^\W\d_]+")


def _fold_words(text: str, signals: Sequence[int]) -> tuple[str, bool]:
    """Fold each diacritic word that is not a clean syllable; report whether any stayed."""
    out: list[str] = []
    pos = 0
    kept = False
    for m in _VI_WORD.finditer(text):
        w = m.group()
        a, b = m.span()
        k = bisect_left(signals, a)
        clean = k >= len(signals) or signals[k] >= b
        if clean and is_syllable(w):
            kept = kept or any(c in VI_LETTERS for c in w)
            continue
        out.append(text[pos:a])
        out.append(fold(w))
        pos = b
    out.append(text[pos:])
    return "".join(out), kept


# Work bound: the views cover at most this many characters of a message, the longest a platform
# sends (Telegram 4,096 UTF-16 units, Discord 4,000), so every real message is normalized whole and
# a pathological one (100,000 characters of random Unicode, zalgo, emoji...) costs a bounded time
# (the first-seen cost of random Unicode grows with the bound: ~4 ms per 1,000 characters).
MAX_CHARS = 4096


# Recent messages normalized, by text: chat repeats itself ("lol", "ok", emoji, copy-paste spam
# waves), and a NormalizedText depends on its text only (its lazy views too). Short texts only,
# first in first out, bounded.
# An OrderedDict: dropping the oldest entry of a plain dict that churns is a scan over the holes
# left at its front (thousands of steps a message); here it is one step.
_RECENT: OrderedDict[str, NormalizedText] = OrderedDict()
_RECENT_SIZE = 4096
_RECENT_MAX_LEN = 512


def prepare() -> None:
    """Build the lazily built tables now (~0.1 s, once a process): the look-alike table and the
    mark patterns, so that the first unusual message does not pay for them."""
    _lookalikes()
    _attached_runs()


def recent_texts(size: int | None = None) -> int:
    """Forget the recent texts; with ``size``, keep that many from now on (0: none). Returns it."""
    global _RECENT_SIZE
    _RECENT.clear()
    if size is not None:
        _RECENT_SIZE = size
    return _RECENT_SIZE


def normalize(text: str) -> NormalizedText:
    """Normalize one message (see the module docstring); views are computed lazily."""
    nt = _RECENT.get(text)
    if nt is not None:
        return nt
    if len(text) > MAX_CHARS:
        nt = _words_pipeline(text[:MAX_CHARS])
        nt.original = text
        return nt
    nt = _words_pipeline(text)
    if len(text) <= _RECENT_MAX_LEN and _RECENT_SIZE:
        if len(_RECENT) >= _RECENT_SIZE:
            try:
                _RECENT.popitem(last=False)
            except KeyError:  # another thread (the toxicity scorer normalizes too) emptied it
                pass
        _RECENT[text] = nt
    return nt


@dataclass(frozen=True, slots=True)
class EntryForm:
    """A list entry as the word index sees it."""

    written: str  # normalized like a message (leading @ as a), wildcards removed
    folded: str  # ``search_text(written)`` with outer spaces stripped; empty = unusable
    literal: str  # the same with ``' ` ~`` kept (equal to ``folded`` when the entry has none)
    prefix_wild: bool
    suffix_wild: bool


@lru_cache(maxsize=65536)
def normalize_entry(word: str) -> EntryForm:
    """How a ``words``/``phrases`` entry is normalized (same steps as a message)."""
    core = word.strip()
    prefix = core.startswith("*")
    suffix = core.endswith("*") and len(core) > 1
    core = core.strip("*").strip()
    written = _words_pipeline(core, entry=True).text if core else ""
    return EntryForm(
        written=written,
        folded=search_text(written).strip(),
        literal=search_text(written, literal=True).strip(),
        prefix_wild=prefix,
        suffix_wild=suffix,
    )


# ----------------------------------------------------------------------------- regex and links


def _regex_view(original: str) -> TextView:
    if _is_safe(original):
        return TextView(original.lower(), range(len(original) + 1))
    text, omap, _ = _cluster_pass(original, _regex_cluster, _REGEX_TABLES)
    return TextView(text, omap)


_DEFANG = re.compile(
    r"\bhxxp(?=s?:)|\[\.\]|\(\.\)|\{\.\}|\[dot\]|\(dot\)|。"
    r"|(?<=[^\W_])\s+dot\s+(?=[^\W_])|(?<=[^\W_])\s+\.\s+(?=[^\W_])"
)


# What any link in the links view needs, tested on plain lowercase text (ASCII and Vietnamese
# letters, so the regex view is the text lowercased): a dot, or a defanged dot, between host
# characters; a colon after a scheme; a bracketed IPv6 address. In RE2, three times faster than
# Python's ``re``; ``\w`` and ``\s`` spelled out as Unicode classes (a test checks it against the
# ``re`` spelling).
_W = r"\pL\pN\pM_"  # \w
_S = r"\s\pZ\x0b\x1c-\x1f\x85"  # \s
_LINK_HINT = _search_set(
    rf"[{_W}-](?:\.|\[\.\]|\(\.\)|\{{\.\}}|\[dot\]|\(dot\))[{_W}-]"
    rf"|[\pL\pN\pM][{_S}]+(?:dot|\.)[{_S}]+[\pL\pN\pM]|[{_W}+-]:|\[[\p{{Nd}}a-f:.]{{2}}"
)


def has_link_marks(text: str) -> bool:
    """Whether a regex view's text has what a link in its links view needs: a dot (or a dot
    look-alike), a colon, or a spelled "dot" (defanged)."""
    return (
        "." in text
        or ":" in text
        or "dot" in text
        or "\u3002" in text
        or "\uff0e" in text
        or "\uff61" in text
    )


_WORD_OR_DASH = "_-"  # with the letters and digits: ``[\w-]`` on plain text
_WORD_OR_SIGN = "_+-"  # with the letters and digits: ``[\w+-]`` on plain text


def _plain_link_hint(lower: str) -> bool:
    """The link hint on plain lowercase text: False only when its links view can hold no link.

    Chat's dots and colons are looked at one by one (a few a message). A colon after a word
    character may end a scheme. A dot between word characters may end a host's label, but a link
    needs more after its last dot: a top-level domain (two characters at least, the public suffix
    list has no shorter one), an IPv4 address's number, or anything after ``www.``; so ``e.g.``,
    ``a.m.`` or ``đ.ị.t`` are no hint. A dot after whitespace (maybe spaced, ``a . b``) or a
    bracket (``[.]``), a bracket at all or a spelled "dot" are left to ``_LINK_HINT``'s RE2
    search, which costs several times more.
    """
    if "[" in lower or "dot" in lower:
        return _LINK_HINT.Match(lower) is not None
    find = lower.find
    if ":" in lower:
        i = find(":")
        while i >= 0:
            if i > 0 and (lower[i - 1].isalnum() or lower[i - 1] in _WORD_OR_SIGN):
                return True
            i = find(":", i + 1)
    last = len(lower) - 1
    i = find(".")
    while i >= 0:
        if 0 < i < last:
            before = lower[i - 1]
            if before.isspace() or before in "({":
                return _LINK_HINT.Match(lower) is not None
            after = lower[i + 1]
            if (
                (before.isalnum() or before in _WORD_OR_DASH)
                and (after.isalnum() or after in _WORD_OR_DASH)
                and (
                    (i + 1 < last and (lower[i + 2].isalnum() or lower[i + 2] in _WORD_OR_DASH))
                    or after.isdigit()
                    or lower[i - 3 : i] == "www"
                )
            ):
                return True
        i = find(".", i + 1)
    return False


_SPACED_HINT = re.compile(r"\s(?:\.|dot)")


def _has_spaced_hint(text: str) -> bool:
    """Whether ``_SPACED_HINT`` is found in ``text`` (whitespace, then a dot or "dot").

    Text whose only whitespace is spaces and newlines (nearly all chat) is answered by substring
    tests: a regex step at every character costs several times more. Whitespace is non-printable,
    the ASCII space aside; anything else goes to the regex.
    """
    flat = text.replace("\n", " ") if "\n" in text else text
    if " ." in flat or " dot" in flat:
        return True
    if flat.isprintable():
        return False
    return _SPACED_HINT.search(text) is not None


def _links_view(view: TextView) -> tuple[TextView, frozenset[int]]:
    """The links view and the positions of the dots that were spaced (`` . ``, `` dot ``)."""
    text = view.text
    # No defanged form in most messages: substring tests, not the slower regex scan.
    if not (
        "hxxp" in text
        or "[" in text
        or "(" in text
        or "{" in text
        or "。" in text
        or (("." in text or "dot" in text) and _has_spaced_hint(text))
    ):
        return view, frozenset()
    pieces: list[str] = []
    omap: list[int] = []
    spaced: list[int] = []
    pos = 0
    out_len = 0
    for m in _DEFANG.finditer(text):
        a, b = m.span()
        g = m.group()
        rep = "http" if g == "hxxp" else "."
        if rep == "." and g[:1].isspace():
            spaced.append(out_len + a - pos)
        pieces.append(text[pos:a])
        omap.extend(view.to_original[pos:a])
        pieces.append(rep)
        omap.extend([view.to_original[a]] * len(rep))
        out_len += a - pos + len(rep)
        pos = b
    if pos == 0:
        return view, frozenset()
    pieces.append(text[pos:])
    omap.extend(view.to_original[pos:])  # includes the final entry
    return TextView("".join(pieces), omap), frozenset(spaced)
