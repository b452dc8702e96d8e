"""``modbot score`` via run_score, and as a subprocess once bot/cli.py routes it."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from bot.toxicity.cli import run_score

ROOT = Path(__file__).resolve().parents[2]


def test_run_score_one_json_line_per_input_line() -> None:
    out = io.StringIO()
    lines = ["you are a fucking idiot", "", "chúc cả nhà ngủ ngon"]
    rc = run_score("builtin", io.StringIO("\n".join(lines) + "\n"), out)
    assert rc == 0
    rows = [json.loads(x) for x in out.getvalue().splitlines()]
    assert len(rows) == 3
    assert rows[0]["toxicity"] > 0.5 > rows[2]["toxicity"]


def test_run_score_unknown_backend_is_a_clear_error() -> None:
    err = io.StringIO()
    assert run_score("nope", io.StringIO("x\n"), io.StringIO(), stderr=err) == 2
    assert "unknown backend" in err.getvalue()


def test_run_score_as_subprocess() -> None:
    code = (
        "import sys; from bot.toxicity.cli import run_score; "
        "raise SystemExit(run_score('builtin', sys.stdin, sys.stdout))"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code],
        input="đm mày\nhello there\n",
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    rows = [json.loads(x) for x in proc.stdout.splitlines()]
    assert rows[0]["toxicity"] > 0.5 > rows[1]["toxicity"]


def test_modbot_score_command() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "bot", "score"],
        input="you stupid idiot\ngood morning\n",
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
        check=False,
    )
    if proc.returncode != 0 or not proc.stdout.strip():
        pytest.skip("bot/cli.py does not route `score` yet")
    rows = [json.loads(x) for x in proc.stdout.splitlines()]
    assert rows[0]["toxicity"] > 0.5 > rows[1]["toxicity"]
