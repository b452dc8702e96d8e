"""Load a rules file into a RuleSet, or refuse it with every problem located by line and column."""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from bot.rules.schema import At, Loc, RuleSet, flatten_errors

log = logging.getLogger(__name__)

# Set in tests so an unexpected exception fails loudly instead of becoming a located problem.
STRICT_ENV = "MODBOT_STRICT_LOAD"

# Bounds for hostile files: YAML aliases can expand exponentially ("billion laughs").
MAX_NODES = 1_000_000
MAX_DEPTH = 200


@dataclass(frozen=True, slots=True)
class LocatedProblem:
    """One problem with a rules file: where it is (1-based line and column) and what is wrong.

    ``line`` 0 means the problem has no position (the file cannot be read at all).
    """

    file: str
    line: int
    col: int
    path: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}:{self.col}:" if self.line > 0 else f"{self.file}:"
        return f"{where} {self.path}: {self.message}" if self.path else f"{where} {self.message}"


class RulesError(Exception):
    """The rules file is not valid; ``problems`` lists every problem found, in file order."""

    def __init__(self, problems: Sequence[LocatedProblem]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


def format_path(loc: Iterable[str | int]) -> str:
    """``("rules", 3, "match")`` -> ``rules[3].match``."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif re.fullmatch(r"[\w-]+", part):
            out += f".{part}" if out else part
        else:
            out += f'["{part}"]'
    return out


@dataclass
class SourceMap:
    """Positions (1-based line, column) of every key and value in a composed YAML document."""

    file: str
    values: dict[Loc, tuple[int, int]] = field(default_factory=dict)
    keys: dict[Loc, tuple[int, int]] = field(default_factory=dict)
    # Values already reported as unreadable: what the schema says about them would be noise.
    unreadable: set[Loc] = field(default_factory=set)

    def position(self, loc: Loc, at: At = "value") -> tuple[int, int]:
        """Where to point for a problem at ``loc``; falls back to the nearest enclosing value."""
        loc = tuple(loc)
        if at == "parent" and loc:
            loc = loc[:-1]
        elif at == "key" and loc in self.keys:
            return self.keys[loc]
        while loc and loc not in self.values:
            loc = loc[:-1]
        return self.values.get(loc, (1, 1))

    def problem(self, loc: Loc, message: str, at: At = "value") -> LocatedProblem:
        """A problem at ``loc`` located in this file."""
        line, col = self.position(loc, at)
        # A missing key is reported on the mapping that lacks it; the message names the key.
        shown = loc[:-1] if at == "parent" and loc else loc
        return LocatedProblem(self.file, line, col, format_path(shown), message)


class _Problems(Exception):
    def __init__(self, problems: list[LocatedProblem]) -> None:
        self.problems = problems


def _mark(node: Node) -> tuple[int, int]:
    return node.start_mark.line + 1, node.start_mark.column + 1


class _Builder:
    """Turns composed YAML nodes into plain Python values, recording every node's position.

    PyYAML's own constructor silently keeps the last of duplicate keys and forgets positions, so
    mappings and sequences are built here; scalars still go through the safe constructor.
    """

    def __init__(self, source: SourceMap) -> None:
        self.source = source
        self.problems: list[LocatedProblem] = []
        self.constructor = yaml.constructor.SafeConstructor()
        self.count = 0
        self.active: set[int] = set()

    def build(self, node: Node, loc: Loc) -> Any:
        self.count += 1
        if self.count > MAX_NODES or len(loc) > MAX_DEPTH:
            raise _Problems(
                [self.source.problem(loc, "the file is too large or too deeply nested")]
            )
        self.source.values.setdefault(loc, _mark(node))
        if isinstance(node, ScalarNode):
            return self._scalar(node, loc)
        if id(node) in self.active:
            self.source.unreadable.add(loc)
            self.problems.append(
                self.source.problem(loc, "an alias refers to itself (*alias inside &anchor)")
            )
            return None
        self.active.add(id(node))
        try:
            if isinstance(node, SequenceNode):
                return [self.build(child, (*loc, i)) for i, child in enumerate(node.value)]
            if isinstance(node, MappingNode):
                return self._mapping(node, loc)
        finally:
            self.active.discard(id(node))
        return None

    def _scalar(self, node: ScalarNode, loc: Loc) -> Any:
        try:
            return self.constructor.construct_object(node, deep=True)
        except yaml.YAMLError as exc:
            self.source.unreadable.add(loc)
            self.problems.append(
                self.source.problem(loc, f"cannot read this value: {_yaml_reason(exc)}")
            )
            return None

    def _mapping(self, node: MappingNode, loc: Loc) -> dict[str, Any]:
        out: dict[str, Any] = {}
        first_seen: dict[str, int] = {}
        for key_node, value_node in self._pairs(node, loc):
            if not isinstance(key_node, ScalarNode):
                self.problems.append(
                    LocatedProblem(
                        self.source.file,
                        *_mark(key_node),
                        format_path(loc),
                        "a key must be plain text",
                    )
                )
                continue
            # Keys as written: `on:` or `123:` stay text, whatever YAML 1.1 would make of them.
            key = str(key_node.value)
            line, col = _mark(key_node)
            if key in first_seen:
                self.problems.append(
                    LocatedProblem(
                        self.source.file,
                        line,
                        col,
                        format_path((*loc, key)),
                        f'duplicate key "{key}" (first on line {first_seen[key]}); '
                        "YAML would silently keep only the last one",
                    )
                )
            else:
                first_seen[key] = line
            self.source.keys[(*loc, key)] = (line, col)
            self.source.values[(*loc, key)] = _mark(value_node)
            out[key] = self.build(value_node, (*loc, key))
        return out

    def _pairs(self, node: MappingNode, loc: Loc) -> list[tuple[Node, Node]]:
        # `<<: *defaults` merges another mapping in; its keys come first so local keys override.
        merged: list[tuple[Node, Node]] = []
        own: list[tuple[Node, Node]] = []
        for key_node, value_node in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                sources = value_node.value if isinstance(value_node, SequenceNode) else [value_node]
                for source in sources:
                    if isinstance(source, MappingNode):
                        merged.extend(self._pairs(source, loc))
                    else:
                        self.problems.append(
                            self.source.problem(loc, "<< merges a mapping (or a list of mappings)")
                        )
            else:
                own.append((key_node, value_node))
        own_keys = {k.value for k, _ in own if isinstance(k, ScalarNode)}
        return [(k, v) for k, v in merged if getattr(k, "value", None) not in own_keys] + own


def _yaml_reason(exc: yaml.YAMLError) -> str:
    problem = getattr(exc, "problem", None) or str(exc)
    context = getattr(exc, "context", None)
    text = str(problem)
    if "another document" in text:
        return "the file holds more than one YAML document (a second --- line); keep one"
    if context and context not in text:
        # The context mark is where the unclosed bracket or quote began: often the real mistake.
        mark = getattr(exc, "context_mark", None)
        where = f" that starts at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        text += f" ({context}{where})"
    if "'\\t'" in text or "\t" in text:
        text += "; YAML indents with spaces, not tabs"
    return text


def _compose(text: str, source: SourceMap) -> Node | None:
    try:
        return yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)
        raise _Problems(
            [LocatedProblem(source.file, line, col, "", f"not valid YAML: {_yaml_reason(exc)}")]
        ) from None
    except yaml.YAMLError as exc:
        raise _Problems([LocatedProblem(source.file, 1, 1, "", f"not valid YAML: {exc}")]) from None


def parse_yaml(text: str, filename: str = "rules.yaml") -> tuple[dict[str, Any], SourceMap]:
    """Compose YAML text to plain values with a map of positions; raise RulesError when it is not
    a YAML mapping, or has duplicate keys."""
    source = SourceMap(filename)
    try:
        data, problems = _parse(text, source)
    except _Problems as exc:
        raise RulesError(exc.problems) from None
    if problems:
        raise RulesError(problems)
    return data, source


def _parse(text: str, source: SourceMap) -> tuple[dict[str, Any], list[LocatedProblem]]:
    text = text.removeprefix("\ufeff")
    node = _compose(text, source)
    if node is None:
        raise _Problems(
            [
                LocatedProblem(
                    source.file,
                    1,
                    1,
                    "",
                    "the file is empty; a rules file starts with version: 1 and has rules:",
                )
            ]
        )
    if not isinstance(node, MappingNode):
        kind = "a list" if isinstance(node, SequenceNode) else "a single value"
        raise _Problems(
            [
                LocatedProblem(
                    source.file,
                    *_mark(node),
                    "",
                    "expected a mapping of keys (version:, rules:, ...) at the top level, "
                    f"found {kind}",
                )
            ]
        )
    builder = _Builder(source)
    data = builder.build(node, ())
    return data, builder.problems


def load_rules_text(
    text: str, filename: str = "rules.yaml", base_dir: str | Path | None = None
) -> RuleSet:
    """Validate rules-file text; relative ``words_file`` paths are read from ``base_dir``."""
    ruleset, _ = load_rules_text_with_source(text, filename, base_dir)
    return ruleset


def load_rules_text_with_source(
    text: str, filename: str = "rules.yaml", base_dir: str | Path | None = None
) -> tuple[RuleSet, SourceMap]:
    """Like ``load_rules_text``, also returning the positions of every key and value."""
    source = SourceMap(filename)
    base = Path(base_dir) if base_dir is not None else Path.cwd()
    try:
        data, problems = _parse(text, source)
        try:
            ruleset = RuleSet.model_validate(data, context={"base_dir": base})
        except ValidationError as exc:
            for loc, message, at in flatten_errors(exc.errors(include_url=False)):
                if not any(loc[:n] in source.unreadable for n in range(len(loc) + 1)):
                    problems.append(source.problem(loc, message, at))
        else:
            if not problems:
                return ruleset, source
    except _Problems as exc:
        problems = exc.problems
    except Exception as exc:
        if os.environ.get(STRICT_ENV):
            raise
        log.exception("unexpected error while loading %s", filename)
        problems = [
            LocatedProblem(
                filename, 1, 1, "", f"internal error while loading: {type(exc).__name__}: {exc}"
            )
        ]
    raise RulesError(_sorted_unique(problems))


def _sorted_unique(problems: list[LocatedProblem]) -> list[LocatedProblem]:
    seen: set[LocatedProblem] = set()
    out: list[LocatedProblem] = []
    for p in sorted(problems, key=lambda p: (p.line, p.col)):
        if p not in seen:
            seen.add(p)
            out.append(p)
    return out


def read_rules_file(path: str | Path) -> str:
    """The text of a rules file; RulesError when it cannot be read or is not UTF-8."""
    name = str(path)
    try:
        raw = Path(path).read_bytes()
    except OSError as exc:
        raise RulesError(
            [LocatedProblem(name, 0, 0, "", f"cannot read the file: {exc.strerror or exc}")]
        ) from None
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        before = raw[: exc.start]
        line = before.count(b"\n") + 1
        col = len(before[before.rfind(b"\n") + 1 :].decode("utf-8", "replace")) + 1
        raise RulesError(
            [LocatedProblem(name, line, col, "", "the file is not UTF-8 text; save it as UTF-8")]
        ) from None


def load_rules_with_source(path: str | Path) -> tuple[RuleSet, SourceMap]:
    """Load a rules file, also returning the positions of its keys and values."""
    text = read_rules_file(path)
    ruleset, source = load_rules_text_with_source(text, str(path), Path(path).parent)
    return ruleset.with_path(path), source


def load_rules(path: str | Path) -> RuleSet:
    """Load and validate a rules file; raise RulesError listing every problem."""
    return load_rules_with_source(path)[0]


__all__ = [
    "LocatedProblem",
    "RulesError",
    "SourceMap",
    "format_path",
    "load_rules",
    "load_rules_text",
    "load_rules_text_with_source",
    "load_rules_with_source",
    "parse_yaml",
    "read_rules_file",
]
