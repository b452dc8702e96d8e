"""One Aho-Corasick word/phrase index per rule set, for the words, phrases and fuzzy conditions.

How an entry matches (see ``bot.rules.normalize`` for how the text is normalized):

- Entries are normalized like messages (``normalize_entry``), folded (no Vietnamese diacritics,
  every run of non-alphanumerics one space) and *squeezed* (a run of one letter becomes one
  letter). All of a rule set's entries go into one automaton, keyed with a space at each end so
  that the automaton itself enforces whole words; ``*`` at an end drops that space (a wildcard).
  The message's folded text is squeezed the same way and searched once per variant (leet ``1`` as
  ``i`` and as ``l``, a leading ``@`` as ``a``), so search time does not grow with the number of
  entries.
- Repeated letters: each hit is checked against the entry's run lengths - a run in the text may be
  longer than in the entry, never shorter (``fuuuck`` matches ``fuck``, ``as`` never matches
  ``ass``).
- Phrases and multi-word entries: the words in order, any whitespace or punctuation between them,
  whole words at both ends (``kind`` only decides whether ``fuzzy`` applies: words only).
- Split letters: each joined run (``f.u.c.k``, ``s l u r 1``) is searched as one word, so an entry
  must cover the whole run (``c l a s s`` does not match ``ass``); phrases are also tried without
  spaces.
- Vietnamese: the automaton matches folded text; a hit that covers a *strict* word (a well-formed
  syllable in a message typed with diacritics, see ``NormalizedText.is_strict``) stands only if
  that word equals the entry's word as written (``các`` does not match ``cặc``, ``ngủ`` not
  ``ngu``). So write entries with their diacritics: ``địt`` also catches ``dit``, ``d1t`` and
  ``đ.ị.t``; ``dit`` catches those but not a carefully typed ``địt``.
- Entries holding ``'``, `````` or ``~`` (teencode such as ``d'`` or ``di~``) are matched literally
  in a second automaton, against a text that keeps those marks; other punctuation in an entry is a
  gap.
- ``fuzzy`` (words only, no wildcard): Levenshtein distance (rapidfuzz, with ``score_cutoff``)
  between a squeezed word of the message and the squeezed entry, at most 1 for entries of 5+
  letters and 2 for 8+ letters (counted before squeezing; ``fuzzy: 2`` on a 5-7 letter entry allows
  1). Only entries that asked for it and only words within the length window are compared; strict
  words are not fuzzed.
"""

from __future__ import annotations

import re
from collections.abc import Hashable, Iterable
from dataclasses import dataclass
from typing import Any, Literal

import ahocorasick
from rapidfuzz import process
from rapidfuzz.distance import Levenshtein

from bot.rules.normalize import EntryForm, NormalizedText, Squeezed, normalize_entry
from bot.rules.vietnamese import VI_LETTERS

__all__ = ["WordEntry", "WordHit", "WordIndex"]

_J = "\x1f"  # boundary of a joined split-letter run (never in a search text otherwise)
_LETTER_RUN = re.compile(r"[^\W\d_]+")
_TOKEN = re.compile(r"[^ ]+")
_MAX_HITS = 256  # per message: conditions read the first hit, explain lists a few
_VI_SET = frozenset(VI_LETTERS)


def _strict(nt: NormalizedText, m: re.Match[str]) -> bool:
    """``nt.is_strict`` of a letter run of ``nt.text`` (see ``WordIndex._strict_ok``), asked of
    that word alone (``nt.run_is_strict``)."""
    word = m.group()
    if not word.isascii() and not _VI_SET.isdisjoint(word):
        return True
    return nt.run_is_strict(m.start(), m.end())


@dataclass(frozen=True, slots=True)
class WordEntry:
    """One entry of a ``words``/``phrases`` condition; ``key`` names the condition it belongs to."""

    key: Hashable
    pattern: str  # as written in the rules file; '*' at either end = wildcard
    kind: Literal["word", "phrase"]
    fuzzy: int = 0


