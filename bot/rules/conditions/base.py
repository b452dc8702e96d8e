"""The shapes every condition shares: Match, Matcher, Compiled, Condition, CompileContext, Subject."""

from __future__ import annotations

import re
from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.events import Message
from bot.rules.context import EvalContext
from bot.rules.history import text_key
from bot.rules.linkscan import Scanned, scan
from bot.rules.normalize import NormalizedText, TextView, normalize
from bot.rules.textindex import WordEntry, WordHit


@dataclass(frozen=True, slots=True)
class Match:
    """Why a condition holds: its key, the span in the normalized text (if textual), what matched."""

    condition: str
    span: tuple[int, int] | None = None
    matched: str = ""


class Subject:
    """One message under evaluation, with everything derived from it computed at most once."""

    __slots__ = (
        "_key",
        "_links",
        "_member",
        "_nt",
        "ctx",
        "message",
        "regex_hits",
        "word_hits",
    )

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
        self._links: tuple[TextView | None, tuple[Scanned, ...]] | None = None
        self._key: str | None = None
        self._member: tuple[str, str, str] | None = None

    @property
    def nt(self) -> NormalizedText:
        """The normalized text of the message."""
        if self._nt is None:
            self._nt = normalize(self.message.text)
        return self._nt

    @property
    def member_key(self) -> tuple[str, str, str]:
        """The history key of the message's author: (platform, community, member)."""
        if self._member is None:
            m = self.message
            self._member = (str(m.platform), m.community_id, m.author.id)
        return self._member

    @property
    def text_key(self) -> str:
        """The message's text as ``duplicates`` and the history compare it."""
        if self._key is None:
            self._key = text_key(self.nt.text)
        return self._key

    def links(self) -> tuple[TextView | None, tuple[Scanned, ...]]:
        """The links view (None when it cannot hold a link) and the links in it, scanned once for
        every ``links``/``invites`` condition of the message."""
        found = self._links
        if found is None:
            nt = self.nt
            if not nt.may_have_link:
                found = (None, ())
            else:
                view = nt.links
                scanned = scan(view.text)
                if scanned and (nt.spaced_link_dots or not nt.original.islower()):
                    scanned = tuple(s for s in scanned if not _sentence_dot(nt, view, s))
                found = (view, scanned)
            self._links = found
        return found


_WORD_AFTER = re.compile(r"[^\W_]")


def _sentence_dot(nt: NormalizedText, view: TextView, s: Scanned) -> bool:
    """A bare domain that reads as two sentences or words, not a link.

    Only a bare host (no scheme, no ``www.``, no path) followed by more words counts, and only
    when one of its dots was spaced in the message (``I did it . It was fun``, ``the dot com
    bubble``) or its suffix is written in title case (``Hi.How are you``). At the end of the
    message (``evil dot com``) or with a path (``bit dot ly/x``) it stays a link.
    """
    link = s.link
    if s.scheme or s.path or link.host.startswith("www."):
        return False
    text = view.text
    if _WORD_AFTER.search(text, link.end) is None:
        return False
    spaced = any(link.start <= d < link.end for d in nt.spaced_link_dots)
    if not spaced:
        last = text.rfind(".", link.start, link.end)
        if last < 0:
            return False
        start, end = view.original_span(last + 1, link.end)
        suffix = nt.original[start:end]
        if not (suffix[:1].isupper() and suffix[1:].islower()):
            return False
    return True


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
