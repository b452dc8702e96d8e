"""The shapes every condition shares: Match, Matcher, Compiled, Condition, CompileContext, Subject."""

from __future__ import annotations

import re
from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

from bot.events import Message
from bot.rules.conditions.casing import ASCII_UPPER, count_ascii, count_capitals
from bot.rules.context import EvalContext
from bot.rules.linkscan import Placed, Scanned, scan_placed
from bot.rules.normalize import NormalizedText, TextView, has_link_marks, normalize
from bot.rules.textindex import WordEntry, WordHit


@dataclass(frozen=True, slots=True)
class Match:
    """Why a condition holds: its key, the span in the normalized text (if textual), what matched.

    Always truthy: ``any`` chains its children's matchers with ``or``."""

    condition: str
    span: tuple[int, int] | None = None
    matched: str = ""


_NO_WORD_HITS: Mapping[Hashable, list[WordHit]] = MappingProxyType({})
_NO_REGEX_HITS: frozenset[int] = frozenset()


class Subject:
    """One message under evaluation, with everything derived from it computed at most once."""

    __slots__ = (
        "_links",
        "ctx",
        "member_key",
        "message",
        "nt",
        "regex_hits",
        "text_key",
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
        #: The normalized text of the message.
        self.nt = nt if nt is not None else normalize(message.text)
        #: The history key of the message's author: (platform, community, member).
        self.member_key = (str(message.platform), message.community_id, message.author.id)
        #: The text as ``duplicates`` and the history compare it: normalized, runs of whitespace
        #: as one space.
        self.text_key = self.nt.words_joined()
        # Set by the engine from the rule set's word index and RE2 set; shared constants until then
        # (most messages have no hit, and building empty containers for each would cost more).
        self.word_hits = _NO_WORD_HITS
        self.regex_hits = _NO_REGEX_HITS
        self._links: tuple[TextView | None, tuple[Placed, ...]] | None = None

    def links(self) -> tuple[TextView | None, tuple[Placed, ...]]:
        """The links view (None when it cannot hold a link) and the links in it, placed (a link at
        ``base, s`` spans ``base + s.link.start`` to ``base + s.link.end`` of the view), scanned
        once for every ``links``/``invites`` condition of the message."""
        found = self._links
        if found is None:
            nt = self.nt
            # Not the link hint: the engine asked it already (the links and invites conditions
            # are gated on it), and the scan finds nothing where it says no. Only its substring
            # tests, for a condition evaluated ungated (under ``not``).
            if not has_link_marks(nt.regex_text):
                found = (None, ())
            else:
                view = nt.links
                placed, bare = scan_placed(view.text)
                # Only a bare host can read as a sentence dot: most links (a scheme, a path) skip
                # the test.
                if bare and (nt.spaced_link_dots or not nt.original.islower()):
                    placed = tuple(p for p in placed if not _sentence_dot(nt, view, *p))
                found = (view, placed)
            self._links = found
        return found


_WORD_AFTER = re.compile(r"[^\W_]")


def _sentence_dot(nt: NormalizedText, view: TextView, base: int, s: Scanned) -> bool:
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
    link_start, link_end = base + link.start, base + link.end
    if _WORD_AFTER.search(text, link_end) is None:
        return False
    spaced = any(link_start <= d < link_end for d in nt.spaced_link_dots)
    if not spaced:
        last = text.rfind(".", link_start, link_end)
        if last < 0:
            return False
        start, end = view.original_span(last + 1, link_end)
        suffix = nt.original[start:end]
        if not (suffix[:1].isupper() and suffix[1:].islower()):
            return False
    return True


Matcher = Callable[[Subject], Match | None]

# A trigger names a text index hit ("w", key) or ("r", regex number) without which a matcher cannot
# hold; rules whose every trigger is absent are skipped without being evaluated.
Trigger = tuple[str, Hashable]


# Cheap numbers about a message, each an upper bound of what some conditions count. A condition
# that cannot hold below a minimum of one says so (``Compiled.needs``), and the engine skips it for
# messages under that minimum without calling it: most messages are short, lowercase, without a
# link, a mention or a recent message from the same member.
Feature = Callable[[Subject], int]


def _chars(subject: Subject) -> int:
    return len(subject.message.text)


def _lines(subject: Subject) -> int:
    text = subject.message.text
    if "\n" not in text:  # a C-level search, ten times cheaper than counting on non-ASCII text
        return 1 if text else 0
    return text.count("\n") + 1


def _capitals(subject: Subject) -> int:
    """The capitals ``caps`` counts first (in the text normalization covers): exact, so only
    shouting reaches a ``caps`` minimum, not every message with a capital."""
    text = subject.message.text
    if text.isascii():
        # Counted on the whole text (a bound of its first MAX_CHARS): one C-level translate.
        return count_ascii(text.encode("ascii"), ASCII_UPPER)
    nt = subject.nt
    if nt.plain and nt.regex_text == text:
        # Plain text that lowercasing leaves unchanged has no capital: one comparison of the text
        # normalization already lowercased, not a test per character.
        return 0
    return count_capitals(nt.source)


def _mention_marks(subject: Subject) -> int:
    """Platform mentions, ``@`` signs and the mass-mention flag: each mention needs one."""
    m = subject.message
    text = m.text
    # Most messages have no "@": one search, not a count.
    return len(m.mentions) + (text.count("@") if "@" in text else 0) + m.mass_mention


def _link_hint(subject: Subject) -> int:
    return 1 if subject.nt.may_have_link else 0


def _same_text(subject: Subject) -> int:
    """The member's messages in the history window with this message's text, this one included."""
    history = subject.ctx.history
    return 0 if history is None else history.same_text(subject.member_key, subject.text_key)


def _symbols(subject: Subject) -> int:
    """At most this many emoji: none in plain text (ASCII, Vietnamese letters) without a ``<``."""
    text = subject.message.text
    if "<" in text:
        return len(text)
    # ASCII text has no emoji (all at or above U+2300) without a "<": known without normalizing.
    return 0 if text.isascii() or subject.nt.plain else len(text)


def _attachment_count(subject: Subject) -> int:
    return len(subject.message.attachments)


def _scored(subject: Subject) -> int:
    return 1 if subject.ctx.scores else 0


FEATURES: dict[str, Feature] = {
    "chars": _chars,
    "lines": _lines,
    "capitals": _capitals,
    "mention_marks": _mention_marks,
    "link_hint": _link_hint,
    "same_text": _same_text,
    "symbols": _symbols,
    "attachments": _attachment_count,
    "scored": _scored,
}


def parameter_feature(name: str, feature: Feature) -> str:
    """Add ``feature`` to FEATURES under ``name`` unless one is there; return the name.

    For a feature of a condition's own parameters (its window, its run length): one for each value
    in the loaded rules, shared by the conditions with that value."""
    FEATURES.setdefault(name, feature)
    return name


# Alternatives ``(feature, minimum)``: the condition can hold only if some feature reaches its
# minimum. Necessary, never sufficient: the matcher still decides.
Needs = tuple[tuple[str, int], ...]


@dataclass(frozen=True, slots=True)
class Compiled:
    """A compiled condition: the matcher and what must be true of a message for it to hold.

    ``triggers``: index hits without which it cannot hold (None: not tied to the index).
    ``needs``: feature minimums without which it cannot hold (None: no cheap bound).
    """

    matcher: Matcher
    triggers: frozenset[Trigger] | None = None
    needs_scores: bool = False
    needs: Needs | None = None

    def __post_init__(self) -> None:
        unknown = [name for name, _ in self.needs or () if name not in FEATURES]
        if unknown:
            raise ValueError(f"unknown features {unknown}")


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
