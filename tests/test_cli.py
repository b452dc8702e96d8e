"""The command line as a user runs it: subprocesses, exit codes, the explain JSON contract."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "rules.example.yaml"

RULES = """\
version: 1
toxicity: {backend: off}
rules:
  - id: swears
    match: {words: ["fuck*", "địt"]}
    actions: [delete, {strike: 2}]
  - id: watch
    mode: shadow
    match: {words: [acme]}
    actions: [alert]
  - id: invites
    match: {invites: true}
    actions: [delete, {reply: "no invites, {member}"}]
"""


def modbot(
    *args: str, stdin: str | None = None, cwd: Path = ROOT
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=120,
    )


def test_explain_json_shape(tmp_path: Path) -> None:
    rules = tmp_path / "rules.yaml"
    rules.write_text(RULES, encoding="utf-8")
    out = modbot("explain", "--rules", str(rules), "--json", "F.U.C.K acme discord.gg/x")
    assert out.returncode == 0, out.stderr
    obj = json.loads(out.stdout)
    assert obj["text"] == "F.U.C.K acme discord.gg/x"
    assert isinstance(obj["normalized"], str)
    by_rule = {m["rule"]: m for m in obj["matches"]}
    assert set(by_rule) == {"swears", "watch", "invites"}
    assert by_rule["watch"]["mode"] == "shadow"
    assert by_rule["swears"]["mode"] == "enforce"
    for m in obj["matches"]:
        start, end = m["span"]
        assert obj["normalized"][start:end] != ""
        assert {"rule", "mode", "condition", "span", "matched"} <= set(m)
    assert by_rule["swears"]["condition"] == "words"
    # Merged actions of enforced rules only: deleted once, the shadow alert is not among them.
    assert obj["actions"].count("delete") == 1
    assert {"strike": 2} in obj["actions"]
    assert "alert" not in obj["actions"]


def test_explain_clean_text_and_stdin_lines(tmp_path: Path) -> None:
    rules = tmp_path / "rules.yaml"
    rules.write_text(RULES, encoding="utf-8")
    out = modbot(
        "explain", "--rules", str(rules), "--json", "-", stdin="hello there\nđ ị t\n\nassassin\n"
    )
    assert out.returncode == 0, out.stderr
    lines = [json.loads(line) for line in out.stdout.splitlines()]
    assert [bool(o["matches"]) for o in lines] == [False, True, False, False]
    assert lines[0]["matches"] == [] and lines[0]["actions"] == []


def test_explain_human_output() -> None:
    out = modbot("explain", "--rules", str(EXAMPLE), "vào nhóm mình nè discord.gg/abc123")
    assert out.returncode == 0, out.stderr
    assert "no-invites" in out.stdout
    assert "[discord.gg/abc123]" in out.stdout


def test_check_example_passes() -> None:
    out = modbot("check", str(EXAMPLE))
    assert out.returncode == 0, out.stdout + out.stderr
    assert out.stdout.startswith("ok:")


def test_invalid_rules_for_explain_are_reported_without_traceback(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "version: 1\nrules:\n  - id: x\n    match: {wrds: [a]}\n    actions: [delete]\n",
        encoding="utf-8",
    )
    out = modbot("explain", "--rules", str(bad), "hi")
    assert out.returncode == 1
    assert "bad.yaml:4:" in out.stderr and 'did you mean "words"' in out.stderr
    assert "Traceback" not in out.stderr


def test_rules_default_to_the_example(tmp_path: Path) -> None:
    out = modbot("check", cwd=ROOT)
    assert out.returncode == 0, out.stdout + out.stderr


def test_schema_is_json() -> None:
    out = modbot("schema")
    assert out.returncode == 0
    schema = json.loads(out.stdout)
    assert "rules" in json.dumps(schema)


def test_score_lines() -> None:
    out = modbot("score", stdin="you are a stupid idiot\nhave a nice day\n")
    assert out.returncode == 0, out.stderr
    first, second = (json.loads(line) for line in out.stdout.splitlines())
    assert first["toxicity"] > 0.5 > second["toxicity"]


@pytest.mark.parametrize(
    ("name", "value", "error"),
    [
        ("MODBOT_LOG_FORMAT", "xml", 'modbot: MODBOT_LOG_FORMAT: "xml" is not json or console'),
        ("DISCORD_GUILD_IDS", "12,abc", 'modbot: DISCORD_GUILD_IDS: "abc" is not a guild id'),
    ],
)
def test_a_bad_setting_is_one_line_and_exit_2(name: str, value: str, error: str) -> None:
    env = {**os.environ, name: value}
    for entry in (["-m", "bot", "run"], ["-m", "bot.app"]):
        out = subprocess.run(
            [sys.executable, *entry, "--rules", str(ROOT / "rules.example.yaml")],
            input="",
            capture_output=True,
            text=True,
            cwd=ROOT,
            env=env,
            timeout=60,
        )
        assert out.returncode == 2
        assert out.stderr.strip() == error  # no traceback