@dataclass(frozen=True, slots=True)
class WordHit:
    """An entry found in the message: the span indexes ``NormalizedText.text``."""

    key: Hashable
    pattern: str
    start: int
    end: int
    fuzzy: bool = False


# Automaton value: (key length, lead boundary, trail boundary, ((entry, run profile, runs), ...))
_Value = tuple[int, int, int, tuple[tuple[int, tuple[int, ...] | None, tuple[str, ...]], ...]]


def _needs(squeezed: str, prof: tuple[int, ...] | None) -> tuple[str, ...]:
    """The letter runs an entry needs in the text (``coon``: ``oo``)."""
    if prof is None:
        return ()
    return tuple(sorted({c * r for c, r in zip(squeezed, prof, strict=True) if r > 1}))


def _profile(base: str) -> tuple[str, tuple[int, ...] | None]:
    """Squeezed form of an entry and the run length of each of its characters (None: all 1)."""
    sq = Squeezed(base)
    runs = tuple(1 if c == " " else sq.locate(i)[1] for i, c in enumerate(sq.s))
    return sq.s, (runs if any(r > 1 for r in runs) else None)


class WordIndex:
    """All word and phrase entries of a rule set in one automaton (plus one for literal entries)."""

    def __init__(self, entries: Iterable[WordEntry]) -> None:
        self._entries: list[WordEntry] = []
        self._forms: list[EntryForm] = []
        self._written: list[tuple[str, ...]] = []  # each entry's words as written (letter runs)
        main: dict[str, list[Any]] = {}
        literal: dict[str, list[Any]] = {}
        fuzzy: dict[tuple[int, int], tuple[list[str], list[int]]] = {}
        for entry in entries:
            if self.entry_problem(entry.pattern) is not None:
                continue
            i = len(self._entries)
            form = normalize_entry(entry.pattern)
            self._entries.append(entry)
            self._forms.append(form)
            self._written.append(tuple(_LETTER_RUN.findall(form.written)))
            is_literal = form.literal != form.folded
            table = literal if is_literal else main
            squeezed, prof = _profile(form.literal if is_literal else form.folded)
            lead = "" if form.prefix_wild else " "
            trail = "" if form.suffix_wild else " "
            table.setdefault(lead + squeezed + trail, []).append((i, prof, _needs(squeezed, prof)))
            if not is_literal:
                compact, cprof = _profile(form.folded.replace(" ", ""))
                jl = "" if form.prefix_wild else _J
                jt = "" if form.suffix_wild else _J
                main.setdefault(jl + compact + jt, []).append((i, cprof, _needs(compact, cprof)))
            if entry.fuzzy and entry.kind == "word" and not is_literal and " " not in squeezed:
                if form.prefix_wild or form.suffix_wild:
                    continue
                n = len(form.folded)
                k = 2 if entry.fuzzy >= 2 and n >= 8 else 1 if n >= 5 else 0
                if k:
                    bucket = fuzzy.setdefault((k, len(squeezed)), ([], []))
                    bucket[0].append(squeezed)
                    bucket[1].append(i)
        self._main = self._build(main)
        self._literal = self._build(literal)
        self._fuzzy = fuzzy
        self._fuzzy_min = min((length - k for k, length in fuzzy), default=0)
        self._fuzzy_cache: dict[str, tuple[tuple[int, int], ...]] = {}
        # Squeezed words known to have no fuzzy candidate: most words of a message, ruled out
        # together with one set difference.
        self._fuzzy_none: set[str] = set()
        # Characters of the fuzzy entries: a token with more characters outside them than the
        # largest allowed distance (2) has no candidate (``user1234``), without comparing.
        self._fuzzy_alphabet = frozenset("".join(s for bucket in fuzzy.values() for s in bucket[0]))

    @staticmethod
    def _build(keys: dict[str, list[Any]]) -> ahocorasick.Automaton | None:
        if not keys:
            return None
        automaton = ahocorasick.Automaton()
        for key, items in keys.items():
            lead = 1 if key[:1] in (" ", _J) else 0
            trail = 1 if key[-1:] in (" ", _J) and len(key) > lead else 0
            automaton.add_word(key, (len(key), lead, trail, tuple(items)))
        automaton.make_automaton()
        return automaton

    def __len__(self) -> int:
        return len(self._entries)

    @staticmethod
    def entry_problem(pattern: str) -> str | None:
        """Why an entry cannot be used (the loader reports it), or None."""
        core = pattern.strip().strip("*").strip()
        if not core:
            return "empty entry"
        if "*" in core:
            return "'*' is a wildcard only at the start or the end of an entry"
        if not normalize_entry(pattern).folded:
            return "nothing is left of this entry after normalization (no letters or digits)"
        return None

    # ------------------------------------------------------------------------------------ search

    def search(self, nt: NormalizedText) -> dict[Hashable, list[WordHit]]:
        """Every key with at least one hit, hits in text order."""
        forms = nt.search_forms()
        found: dict[tuple[int, int, int], bool] = {}
        squeezed: list[Squeezed] = []
        if self._main is not None:
            for t, s in zip(forms.texts, forms.squeezed, strict=True):
                sq = Squeezed(t, s, pad=" ")
                squeezed.append(sq)
                # Nothing squeezed (no doubled letter or space): indexes of ``s`` are the source's.
                self._scan(self._main, sq, nt, found, None, len(s) == len(t) + 2)
            for word, positions in forms.joined:
                sq = Squeezed(_J + word + _J)
                self._scan(self._main, sq, nt, found, positions)
        if self._literal is not None and forms.literal is not None:
            self._scan(self._literal, Squeezed(" " + forms.literal + " "), nt, found, None)
        if self._fuzzy:
            self._fuzzy_scan(nt, squeezed, forms.tokens, forms.joined, found)
        if not found:
            return {}
        out: dict[Hashable, list[WordHit]] = {}
        exact = {(i, start, end) for (i, start, end), fz in found.items() if not fz}
        for (i, start, end), fz in sorted(
            found.items(), key=lambda kv: (kv[0][1], kv[0][2], kv[0][0])
        ):
            if fz and any(j == i and s2 < end and start < e2 for (j, s2, e2) in exact):
                continue
            entry = self._entries[i]
            out.setdefault(entry.key, []).append(WordHit(entry.key, entry.pattern, start, end, fz))
        return out

    def _scan(
        self,
        automaton: ahocorasick.Automaton,
        sq: Squeezed,
        nt: NormalizedText,
        found: dict[tuple[int, int, int], bool],
        positions: tuple[int, ...] | None,
        unsqueezed: bool = False,
    ) -> None:
        for end, (klen, lead, trail, items) in automaton.iter(sq.s):
            if len(found) >= _MAX_HITS:
                break
            cs = end - klen + 1 + lead
            ce = end + 1 - trail
            if ce <= cs:
                continue
            span: tuple[int, int] | None = None
            for i, prof, needs in items:
                if prof is not None:
                    # A repeated letter of the entry (``coon``) must be repeated somewhere in the
                    # text: a substring test spares most hits (Vietnamese ``con``) the run map.
                    src = sq.src
                    if not all(n in src for n in needs) or not self._runs_ok(sq, cs, prof):
                        continue
                if span is None:
                    xs, xe = (cs, ce) if unsqueezed else sq.src_span(cs, ce)
                    if positions is None:
                        span = (xs - 1, xe - 1)  # the search text has one pad character
                    else:
                        span = (positions[xs - 1], positions[xe - 2] + 1)
                if positions is None and nt.typed_with_diacritics:
                    if not self._strict_ok(nt, i, *span):
                        continue
                found.setdefault((i, *span), False)

    @staticmethod
    def _runs_ok(sq: Squeezed, start: int, prof: tuple[int, ...]) -> bool:
        for j, need in enumerate(prof):
            if need > 1 and sq.locate(start + j)[1] < need:
                return False
        return True

    def _strict_ok(self, nt: NormalizedText, i: int, start: int, end: int) -> bool:
        """Strict words in the hit must equal the entry's words as written.

        Only words that differ from the entry's are asked about (every word when the counts
        differ). A word of ``nt.text`` holding a Vietnamese letter is strict without asking
        ``nt.is_strict`` (which classifies every word of the message on first use): normalization
        keeps such a word only when it is a clean, well-formed syllable and folds it otherwise
        (step 3 of ``bot.rules.normalize``), and this is only asked of a message typed with
        diacritics. ``tests/rules/test_textindex.py`` checks this against ``is_strict`` itself.
        """
        words = list(_LETTER_RUN.finditer(nt.text, start, end))
        written = self._written[i]
        if len(words) == len(written):
            for m, as_written in zip(words, written, strict=True):
                if m.group() != as_written and _strict(nt, m):
                    return False
            return True
        return not any(_strict(nt, m) for m in words)

    # ------------------------------------------------------------------------------------- fuzzy

    def _fuzzy_candidates(self, token: str) -> tuple[tuple[int, int], ...]:
        cached = self._fuzzy_cache.get(token)
        if cached is not None:
            return cached
        n = len(token)
        out: list[tuple[int, int]] = []
        alphabet = self._fuzzy_alphabet
        foreign = n - sum(map(alphabet.__contains__, token))  # each is at least one edit
        for k in (1, 2):
            if foreign > k:
                continue
            for length in range(n - k, n + k + 1):
                bucket = self._fuzzy.get((k, length))
                if bucket is None:
                    continue
                strings, ids = bucket
                for _choice, dist, idx in process.extract(
                    token, strings, scorer=Levenshtein.distance, score_cutoff=k, limit=None
                ):
                    out.append((ids[idx], int(dist)))
        result = tuple(out)
        if len(self._fuzzy_cache) > 50_000:
            self._fuzzy_cache.clear()
        self._fuzzy_cache[token] = result
        if not result:
            if len(self._fuzzy_none) > 200_000:
                self._fuzzy_none.clear()
            self._fuzzy_none.add(token)
        return result

    def _fuzzy_scan(
        self,
        nt: NormalizedText,
        squeezed: list[Squeezed],
        tokens: tuple[list[str], ...],
        joined: tuple[tuple[str, tuple[int, ...]], ...],
        found: dict[tuple[int, int, int], bool],
    ) -> None:
        min_len = self._fuzzy_min
        none = self._fuzzy_none
        for sq, words in zip(squeezed, tokens, strict=True):
            if none.issuperset(words):
                continue  # the usual case: every word already known to have no candidate
            maybe = set(words).difference(none)
            if not maybe:
                continue
            for w in list(maybe):
                if len(w) < min_len:
                    none.add(w)  # too short for any entry
                    maybe.discard(w)
                elif not self._fuzzy_candidates(w):
                    maybe.discard(w)
            if not maybe:
                continue
            for m in _TOKEN.finditer(sq.s):
                token = m.group()
                if token not in maybe:
                    continue
                cands = self._fuzzy_candidates(token)
                if not cands:
                    continue
                xs, xe = sq.src_span(*m.span())
                span = (xs - 1, xe - 1)
                if nt.typed_with_diacritics and nt.is_strict(*span):
                    continue
                for i, _dist in cands:
                    found.setdefault((i, *span), True)
        for word, positions in joined:
            token = Squeezed.squeeze(word)
            if len(token) < min_len:
                continue
            for i, _dist in self._fuzzy_candidates(token):
                found.setdefault((i, positions[0], positions[-1] + 1), True)
