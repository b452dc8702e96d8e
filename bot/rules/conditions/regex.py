"""`regex`: a pattern (RE2 syntax) matches the case-folded text.

What it matches:
    Any listed pattern, searched with RE2 (linear time: no catastrophic backtracking, no
    backreferences) in the text after NFKC, case folding and removal of invisible characters, with
    no leet, look-alike, repeat or diacritic folding: ``\\d`` means digits and Vietnamese works as
    typed. Patterns are NFC-normalized when loaded; since the text is case-folded, write patterns in
    lower case.

Parameters:
    A list of patterns.

Example:
    match: {regex: ['\\b\\d{9,11}\\b', 'zalo\\s*:?\\s*0\\d']}
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import re2

from bot.rules.conditions.base import CompileContext, Compiled, Condition, Match, Subject

Problems = list[tuple[tuple[str | int, ...], str]]

_OPTIONS = re2.Options()
_OPTIONS.log_errors = False  # RE2 otherwise prints every parse error to stderr


def prepare_pattern(pattern: str) -> str:
    """The pattern as it is compiled: NFC, like the text it is matched against."""
    return unicodedata.normalize("NFC", pattern)


def compile_pattern(pattern: str) -> Any:
    """Compile with RE2 (raises re2.error)."""
    return re2.compile(prepare_pattern(pattern), options=_OPTIONS)


def _unbalanced(pattern: str, opening: str, closing: str) -> int:
    """Index of the first unclosed ``opening`` (or stray ``closing``), skipping escapes and classes."""
    stack: list[int] = []
    i, in_class = 0, False
    while i < len(pattern):
        ch = pattern[i]
        if ch == "\\":
            i += 2
            continue
        if in_class:
            in_class = ch != "]"
        elif ch == "[" and opening == "(":
            in_class = True
        elif ch == opening:
            stack.append(i)
        elif ch == closing:
            if not stack:
                return i
            stack.pop()
        i += 1
    return stack[0] if stack else -1


def pattern_problem(pattern: str) -> str | None:
    """A readable RE2 error with the (1-based) position in the pattern, or None when it compiles."""
    if not pattern:
        return "empty pattern"
    try:
        compile_pattern(pattern)
    except re2.error as exc:
        detail = exc.args[0] if exc.args else str(exc)
        if isinstance(detail, bytes):
            detail = detail.decode("utf-8", "replace")
        what, _, fragment = str(detail).partition(": ")
        text = prepare_pattern(pattern)
        if "missing )" in what or "unexpected )" in what:
            position = _unbalanced(text, "(", ")")
        elif "missing ]" in what:
            position = text.rfind("[")
        else:
            position = text.find(fragment) if fragment else -1
        where = f" at position {position + 1}" if position >= 0 else ""
        hint = ""
        if "escape" in what or "perl operator" in what:
            hint = " (RE2 has no backreferences or lookaround)"
        shown = f' near "{fragment}"' if fragment and fragment != text else ""
        return f"invalid pattern{where}: {what}{shown}{hint}"
    return None


def _prepare(params: list[str], modifiers: Mapping[str, Any], base_dir: Path) -> Problems:
    if not params:
        return [((), "expected at least one pattern")]
    problems: Problems = []
    for i, pattern in enumerate(params):
        problem = pattern_problem(pattern)
        if problem is not None:
            problems.append(((i,), problem))
    return problems


def _compile(params: list[str], modifiers: Mapping[str, Any], cc: CompileContext) -> Compiled:
    compiled = [(cc.add_regex(prepare_pattern(p)), compile_pattern(p), p) for p in params]

    def matcher(subject: Subject) -> Match | None:
        for number, rx, pattern in compiled:
            if number not in subject.regex_hits:
                continue
            view = subject.nt.regex
            found = rx.search(view.text)
            if found is None:
                continue
            start, end = view.original_span(found.start(), found.end())
            return Match("regex", subject.nt.normalized_span(start, end), pattern)
        return None

    return Compiled(matcher, triggers=frozenset(("r", n) for n, _, _ in compiled))


CONDITION = Condition(
    key="regex",
    params=list[str],
    compile=_compile,
    summary="an RE2 pattern matches",
    prepare=_prepare,
)
