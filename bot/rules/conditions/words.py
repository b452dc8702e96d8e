"""`words`: a listed word stands as a whole word in the fully normalized text.

What it matches:
    Any listed word, seen through leetspeak, look-alike letters, invisible characters, split and
    repeated letters and missing diacritics (see the normalization section of the rules reference).
    ``*`` at either end of an entry is a wildcard (``spam*`` matches ``spammer``). Beside ``words``,
    ``fuzzy: 1`` or ``2`` also accepts words within that many edits (entries of at least 5 / 8 letters),
    and ``words_file: PATH`` (relative to the rules file) adds one entry per line (``#`` starts a comment).

Parameters:
    A list of words; modifiers ``fuzzy`` (0, 1, 2) and ``words_file`` (a path).

Example:
    match: {words: ["scam*", "địt"], fuzzy: 1}
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from bot.rules.conditions.base import CompileContext, Compiled, Condition, Match, Subject
from bot.rules.textindex import WordEntry, WordIndex

Problems = list[tuple[tuple[str | int, ...], str]]


def read_words_file(path: Path) -> list[str]:
    """Entries of a words file: one a line, blank lines and ``#`` comments skipped."""
    out: list[str] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        entry = line.split("#", 1)[0].strip() if line.lstrip().startswith("#") else line.strip()
        if entry:
            out.append(entry)
    return out


def resolve_words_file(value: str, base_dir: Path) -> Path:
    """A words file path as written, relative to the rules file's folder."""
    path = Path(value).expanduser()
    return path if path.is_absolute() else base_dir / path


def entry_problems(entries: list[str], key: str) -> Problems:
    """Problems with individual entries (empty after normalization, ``*`` in the middle)."""
    problems: Problems = []
    for i, entry in enumerate(entries):
        problem = WordIndex.entry_problem(entry)
        if problem is not None:
            problems.append(((key, i), problem))
    return problems


def _prepare(params: list[str], modifiers: Mapping[str, Any], base_dir: Path) -> Problems:
    problems = entry_problems(params, "words")
    words_file = modifiers.get("words_file")
    if words_file is not None:
        path = resolve_words_file(words_file, base_dir)
        try:
            read_words_file(path)
        except FileNotFoundError:
            problems.append((("words_file",), f'file "{path}" does not exist'))
        except (OSError, UnicodeDecodeError) as exc:
            problems.append((("words_file",), f'cannot read "{path}": {exc}'))
    elif not params:
        problems.append((("words",), "expected at least one word"))
    return problems


def compile_word_entries(
    entries: list[str],
    kind: Literal["word", "phrase"],
    fuzzy: int,
    cc: CompileContext,
    key_name: str,
) -> Compiled:
    """Register entries in the rule set's shared index; the matcher reads this key's hits."""
    key = cc.new_key()
    cc.words.extend(WordEntry(key, entry, kind, fuzzy) for entry in entries)

    def matcher(subject: Subject) -> Match | None:
        hits = subject.word_hits.get(key)
        if not hits:
            return None
        hit = hits[0]
        return Match(key_name, (hit.start, hit.end), hit.pattern)

    return Compiled(matcher, triggers=frozenset({("w", key)}))


def _compile(params: list[str], modifiers: Mapping[str, Any], cc: CompileContext) -> Compiled:
    entries = list(params)
    words_file = modifiers.get("words_file")
    if words_file is not None:
        entries.extend(read_words_file(resolve_words_file(words_file, cc.base_dir)))
    return compile_word_entries(entries, "word", int(modifiers.get("fuzzy") or 0), cc, "words")


CONDITION = Condition(
    key="words",
    params=list[str],
    compile=_compile,
    summary="a listed word stands as a whole word",
    modifiers={"fuzzy": Literal[0, 1, 2], "words_file": str},
    prepare=_prepare,
)
