"""The shapes every condition shares: Match, Matcher, Compiled, Condition, CompileContext, Subject."""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.events import Message
from bot.rules.context import EvalContext
from bot.rules.normalize import NormalizedText, normalize
from bot.rules.textindex import WordEntry, WordHit


@dataclass(frozen=True, slots=True)
class Match:
    """Why a condition holds: its key, the span in the normalized text (if textual), what matched."""

    condition: str
    span: tuple[int, int] | None = None
    matched: str = ""


class Subject:
    """One message under evaluation, with everything derived from it computed at most once."""

    __slots__ = ("_nt", "ctx", "message", "regex_hits", "word_hits")

    def __init__(
        self,
        message: Message,
        ctx: EvalContext,
        nt: NormalizedText | None = None,
    ) -> None:
        self.message = message
        self.ctx = ctx
        self._nt = nt
        self.word_hits: Mapping[Hashable, list[WordHit]] = {}
        self.regex_hits: frozenset[int] = frozenset()

    @property
    def nt(self) -> NormalizedText:
        """The normalized text of the message."""
        if self._nt is None:
            self._nt = normalize(self.message.text)
        return self._nt


Matcher = Callable[[Subject], Match | None]

# A trigger names a text index hit ("w", key) or ("r", regex number) without which a matcher cannot
# hold; rules whose every trigger is absent are skipped without being evaluated.
Trigger = tuple[str, Hashable]


@dataclass(frozen=True, slots=True)
class Compiled:
    """A compiled condition: the matcher and, if it can only hold on an index hit, those triggers."""

    matcher: Matcher
    triggers: frozenset[Trigger] | None = None
    needs_scores: bool = False


@dataclass
class CompileContext:
    """Collects what all rules of one rule set share: word/phrase entries and regexes."""

    base_dir: Path = field(default_factory=Path.cwd)
    words: list[WordEntry] = field(default_factory=list)
    regexes: list[str] = field(default_factory=list)
    _next_key: int = 0

    def new_key(self) -> int:
        """A fresh key for one condition's entries in the shared word index."""
        self._next_key += 1
        return self._next_key

    def add_regex(self, pattern: str) -> int:
        """Add a pattern to the shared RE2 set; returns its number."""
        self.regexes.append(pattern)
        return len(self.regexes) - 1


@dataclass(frozen=True, slots=True)
class Condition:
    """One YAML condition key: how its value is validated and how it compiles to a matcher.

    ``params`` is a type pydantic can validate the YAML value against. ``modifiers`` are sibling
    keys this condition reads from the same mapping (``words`` reads ``fuzzy`` and ``words_file``).
    ``prepare`` may check the validated value further at load time and return problems as
    ``(relative path, message)`` pairs.
    """

    key: str
    params: Any
    compile: Callable[[Any, Mapping[str, Any], CompileContext], Compiled]
    summary: str
    modifiers: Mapping[str, Any] = field(default_factory=dict)
    prepare: (
        Callable[[Any, Mapping[str, Any], Path], list[tuple[tuple[str | int, ...], str]]] | None
    ) = None
