"""The rules engine: compile a rule set once, then decide each message with plain values."""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Literal

import re2

from bot.events import Message
from bot.rules.actions import EMPTY, ActionSet, merge_all
from bot.rules.conditions import CompileContext, Compiled, compile_node
from bot.rules.conditions.base import FEATURES, Subject, Trigger
from bot.rules.conditions.params import Window
from bot.rules.conditions.roles import name_set
from bot.rules.context import EvalContext
from bot.rules.normalize import NormalizedText, normalize, prepare
from bot.rules.quietchunks import QuietChunks
from bot.rules.textindex import WordHit, WordIndex

if TYPE_CHECKING:
    from bot.rules.schema import Rule, RuleSet

Mode = Literal["enforce", "shadow"]


@dataclass(frozen=True, slots=True)
class RuleMatch:
    """One rule that fired on a message: which condition, where in the normalized text, what."""

    rule_id: str
    mode: Mode
    description: str
    condition: str
    span: tuple[int, int] | None
    matched: str
    actions: ActionSet


@dataclass(slots=True)  # not frozen: one is built for every message, and frozen costs 5x more
class Decision:
    """What the rules say about one message: every match, and the merged actions to take.

    Never changed once built."""

    message: Message
    nt: NormalizedText
    matches: tuple[RuleMatch, ...]
    actions: ActionSet
    shadow_actions: ActionSet

    @property
    def normalized(self) -> str:
        """The fully normalized text that match spans index."""
        return self.nt.text

    @property
    def enforced(self) -> tuple[RuleMatch, ...]:
        """Matches of rules in enforce mode (the ones acted on)."""
        return tuple(m for m in self.matches if m.mode == "enforce")

    @property
    def shadow(self) -> tuple[RuleMatch, ...]:
        """Matches of shadow rules (recorded, only their alerts are carried out)."""
        return tuple(m for m in self.matches if m.mode == "shadow")


@dataclass(frozen=True, slots=True)
class _CompiledRule:
    position: int
    rule: Rule
    match: Compiled
    unless: Compiled | None


