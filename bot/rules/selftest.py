"""Run every rule's inline ``tests:`` through the real engine, and ``modbot check`` itself."""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO

from bot.events import Author, Channel, Message, PlatformName
from bot.rules.context import EvalContext
from bot.rules.history import History
from bot.rules.loader import (
    STRICT_ENV,
    LocatedProblem,
    RulesError,
    SourceMap,
    load_rules_with_source,
)
from bot.rules.schema import RuleSet

log = logging.getLogger(__name__)

# Samples are tried as a message on each platform: a rule may only fire on one of them
# (`platform: telegram`, Telegram's text @all), and the owner's sample is meant for that one.
PLATFORMS = (PlatformName.DISCORD, PlatformName.TELEGRAM)
NOW = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)

Scorer = Callable[[str], Mapping[str, float]]


@dataclass(frozen=True, slots=True)
class TestReport:
    """The outcome of a rule set's inline tests."""

    rules: int
    tests: int
    failures: tuple[LocatedProblem, ...]
    unscored: str = ""  # why toxicity conditions were tested without scores ("" when they were not)

    @property
    def passed(self) -> int:
        """Samples that behaved as their rule says."""
        return self.tests - len(self.failures)


def sample_message(text: str, platform: PlatformName, number: int) -> Message:
    """A message from an ordinary member (no roles, not a moderator) in an ordinary channel."""
    return Message(
        platform=platform,
        community_id="selftest",
        channel=Channel("selftest-channel", "general"),
        message_id=f"selftest-{number}",
        author=Author(id="selftest-member", name="member"),
        text=text,
        timestamp=NOW,
    )


def _scorer(ruleset: RuleSet) -> tuple[Scorer | None, str]:
    """A blocking toxicity scorer for the file's backend, or None and why not."""
    settings = ruleset.toxicity
    if settings.backend == "off":
        return None, "toxicity.backend is off"
    try:
        from bot.toxicity import load_model

        # ``model`` names a detoxify model; the built-in backend has its own (as ``modbot explain``).
        model = load_model(
            settings.backend, settings.model if settings.backend == "detoxify" else None
        )
    except Exception as exc:  # any failure only means the samples run unscored
        return None, f"the toxicity scorer is unavailable: {exc}"
    return (lambda text: model.predict([text])[0]), ""


def run_tests(
    ruleset: RuleSet, source: SourceMap | None = None, scorer: Scorer | None = None
) -> TestReport:
    """Check each rule's samples: ``match`` ones must make that rule fire, ``no_match`` ones not.

    Disabled rules are tested too (as if enabled): an owner checks a rule before turning it on.
    ``scorer`` gives toxicity scores; by default the file's backend is loaded when a rule needs it.
    """
    from bot.rules.engine import Engine

    source = source or SourceMap(str(ruleset.path or "rules.yaml"))
    enabled = ruleset.model_copy(
        update={"rules": tuple(r.model_copy(update={"enabled": True}) for r in ruleset.rules)}
    )
    engine = Engine(enabled, base_dir=ruleset.base_dir)
    why_unscored = ""
    if scorer is None and engine.needs_scores:
        scorer, why_unscored = _scorer(ruleset)
    failures: list[LocatedProblem] = []
    total = 0
    number = 0
    for index, rule in enumerate(ruleset.rules):
        for kind, samples in (("match", rule.tests.match), ("no_match", rule.tests.no_match)):
            for i, text in enumerate(samples):
                total += 1
                fired: list[str] = []
                scores = scorer(text) if scorer is not None else None
                for platform in PLATFORMS:
                    number += 1
                    message = sample_message(text, platform, number)
                    ctx = EvalContext(now=NOW, history=History(), scores=scores)
                    for m in engine.decide(message, ctx).matches:
                        if m.rule_id == rule.id:
                            fired.append(
                                f"{m.condition}: {m.matched}" if m.matched else m.condition
                            )
                if kind == "match" and not fired:
                    note = f" ({why_unscored})" if why_unscored else ""
                    message_text = f'"{text}" should match rule "{rule.id}" but did not{note}'
                elif kind == "no_match" and fired:
                    message_text = (
                        f'"{text}" should not match rule "{rule.id}" but did ({fired[0]})'
                    )
                else:
                    continue
                failures.append(source.problem(("rules", index, "tests", kind, i), message_text))
    return TestReport(len(ruleset.rules), total, tuple(failures), why_unscored)


def run_check(path: str | Path, out: TextIO, err: TextIO | None = None) -> int:
    """``modbot check RULES``: problems, then failing samples, one a line; 0 when all is well."""
    err = err if err is not None else sys.stderr
    try:
        ruleset, source = load_rules_with_source(path)
    except RulesError as exc:
        for problem in exc.problems:
            out.write(f"{problem}\n")
        err.write(f"{path}: {_plural(len(exc.problems), 'problem')}; the file was not loaded\n")
        return 1
    try:
        report = run_tests(ruleset, source)
    except Exception as exc:
        if os.environ.get(STRICT_ENV):
            raise
        log.exception("unexpected error while running the tests of %s", path)
        problem = LocatedProblem(
            str(path), 1, 1, "", f"internal error while running tests: {type(exc).__name__}: {exc}"
        )
        out.write(f"{problem}\n")
        return 1
    if report.unscored:
        # Not a failure (the file is valid), but an "ok" must not hide it: the samples of
        # toxicity rules were decided as if no message were toxic.
        err.write(f"{path}: warning: {report.unscored}; toxicity conditions were tested unscored\n")
    for failure in report.failures:
        out.write(f"{failure}\n")
    if report.failures:
        err.write(f"{path}: {_plural(len(report.failures), 'failing test')} of {report.tests}\n")
        return 1
    out.write(f"ok: {_plural(report.rules, 'rule')}, {_plural(report.tests, 'test')} passed\n")
    return 0


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


__all__ = ["TestReport", "run_check", "run_tests", "sample_message"]
