"""Inline rule tests and ``modbot check``: failing samples are located and named; exit codes."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from bot.rules.loader import STRICT_ENV, load_rules_text_with_source, load_rules_with_source
from bot.rules.selftest import run_check, run_tests

DATA = Path(__file__).resolve().parent.parent / "data" / "rules"

RULES = """\
version: 1
rules:
  - id: hate-speech
    match: {words: ["slur1"]}
    actions: [delete]
    tests:
      match: ["you slur1", "nothing to see"]
      no_match: ["fine", "slur1 again"]
  - id: quiet
    enabled: false
    mode: shadow
    match: {phrases: ["buy now"]}
    actions: [alert]
    tests:
      match: ["please buy now"]
  - id: everyone
    match: {mass_mention: true}
    actions: [delete]
    tests:
      match: ["@everyone look"]
      no_match: "hello"
"""


@pytest.fixture(autouse=True)
def _strict(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(STRICT_ENV, "1")


def test_failing_samples_are_located_and_name_the_rule(tmp_path: Path) -> None:
    ruleset, source = load_rules_text_with_source(RULES, "rules.yaml", tmp_path)
    report = run_tests(ruleset, source)
    assert (report.rules, report.tests, report.passed) == (3, 7, 5)
    lines = [str(f) for f in report.failures]
    assert lines[0] == (
        'rules.yaml:7:28: rules[0].tests.match[1]: "nothing to see" should match rule '
        '"hate-speech" but did not'
    )
    assert lines[1].startswith(
        'rules.yaml:8:26: rules[0].tests.no_match[1]: "slur1 again" should not match rule '
        '"hate-speech" but did (words'
    )
    assert len(lines) == 2


def test_disabled_and_shadow_rules_are_tested_too(tmp_path: Path) -> None:
    ruleset, source = load_rules_text_with_source(
        RULES.replace('"please buy now"', '"nope"'), "rules.yaml", tmp_path
    )
    failures = [str(f) for f in run_tests(ruleset, source).failures]
    assert (
        'rules.yaml:15:15: rules[1].tests.match[0]: "nope" should match rule "quiet" but did not'
        in failures
    )


def test_run_check_ok(tmp_path: Path) -> None:
    good = tmp_path / "rules.yaml"
    good.write_text(
        RULES.replace(', "nothing to see"', "").replace(', "slur1 again"', ""), encoding="utf-8"
    )
    out, err = io.StringIO(), io.StringIO()
    assert run_check(str(good), out, err) == 0
    assert out.getvalue() == "ok: 3 rules, 5 tests passed\n"
    assert err.getvalue() == ""


def test_run_check_reports_failures_and_exits_1(tmp_path: Path) -> None:
    path = tmp_path / "rules.yaml"
    path.write_text(RULES, encoding="utf-8")
    out, err = io.StringIO(), io.StringIO()
    assert run_check(str(path), out, err) == 1
    lines = out.getvalue().splitlines()
    assert len(lines) == 2 and all(line.startswith(f"{path}:") for line in lines)
    assert "2 failing tests of 7" in err.getvalue()


def test_run_check_on_an_invalid_file_lists_problems(tmp_path: Path) -> None:
    out, err = io.StringIO(), io.StringIO()
    assert run_check(str(DATA / "duplicate_id.yaml"), out, err) == 1
    assert out.getvalue() == (
        f'{DATA / "duplicate_id.yaml"}:9:9: rules[2].id: duplicate rule id "spam" '
        "(first used by rules[0])\n"
    )
    assert "1 problem;" in err.getvalue()
    out = io.StringIO()
    assert run_check(str(tmp_path / "absent.yaml"), out, io.StringIO()) == 1
    assert "cannot read the file" in out.getvalue()


def test_valid_data_file_passes_its_tests() -> None:
    ruleset, source = load_rules_with_source(DATA / "valid.yaml")
    report = run_tests(ruleset, source)
    assert report.failures == () and report.tests == 5


def test_toxicity_samples_use_the_given_scorer(tmp_path: Path) -> None:
    text = """\
version: 1
rules:
  - id: toxic
    match: {toxicity: {at_least: 0.9}}
    actions: [delete]
    tests: {match: ["you are awful"], no_match: ["you are lovely"]}
"""
    ruleset, source = load_rules_text_with_source(text, "rules.yaml", tmp_path)

    def scorer(sample: str) -> dict[str, float]:
        return {"toxicity": 0.95 if "awful" in sample else 0.1}

    assert run_tests(ruleset, source, scorer=scorer).failures == ()


def test_check_warns_when_toxicity_samples_run_unscored(tmp_path: Path) -> None:
    """``ok`` still (the file is valid, its samples pass), but not silently."""
    path = tmp_path / "rules.yaml"
    path.write_text(
        """\
version: 1
toxicity: {backend: detoxify, model: /nonexistent/model}
rules:
  - id: toxic
    match: {toxicity: {at_least: 0.9}}
    actions: [delete]
    tests: {no_match: ["you are lovely"]}
""",
        encoding="utf-8",
    )
    out, err = io.StringIO(), io.StringIO()
    assert run_check(str(path), out, err) == 0
    assert out.getvalue() == "ok: 1 rule, 1 test passed\n"
    warning = err.getvalue()
    assert warning.startswith(f"{path}: warning: the toxicity scorer is unavailable: ")
    assert warning.endswith("; toxicity conditions were tested unscored\n")


def test_check_scores_samples_with_the_builtin_model(tmp_path: Path) -> None:
    """The built-in backend ignores ``toxicity.model`` (a detoxify name; ``original`` by default)."""
    path = tmp_path / "rules.yaml"
    path.write_text(
        """\
version: 1
toxicity: {backend: builtin}
rules:
  - id: toxic
    match: {toxicity: {at_least: 0.8}}
    actions: [delete]
    tests: {match: ["đ.ị.t m.ẹ m.à.y"], no_match: ["chúc mọi người một ngày vui vẻ"]}
""",
        encoding="utf-8",
    )
    out, err = io.StringIO(), io.StringIO()
    assert run_check(str(path), out, err) == 0, out.getvalue()
    assert err.getvalue() == ""