class Engine:
    """A compiled rule set. ``decide`` is synchronous and reads nothing but its arguments."""

    def __init__(self, ruleset: RuleSet, base_dir: Path | None = None) -> None:
        self.ruleset = ruleset
        if base_dir is None:
            source = getattr(ruleset, "path", None)
            base_dir = Path(source).parent if source else Path.cwd()
        prepare()  # one-time tables, built at load rather than on the first unusual message
        cc = CompileContext(base_dir=base_dir)
        self._rules: list[_CompiledRule] = []
        for rule in ruleset.rules:
            if not rule.enabled:
                continue
            match = compile_node(rule.match, cc)
            unless = compile_node(rule.except_, cc) if rule.except_ is not None else None
            self._rules.append(_CompiledRule(len(self._rules), rule, match, unless))
        self._index = WordIndex(cc.words) if cc.words else None
        self._quiet = QuietChunks(self._index, cc.words) if self._index is not None else None
        # Key of this rule set's hits in ``NormalizedText.memo``: a repeated text (normalized
        # once, see ``normalize``) is searched once.
        self._memo_key = object()
        # The compiled RE2 set itself, called with UTF-8 bytes: google-re2's Python wrapper adds
        # two calls and a type test per message (~40% of a short message's set search).
        regex_set = _regex_set(cc.regexes)
        self._regex_set: Any = regex_set._set if regex_set is not None else None
        always = [r for r in self._rules if r.match.triggers is None]
        # Rules tied to no index hit: evaluated on every message, or, when the condition bounds a
        # cheap feature of the message (``Compiled.needs``), on messages that reach the bound.
        self._always = [r for r in always if r.match.needs is None]
        self._always_positions = frozenset(r.position for r in self._always)
        gates: dict[str, list[tuple[int, int]]] = {}
        for r in always:
            for name, minimum in r.match.needs or ():
                gates.setdefault(name, []).append((minimum, r.position))
        # (feature, its smallest minimum, (minimum, rule) pairs in order): most messages are below
        # every minimum of most features, and one comparison says so.
        self._gates = [
            (FEATURES[name], min(pairs)[0], sorted(set(pairs))) for name, pairs in gates.items()
        ]
        self._by_trigger: dict[Trigger, list[int]] = {}
        for r in self._rules:
            for trigger in r.match.triggers or ():
                self._by_trigger.setdefault(trigger, []).append(r.position)
        # Ids of the rules whose match or except reads a toxicity score.
        self.scored_rules = frozenset(
            r.rule.id
            for r in self._rules
            if r.match.needs_scores or (r.unless is not None and r.unless.needs_scores)
        )
        self.needs_scores = bool(self.scored_rules)
        roles = ruleset.roles
        self._privileged_roles = name_set([*roles.moderators, *roles.exempt])
        self.history_window = _longest_window(ruleset)

    @property
    def rule_ids(self) -> list[str]:
        """Ids of the enabled rules, in file order."""
        return [r.rule.id for r in self._rules]

    def is_privileged(self, message: Message) -> bool:
        """Moderators, the owner and members with an exempt role are never auto-moderated."""
        author = message.author
        return (
            author.is_moderator
            or author.is_owner
            or (bool(self._privileged_roles) and author.has_role(self._privileged_roles))
        )

    def decide(self, message: Message, ctx: EvalContext) -> Decision:
        """Evaluate every rule against one message."""
        nt = normalize(message.text)
        subject = Subject(message, ctx, nt)
        history = ctx.history
        if history is not None and not message.edited:
            history.record(subject.member_key, message.timestamp, subject.text_key)
        candidates = self._candidates(subject)
        if not candidates:
            return Decision(message, nt, (), EMPTY, EMPTY)
        privileged = self.is_privileged(message)
        matches: list[RuleMatch] = []
        for r in candidates:
            rule = r.rule
            if privileged and rule.exempt_moderators:
                continue
            found = r.match.matcher(subject)
            if found is None:
                continue
            if r.unless is not None and r.unless.matcher(subject) is not None:
                continue
            matches.append(
                RuleMatch(
                    rule_id=rule.id,
                    mode=rule.mode,
                    description=rule.description or rule.id,
                    condition=found.condition,
                    span=found.span,
                    matched=found.matched,
                    actions=rule.actions,
                )
            )
        if not matches:
            return Decision(message, nt, (), EMPTY, EMPTY)
        enforced = merge_all(m.actions for m in matches if m.mode == "enforce")
        shadow = merge_all(m.actions for m in matches if m.mode == "shadow")
        return Decision(message, nt, tuple(matches), enforced, shadow)

    def _candidates(self, subject: Subject) -> list[_CompiledRule]:
        """Rules that can hold: those without triggers whose needs are met, and those whose index
        hits are present."""
        hit_rules: set[int] = set()
        for feature, lowest, minimums in self._gates:
            value = feature(subject)
            if value < lowest:
                continue
            for minimum, position in minimums:
                if minimum > value:
                    break
                hit_rules.add(position)
        by_trigger = self._by_trigger
        nt = subject.nt
        memo = nt.memo
        if memo is None or memo[0] is not self._memo_key:
            hits: Mapping[Hashable, list[WordHit]] = _NO_HITS
            index = self._index
            if index is not None and not (self._quiet and self._quiet.no_hits(nt)):
                hits = index.search(nt)
            numbers = None
            if self._regex_set is not None:
                numbers = self._regex_set.Match(nt.regex_text.encode("utf-8"))
            memo = nt.memo = (self._memo_key, hits, numbers)
        _, hits, numbers = memo
        if hits:
            subject.word_hits = hits
            for key in hits:
                hit_rules.update(by_trigger.get(("w", key), ()))
        if numbers:
            subject.regex_hits = frozenset(numbers)
            for n in numbers:
                hit_rules.update(by_trigger.get(("r", n), ()))
        if not hit_rules:
            return self._always
        rules = self._rules
        if self._always_positions:
            hit_rules |= self._always_positions
        return [rules[p] for p in sorted(hit_rules)]


_NO_HITS: Mapping[Hashable, list[WordHit]] = MappingProxyType({})


def _regex_set(patterns: list[str]) -> re2.Set | None:
    if not patterns:
        return None
    options = re2.Options()
    options.log_errors = False
    regex_set = re2.Set.SearchSet(options)
    for pattern in patterns:
        regex_set.Add(pattern)
    regex_set.Compile()
    return regex_set


def _longest_window(ruleset: RuleSet) -> timedelta:
    """The longest rate/duplicates window, so history keeps just enough."""
    from bot.rules.conditions import AllOf, AnyOf, Leaf, Node, Not

    longest = timedelta(minutes=1)

    def walk(node: Node | None) -> None:
        nonlocal longest
        if node is None:
            return
        if isinstance(node, Leaf):
            if isinstance(node.params, Window):
                longest = max(longest, node.params.within)
        elif isinstance(node, Not):
            walk(node.child)
        elif isinstance(node, AllOf | AnyOf):
            for child in node.children:
                walk(child)

    for rule in ruleset.rules:
        walk(rule.match)
        walk(rule.except_)
    return longest
