"""The playground and the app as subprocesses, against real SQLite files."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
RULES = """\
version: 1
community: {name: Test}
escalation:
  strikes_expire: 30d
  ladder:
    - {strikes: 1, action: warn}
    - {strikes: 2, action: mute, duration: 10m}
    - {strikes: 3, action: ban}
rules:
  - id: swearing
    description: "No swearing."
    match: {words: ["darn"]}
    actions: [delete, strike]
"""


@pytest.fixture
def rules(tmp_path: Path) -> Path:
    path = tmp_path / "rules.yaml"
    path.write_text(RULES)
    return path


def modbot(
    rules: Path, db: Path, stdin: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    full_env = {k: v for k, v in os.environ.items() if k not in ("TELEGRAM_TOKEN", "DISCORD_TOKEN")}
    full_env.update({"MODBOT_LOG_FORMAT": "json", **(env or {})})
    return subprocess.run(
        [sys.executable, "-m", "bot", "run", "--rules", str(rules), "--db", str(db)],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
        env=full_env,
    )


def test_playground_warn_mute_ban_and_strikes_survive_restart(rules: Path, tmp_path: Path) -> None:
    db = tmp_path / "play.db"
    out = modbot(rules, db, "hello\ndarn it\nDARN\n")
    assert out.returncode == 0, out.stderr
    assert "no rule matched" in out.stdout
    assert "ladder step 1: warn" in out.stdout and "ladder step 2: mute 10m" in out.stdout
    # A restart remembers the strikes: the third offence bans.
    out = modbot(rules, db, "d.a.r.n again\n")
    assert out.returncode == 0, out.stderr
    assert "strikes now: 3" in out.stdout and "ladder step 3: ban" in out.stdout
    assert "-> ban console-member permanently" in out.stdout
    con = sqlite3.connect(db)
    assert con.execute("SELECT count(*) FROM cases").fetchone() == (3,)
    assert con.execute("SELECT count(*) FROM reversals WHERE kind='unmute'").fetchone() == (1,)
    con.close()


def test_playground_with_the_example_rules(tmp_path: Path) -> None:
    example = ROOT / "rules.example.yaml"
    if not example.exists():
        pytest.skip("rules.example.yaml not there yet")
    out = modbot(example, tmp_path / "ex.db", "fuck\nfuck this\nfuuuck\n")
    assert out.returncode == 0, out.stderr
    steps = [line for line in out.stdout.splitlines() if "ladder step" in line]
    assert len(steps) == 3, out.stdout
    assert "warn" in steps[0] and "mute" in steps[1] and "ban" in steps[2]


def test_corrupt_database_is_a_clear_error(rules: Path, tmp_path: Path) -> None:
    db = tmp_path / "corrupt.db"
    db.write_bytes(b"garbage" * 1000)
    out = modbot(rules, db, "")
    assert out.returncode == 1
    assert str(db) in out.stderr and "corrupt" in out.stderr
    assert "Traceback" not in out.stderr


def test_database_folder_missing_is_a_clear_error(rules: Path, tmp_path: Path) -> None:
    db = tmp_path / "nope" / "x.db"
    out = modbot(rules, db, "")
    assert out.returncode == 1 and str(db) in out.stderr and "Traceback" not in out.stderr


def test_read_only_database_is_a_clear_error(rules: Path, tmp_path: Path) -> None:
    db = tmp_path / "ro.db"
    sqlite3.connect(db).close()
    db.chmod(0o444)
    immutable = False
    if os.geteuid() == 0:
        immutable = subprocess.run(["chattr", "+i", str(db)], capture_output=True).returncode == 0
        if not immutable:
            pytest.skip("cannot make a read-only file as root here")
    try:
        out = modbot(rules, db, "")
    finally:
        if immutable:
            subprocess.run(["chattr", "-i", str(db)], check=False)
        db.chmod(0o644)
    assert out.returncode == 1 and str(db) in out.stderr and "read-only" in out.stderr
    assert "Traceback" not in out.stderr


def test_action_pending_at_a_crash_is_carried_out_once_after_restart(
    rules: Path, tmp_path: Path
) -> None:
    db = tmp_path / "crash.db"
    # The child SIGKILLs itself right after the case commits, before any platform call.
    crashed = modbot(rules, db, "darn\n", env={"MODBOT_TEST_CRASH_AFTER_COMMIT": "1"})
    assert crashed.returncode == -signal.SIGKILL
    assert "-> delete" not in crashed.stdout
    con = sqlite3.connect(db)
    pending = con.execute("SELECT kind FROM case_actions WHERE status='pending' ORDER BY seq")
    assert [r[0] for r in pending] == ["delete", "warn", "log"]
    con.close()
    # Restart with no input: the pending actions are replayed, exactly once.
    first = modbot(rules, db, "")
    assert first.returncode == 0, first.stderr
    assert first.stdout.count("-> delete message 1") == 1
    assert first.stdout.count("-> say: you, this is a warning") == 1
    second = modbot(rules, db, "")
    assert second.returncode == 0 and "-> " not in second.stdout
    con = sqlite3.connect(db)
    statuses = con.execute("SELECT status, count(*) FROM case_actions GROUP BY status").fetchall()
    assert statuses == [("done", 3)]
    con.close()


def test_sigterm_stops_cleanly(rules: Path, tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("TELEGRAM_TOKEN", "DISCORD_TOKEN")}
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot", "run", "--rules", str(rules), "--db", str(tmp_path / "t.db")],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
        env=env,
    )
    assert proc.stdout is not None
    assert "playground" in proc.stdout.readline()  # running, stdin still open
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=10) == 0
    proc.stdin.close() if proc.stdin else None
