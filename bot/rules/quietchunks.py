"""Chunks known to hold no word-index hit, so a plain message made only of them skips the search."""

from __future__ import annotations

from collections.abc import Iterable
from typing import NamedTuple

from bot.rules.normalize import NormalizedText, Squeezed, normalize, normalize_entry
from bot.rules.textindex import WordEntry, WordIndex

# Why this is exact: a one-word entry matches inside one whitespace chunk of the message (its
# automaton key has no inner space, and chunk edges are word boundaries), so searching a chunk on
# its own finds every hit the message has in it, and more (a message typed with diacritics only
# removes hits). Two things join letters across chunks. A split-letter run, and a multi-word entry
# made of one-letter words (``s&m``), need two one-character words of different chunks next to
# each other: ``NormalizedText.word_chunks`` says None when the message has them (inside one
# chunk, searching the chunk alone finds them: ``2-1``, ``đ.ị.t``). Any other multi-word entry
# has a word of two letters or more, not at a wildcard end, that is then a whole (squeezed) word of
# the message: a chunk holding that word (the entry's *anchor*) is never called quiet. A one-letter
# word squeezed from a longer run (``sss``) makes the chunk loud when it is one of the letters of
# such an entry. An entry with a wildcard end whose other words are one letter each (``s m*``)
# needs no two one-character words side by side (``s mango``): its letters are anchors as words.


class Anchors(NamedTuple):
    """The words that make a chunk loud: any word squeezed to one of ``words``, and a word of two
    characters or more squeezed to one of ``letters``."""

    words: frozenset[str]
    letters: frozenset[str]


def entry_anchors(entries: Iterable[WordEntry]) -> Anchors | None:
    """For each multi-word entry, its longest word not at a wildcard end (squeezed, as the index
    compares it); None when an entry has no such word (then no chunk can be proved quiet)."""
    words: set[str] = set()
    letters: set[str] = set()
    for entry in entries:
        if WordIndex.entry_problem(entry.pattern) is not None:
            continue
        form = normalize_entry(entry.pattern)
        parts = form.folded.split()
        if len(parts) < 2:
            continue
        bounded = parts[1 if form.prefix_wild else 0 : len(parts) - 1 if form.suffix_wild else None]
        if not bounded:
            return None
        anchor = Squeezed.squeeze(max(bounded, key=len))
        if len(anchor) > 1:
            words.add(anchor)
        elif form.prefix_wild or form.suffix_wild:
            # The word at a wildcard end may be a long one (``s m*`` in ``s mango``): no two
            # one-character words need stand side by side, so each of these letters is an anchor
            # as a word of any length, a one-letter word of its own included.
            words.update(Squeezed.squeeze(w) for w in bounded)
        else:  # any of them may be the one squeezed from a run (``s mmm``): all are anchors
            letters.update(Squeezed.squeeze(w) for w in bounded)
    return Anchors(frozenset(words), frozenset(letters))


class QuietChunks:
    """What one rule set's word index finds in each chunk seen: nothing (quiet) or something."""

    def __init__(
        self, index: WordIndex, entries: Iterable[WordEntry], max_chunks: int = 100_000
    ) -> None:
        self._index = index
        self._anchors = entry_anchors(entries)
        # Two one-digit words side by side (``2-1``) join no split-letter run; they matter only
        # when an entry made of one-character words has a digit among them.
        self._digit_pairs = self._anchors is not None and any(
            c.isdigit() for c in self._anchors.letters
        )
        self._quiet: set[str] = set()
        self._loud: set[str] = set()
        self._max = max_chunks

    def no_hits(self, nt: NormalizedText) -> bool:
        """True only if the word index would find nothing in the message (False: search it)."""
        if self._anchors is None:
            return False
        chunks = nt.word_chunks(digit_pairs=self._digit_pairs)
        if chunks is None:
            return False
        quiet = self._quiet
        if quiet.issuperset(chunks):
            return True
        if not self._loud.isdisjoint(chunks):
            return False
        new = set(chunks).difference(quiet)
        if len(quiet) + len(self._loud) + len(new) > self._max:
            quiet.clear()
            self._loud.clear()
        result = True
        for chunk in new:
            if self._is_quiet(chunk):
                quiet.add(chunk)
            else:
                self._loud.add(chunk)
                result = False
        return result

    def _is_quiet(self, chunk: str) -> bool:
        alone = normalize(chunk)
        if alone.text != chunk:
            return False  # normalized alone it is not what the message's search reads
        forms = alone.search_forms()
        anchors = self._anchors
        assert anchors is not None
        for text, squeezed in zip(forms.texts, forms.tokens, strict=True):
            if not anchors.words.isdisjoint(squeezed):
                return False
            if anchors.letters and not anchors.letters.isdisjoint(
                sq for word, sq in zip(text.split(), squeezed, strict=True) if len(word) > 1
            ):
                return False
        return not self._index.search(alone)
