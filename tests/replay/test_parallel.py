"""Replay split across worker processes by member gives exactly the single-process report."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from bot.replay.report import run_replay

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "tests" / "data" / "exports"


def replay_json(paths: list[str], rules: str, jobs: int) -> dict:
    out, err = io.StringIO(), io.StringIO()
    assert run_replay(paths, rules, True, 3, out, err, jobs=jobs) == 0, err.getvalue()
    return json.loads(out.getvalue())


def test_parallel_equals_serial_on_the_sample_exports() -> None:
    paths = [str(DATA)]
    rules = str(DATA / "replay_rules.yaml")
    assert replay_json(paths, rules, 1) == replay_json(paths, rules, 2)


@pytest.mark.parametrize("fmt", ["telegram", "discord"])
def test_parallel_equals_serial_on_a_generated_export(tmp_path: Path, fmt: str) -> None:
    export = tmp_path / "export.json"
    subprocess.run(
        [
            sys.executable,
            str(ROOT / "bench" / "gen_export.py"),
            "--format",
            fmt,
            "--messages",
            "6000",
            str(export),
        ],
        check=True,
        capture_output=True,
    )
    rules = str(ROOT / "rules.example.yaml")
    serial = replay_json([str(export)], rules, 1)
    parallel = replay_json([str(export)], rules, 3)
    assert serial["messages"] > 5000
    assert sum(r["matched"] for r in serial["rules"].values()) > 0
    assert parallel == serial


def test_default_jobs_follow_the_cores_this_process_may_use(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import os

    from bot.replay import report

    assert 1 <= report.available_cores() <= (os.cpu_count() or 1)
    small = tmp_path / "small.json"
    small.write_text("{}")
    big = tmp_path / "big.json"
    with big.open("wb") as f:
        f.truncate(report.PARALLEL_MIN_BYTES)
    monkeypatch.setattr(report, "available_cores", lambda: 2)
    assert report.default_jobs([str(small)]) == 1
    assert report.default_jobs([str(big)]) == 2
    monkeypatch.setattr(report, "available_cores", lambda: 16)
    assert report.default_jobs([str(big)]) == 4
