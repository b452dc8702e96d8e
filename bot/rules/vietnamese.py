"""Vietnamese letters: diacritic folding and a table-driven syllable well-formedness check.

A Vietnamese syllable is (onset)(rhyme) + at most one tone mark, where the rhyme is an optional
glide (``o``/``u``), a nucleus and an optional coda. Rather than model every phonotactic rule, the
checker uses the closed set of written rhymes of standard orthography (``RHYMES``), the spelling
rules that tie onsets to the following vowel (``c``/``k``, ``g``/``gh``, ``ng``/``ngh``, ``qu``)
and the tone rule for stop codas (``p``, ``t``, ``c``, ``ch`` only take the sắc or nặng tone). That
is enough to tell real syllables (``các``, ``lồn``, ``người``, ``nguyên``) from words that merely
carry diacritics (``fúck``, ``đm``, ``lồồồn``, ``dit`` without a tone on a stop coda).
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache

__all__ = [
    "VI_LETTERS",
    "VI_LOWER",
    "fold",
    "fold_char",
    "has_vietnamese_letter",
    "is_syllable",
]

# Vowel bases (with their shape mark) and tone marks, in the order of the Unicode combining marks.
_BASES = "aăâeêioôơuưy"
_TONES = ("", "\u0300", "\u0301", "\u0309", "\u0303", "\u0323")  # ngang, huyền, sắc, hỏi, ngã, nặng
_SAC, _NANG = 2, 5


def _build() -> tuple[dict[str, tuple[str, int]], dict[str, str]]:
    decomp: dict[str, tuple[str, int]] = {}
    folded: dict[str, str] = {}
    for base in _BASES:
        ascii_base = unicodedata.normalize("NFD", base)[0]
        for tone, mark in enumerate(_TONES):
            for b, a in ((base, ascii_base), (base.upper(), ascii_base.upper())):
                ch = unicodedata.normalize("NFC", b + mark)
                assert len(ch) == 1, ch
                decomp[ch] = (b.lower(), tone)
                folded[ch] = a
    decomp["đ"] = ("đ", 0)
    decomp["Đ"] = ("đ", 0)
    folded["đ"] = "d"
    folded["Đ"] = "D"
    return decomp, folded


_DECOMP, _FOLD = _build()

VI_LETTERS: frozenset[str] = frozenset(c for c in _FOLD if not c.isascii())
"""Every precomposed Vietnamese letter that is not ASCII (both cases, ``đ``/``Đ`` included)."""

VI_LOWER: tuple[str, ...] = tuple(sorted(c for c in VI_LETTERS if c.islower()))
"""The 67 lowercase non-ASCII Vietnamese letters, in a fixed order."""

_FOLD_TABLE = str.maketrans({c: a for c, a in _FOLD.items() if c != a})


def fold(text: str) -> str:
    """Vietnamese diacritics removed, ``đ`` to ``d``; one character in, one out."""
    return text.translate(_FOLD_TABLE)


def fold_char(ch: str) -> str:
    """One character folded (``ồ`` -> ``o``); anything else unchanged."""
    return _FOLD.get(ch, ch)


def has_vietnamese_letter(text: str) -> bool:
    """True if the text holds a precomposed Vietnamese letter with a diacritic (or ``đ``)."""
    return not text.isascii() and any(c in VI_LETTERS for c in text)


# Written rhymes (glide + nucleus + coda), without tone. The list is the standard orthography's
# inventory; rare loan spellings are left out on purpose (they read as non-syllables: folded).
RHYMES: frozenset[str] = frozenset(
    """
    a ac ach ai am an ang anh ao ap at au ay
    ăc ăm ăn ăng ăp ăt
    âc âm ân âng âp ât âu ây
    e ec em en eng eo ep et
    ê êch êm ên ênh êp êt êu
    i ia ich im in inh ip it iu
    iêc iêm iên iêng iêp iêt iêu
    y yêm yên yêng yêt yêu
    o oc oi om on ong op ot ooc oong
    ô ôc ôi ôm ôn ông ôp ôt
    ơ ơi ơm ơn ơp ơt
    u uc ui um un ung up ut ua
    uôc uôi uôm uôn uông uôt
    ư ưa ưc ưi ưm ưn ưng ưt ưu
    ươc ươi ươm ươn ương ươp ươt ươu
    oa oac oach oai oam oan oang oanh oao oap oat oay
    oăc oăm oăn oăng oăt
    oe oen oeo oet
    uân uâng uât uây
    uê uêch uênh
    uơ
    uy uya uych uyên uyêt uynh uyt uyu
    """.split()
)

_ONSETS = (
    "ngh",
    "ng",
    "nh",
    "ch",
    "gh",
    "gi",
    "kh",
    "ph",
    "qu",
    "th",
    "tr",
    "b",
    "c",
    "d",
    "đ",
    "g",
    "h",
    "k",
    "l",
    "m",
    "n",
    "p",
    "r",
    "s",
    "t",
    "v",
    "x",
    "",
)
_FRONT = frozenset("eêiy")  # vowels before which k/gh/ngh are written instead of c/g/ng
_STOPS = ("p", "t", "c", "ch")
_GLIDE_RHYME_STARTS = ("oa", "oă", "oe", "uâ", "uê", "uơ", "uy")


def _spelling_ok(onset: str, rhyme: str) -> bool:
    first = rhyme[0]
    if onset in ("c", "ng") and first in _FRONT:
        return False  # written k / ngh before e, ê, i, y
    if onset == "g" and first in _FRONT:
        return first == "i"  # "gì", "giêng": the onset gi merged with the vowel i
    if onset in ("k", "gh", "ngh") and first not in _FRONT:
        return False
    if onset == "qu":
        return first not in "ouư"  # qu already holds the glide: "qua", "quê", "quyên"
    if onset == "gi" and first == "i":
        return False  # parsed as g + "i..." instead
    if onset in ("b", "m", "p", "ph", "v") and rhyme.startswith(_GLIDE_RHYME_STARTS):
        return False  # labial onsets take no o/u glide
    return True


@lru_cache(maxsize=65536)
def is_syllable(word: str) -> bool:
    """True if ``word`` (lowercase, NFC) is a well-formed Vietnamese syllable."""
    if not 1 <= len(word) <= 7:
        return False
    bases: list[str] = []
    tone = 0
    for ch in word:
        if ch in _DECOMP:
            base, t = _DECOMP[ch]
            if t:
                if tone:
                    return False  # two tone marks
                tone = t
            bases.append(base)
        elif "a" <= ch <= "z":
            bases.append(ch)
        else:
            return False
    plain = "".join(bases)
    for onset in _ONSETS:
        if not plain.startswith(onset):
            continue
        rhyme = plain[len(onset) :]
        if not rhyme:
            continue
        if rhyme not in RHYMES or not _spelling_ok(onset, rhyme):
            continue
        if rhyme.endswith(_STOPS) and tone not in (_SAC, _NANG):
            continue
        return True
    return False
