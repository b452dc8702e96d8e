"""The one table of conditions, the ``all``/``any``/``not`` combinators, and condition parsing.

Adding a condition: its own file here (copy ``_template.py``), one line in CONDITIONS, one test file.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from pydantic import TypeAdapter, ValidationError

from bot.rules.conditions import (
    account_age,
    attachments,
    caps,
    channels,
    duplicates,
    emoji,
    invites,
    length,
    lines,
    links,
    mass_mention,
    member_age,
    mentions,
    phrases,
    platform,
    rate,
    regex,
    repeated,
    roles,
    toxicity,
    words,
)
from bot.rules.conditions.base import (
    CompileContext,
    Compiled,
    Condition,
    Match,
    Matcher,
    Needs,
    Subject,
    Trigger,
)

CONDITIONS: dict[str, Condition] = {
    c.key: c
    for c in (
        words.CONDITION,
        phrases.CONDITION,
        regex.CONDITION,
        links.CONDITION,
        invites.CONDITION,
        mentions.CONDITION,
        mass_mention.CONDITION,
        caps.CONDITION,
        emoji.CONDITION,
        lines.CONDITION,
        length.CONDITION,
        repeated.CONDITION,
        attachments.CONDITION,
        rate.CONDITION,
        duplicates.CONDITION,
        toxicity.CONDITION,
        account_age.CONDITION,
        member_age.CONDITION,
        roles.CONDITION,
        channels.CONDITION,
        platform.CONDITION,
    )
}

COMBINATORS = ("all", "any", "not")
# Modifier key -> the condition key that reads it from the same mapping.
MODIFIERS: dict[str, str] = {m: c.key for c in CONDITIONS.values() for m in c.modifiers}
# A modifier that may stand alone: the owner is then implied with an empty value.
IMPLIES_OWNER: dict[str, list[str]] = {"words_file": []}

Path_ = tuple[str | int, ...]
Problem = tuple[Path_, str]


@dataclass(frozen=True, slots=True)
class Leaf:
    """One condition key with its validated value and modifiers."""

    key: str
    params: Any
    modifiers: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class AllOf:
    """Every child holds."""

    children: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class AnyOf:
    """At least one child holds."""

    children: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class Not:
    """The child does not hold."""

    child: Node


Node = Leaf | AllOf | AnyOf | Not

KNOWN_KEYS = sorted([*CONDITIONS, *COMBINATORS, *MODIFIERS])


def did_you_mean(key: str, known: list[str]) -> str:
    """`` (did you mean "x"?)`` for a close known key, else an empty string."""
    close = difflib.get_close_matches(key, known, n=1, cutoff=0.6)
    return f' (did you mean "{close[0]}"?)' if close else ""


@cache
def _adapter(tp: Any) -> TypeAdapter[Any]:
    return TypeAdapter(tp)


def describe_validation_error(exc: ValidationError) -> list[Problem]:
    """Pydantic errors as (relative path, owner-friendly message) pairs."""
    out: list[Problem] = []
    for err in exc.errors(include_url=False):
        loc = tuple(p for p in err["loc"] if not (isinstance(p, str) and p.startswith("function-")))
        out.append((loc, friendly_message(err)))
    return out


def friendly_message(err: Mapping[str, Any]) -> str:
    """Turn one pydantic error into the wording an owner reads."""
    kind = err.get("type", "")
    value = err.get("input")
    msg = str(err.get("msg", ""))
    if kind == "value_error":
        return msg.removeprefix("Value error, ")
    if kind == "missing":
        return f'missing required key "{err["loc"][-1]}"' if err.get("loc") else "missing value"
    if kind == "extra_forbidden":
        return f'unknown key "{err["loc"][-1]}"'
    if kind in ("int_type", "int_parsing", "int_from_float"):
        return f"expected a whole number, got {value!r}"
    if kind in ("float_type", "float_parsing"):
        return f"expected a number, got {value!r}"
    if kind in ("string_type",):
        return f"expected text, got {value!r}"
    if kind in ("bool_type", "bool_parsing"):
        return f"expected true or false, got {value!r}"
    if kind in ("list_type", "tuple_type"):
        return f"expected a list, got {value!r}"
    if kind in ("model_type", "dict_type", "model_attributes_type"):
        return f"expected a mapping, got {value!r}"
    if kind == "literal_error":
        expected = msg.removeprefix("Input should be ")
        return f"expected {expected}, got {value!r}"
    if kind in ("greater_than_equal", "less_than_equal", "greater_than", "less_than"):
        return f"{value!r}: {msg.removeprefix('Input should be ')}"
    return msg


def parse_condition(raw: object, base_dir: Path) -> tuple[Node | None, list[Problem]]:
    """Validate a condition mapping; return the node (None on problems) and every problem found."""
    problems: list[Problem] = []
    if not isinstance(raw, Mapping) or not raw:
        return None, [((), "expected a condition mapping, e.g. {words: [...]}")]
    children: list[Node] = []
    keys = set(raw)
    for key, value in raw.items():
        if not isinstance(key, str):
            problems.append(((), f"unknown key {key!r}"))
            continue
        if key in ("all", "any"):
            node, found = _parse_list(key, value, base_dir)
            problems += found
            if node is not None:
                children.append(node)
        elif key == "not":
            child, found = parse_condition(value, base_dir)
            problems += [(("not", *p), m) for p, m in found]
            if child is not None:
                children.append(Not(child))
        elif key in MODIFIERS:
            owner = MODIFIERS[key]
            if owner not in keys and key not in IMPLIES_OWNER:
                problems.append(((key,), f'"{key}" goes beside "{owner}"'))
            elif owner not in keys:
                node, found = _parse_leaf(owner, IMPLIES_OWNER[key], raw, base_dir)
                problems += found
                if node is not None:
                    children.append(node)
        elif key in CONDITIONS:
            node, found = _parse_leaf(key, value, raw, base_dir)
            problems += found
            if node is not None:
                children.append(node)
        else:
            problems.append(((key,), f'unknown condition "{key}"{did_you_mean(key, KNOWN_KEYS)}'))
    if problems:
        return None, problems
    return (children[0] if len(children) == 1 else AllOf(tuple(children))), []


def _parse_list(key: str, value: object, base_dir: Path) -> tuple[Node | None, list[Problem]]:
    if not isinstance(value, list) or not value:
        return None, [((key,), f"{key}: expected a non-empty list of conditions")]
    problems: list[Problem] = []
    nodes: list[Node] = []
    for i, item in enumerate(value):
        node, found = parse_condition(item, base_dir)
        problems += [((key, i, *p), m) for p, m in found]
        if node is not None:
            nodes.append(node)
    if problems:
        return None, problems
    return (AllOf(tuple(nodes)) if key == "all" else AnyOf(tuple(nodes))), []


def _parse_leaf(
    key: str, value: object, raw: Mapping[str, Any], base_dir: Path
) -> tuple[Node | None, list[Problem]]:
    condition = CONDITIONS[key]
    problems: list[Problem] = []
    params: Any = None
    try:
        params = _adapter(condition.params).validate_python(value)
    except ValidationError as exc:
        problems += [((key, *p), m) for p, m in describe_validation_error(exc)]
    modifiers: dict[str, Any] = {}
    for name, tp in condition.modifiers.items():
        if name not in raw:
            continue
        try:
            modifiers[name] = _adapter(tp).validate_python(raw[name])
        except ValidationError as exc:
            problems += [((name, *p), m) for p, m in describe_validation_error(exc)]
    if not problems and condition.prepare is not None:
        found = condition.prepare(params, modifiers, base_dir)
        problems += [(p if p and p[0] in condition.modifiers else (key, *p), m) for p, m in found]
    if problems:
        return None, problems
    return Leaf(key, params, modifiers), []


def compile_node(node: Node, cc: CompileContext) -> Compiled:
    """Compile a validated condition tree into one matcher with its triggers."""
    if isinstance(node, Leaf):
        return CONDITIONS[node.key].compile(node.params, node.modifiers, cc)
    if isinstance(node, Not):
        inner_compiled = compile_node(node.child, cc)
        inner = inner_compiled.matcher

        def negated(subject: Subject) -> Match | None:
            return None if inner(subject) is not None else Match("not")

        return Compiled(negated, None, inner_compiled.needs_scores)
    parts = [compile_node(child, cc) for child in node.children]
    matchers = [p.matcher for p in parts]
    needs_scores = any(p.needs_scores for p in parts)
    if isinstance(node, AllOf):
        # Text conditions first: they are the ones a prefilter already proved likely.
        order = sorted(range(len(parts)), key=lambda i: parts[i].triggers is None)
        ordered = [matchers[i] for i in order]

        def every(subject: Subject) -> Match | None:
            best: Match | None = None
            for m in ordered:
                found = m(subject)
                if found is None:
                    return None
                if best is None or (best.span is None and found.span is not None):
                    best = found
            return best

        # Any child's triggers, or needs, are necessary for the whole AND.
        triggers = next((p.triggers for i in order if (p := parts[i]).triggers is not None), None)
        needs = next((p.needs for p in parts if p.needs is not None), None)
        return Compiled(every, triggers, needs_scores, needs)

    some = _first_match(matchers)

    union: frozenset[Trigger] | None = frozenset()
    for p in parts:
        if p.triggers is None:
            union = None
            break
        union = union | p.triggers  # type: ignore[operator]
    # An OR can hold only where one of its children can: the alternatives of all of them.
    alternatives: Needs | None = None
    if all(p.needs is not None for p in parts):
        alternatives = tuple(alt for p in parts for alt in p.needs or ())
    return Compiled(some, union, needs_scores, alternatives)


def _first_match(matchers: list[Matcher]) -> Matcher:
    """One matcher giving the first child's match, children in order (``any``)."""
    # A Match is always truthy, so ``or`` chains stop at the first one. Written out for the usual
    # two or three children: a third cheaper than a loop (an ``any`` under a gate that passes often
    # runs on every such message).
    if len(matchers) == 2:
        first, second = matchers
        return lambda subject: first(subject) or second(subject)
    if len(matchers) == 3:
        first, second, third = matchers
        return lambda subject: first(subject) or second(subject) or third(subject)

    def some(subject: Subject) -> Match | None:
        for m in matchers:
            found = m(subject)
            if found is not None:
                return found
        return None

    return some


__all__ = [
    "COMBINATORS",
    "CONDITIONS",
    "MODIFIERS",
    "AllOf",
    "AnyOf",
    "CompileContext",
    "Compiled",
    "Condition",
    "Leaf",
    "Match",
    "Matcher",
    "Node",
    "Not",
    "Subject",
    "compile_node",
    "did_you_mean",
    "parse_condition",
]
