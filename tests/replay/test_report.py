"""Replay report over the sample exports: exact per-rule counts, samples, simulated escalation."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("bot.rules.engine", reason="the rules engine is not importable yet")

from bot.replay.report import run_replay

DATA = Path(__file__).resolve().parents[1] / "data" / "exports"
RULES = str(DATA / "replay_rules.yaml")
TG = str(DATA / "telegram_chat.json")
DC = [str(DATA / "discord_general.json"), str(DATA / "discord_offtopic.json")]


def replay_json(paths: list[str], samples: int = 5) -> tuple[dict[str, Any], str]:
    out, err = io.StringIO(), io.StringIO()
    assert run_replay(paths, RULES, True, samples, out, err) == 0
    return json.loads(out.getvalue()), err.getvalue()


def counts(doc: dict[str, Any]) -> dict[str, tuple[int, int, str]]:
    return {rid: (r["matched"], r["members"], r["mode"]) for rid, r in doc["rules"].items()}


def test_telegram_replay_counts() -> None:
    doc, err = replay_json([TG])
    assert doc["messages"] == 15 and doc["skipped"] == 6
    assert counts(doc) == {
        "followers-spam": (2, 2, "enforce"),  # edited message 6 (final text), 17; not the bot's 13
        "links": (4, 3, "shadow"),  # text link href (4), t.me invite (7), poll question (12), 22
        "invites": (1, 1, "enforce"),
        "everyone": (1, 1, "enforce"),  # "@all" in a photo caption
        "executables": (1, 1, "enforce"),
        "flood": (2, 1, "shadow"),  # Minh's 3rd message in 5 min, twice (the edited one counts)
        "newcomer-links": (1, 1, "enforce"),  # Lan joined by link 10 min before her poll
    }
    # Minh: warn (1 strike), then an invite (+2) crosses mute and ban: banned; his exe upload
    # afterwards would never have been sent. Tuấn: warn.
    assert doc["sanctions"] == {"warn": 2, "mute": 0, "kick": 0, "ban": 1}
    assert doc["sanctioned_members"] == {"warn": 2, "mute": 0, "kick": 0, "ban": 1}
    assert doc["actions"] == {"delete": 4, "alert": 1}
    assert "message #20 (id 20): text is int" in err
    assert doc["problems"] == [line for line in err.splitlines() if line]


def test_discord_replay_counts_across_channels_in_time_order() -> None:
    doc, _ = replay_json(DC)
    assert doc["messages"] == 11 and doc["skipped"] == 5
    assert counts(doc) == {
        "followers-spam": (3, 2, "enforce"),  # off-topic, edited, forwarded
        "links": (2, 2, "shadow"),
        "invites": (1, 1, "enforce"),
        "everyone": (1, 1, "enforce"),  # the moderator's @here is exempt
        "executables": (1, 1, "enforce"),  # attachment-only message
        "flood": (2, 1, "shadow"),  # Alice across #general and #off-topic
        "newcomer-links": (0, 0, "enforce"),
    }
    # Alice: invite (2 strikes) crosses warn and mute: muted 1h, so her next three matching
    # messages fall inside the mute. Bob: forwarded spam, warn.
    assert doc["sanctions"] == {"warn": 1, "mute": 1, "kick": 0, "ban": 0}
    assert doc["actions"] == {"delete": 2, "alert": 0}


def test_samples_highlight_the_matched_span() -> None:
    doc, _ = replay_json([TG], samples=1)
    (sample,) = doc["rules"]["followers-spam"]["samples"]
    start, end = sample["original_span"]
    assert sample["text"][start:end].casefold() == "buy cheap followers"
    assert sample["condition"] == "phrases"
    assert sample["member"] == "202" and sample["message_id"] == "6"
    assert len(doc["rules"]["links"]["samples"]) == 1
    assert doc["rules"]["newcomer-links"]["samples"][0]["message_id"] == "12"
    none, _ = replay_json([TG], samples=0)
    assert all(r["samples"] == [] for r in none["rules"].values())


def test_text_report_lists_rules_samples_and_escalation() -> None:
    out, err = io.StringIO(), io.StringIO()
    assert run_replay(DC, RULES, False, 3, out, err) == 0
    text = out.getvalue()
    assert "Replayed 11 messages from 2 files" in text
    for rid in ("followers-spam", "links", "invites", "everyone", "executables", "flood"):
        assert rid in text
    assert "[[buy cheap followers]]" in text  # highlighted without colour when piped
    assert "mute" in text and "Escalation" in text
    assert "\x1b[" not in text  # no escape codes when not a terminal
    assert "content is list" in err.getvalue()


def test_bad_rules_file_exits_1(tmp_path: Path) -> None:
    bad = tmp_path / "rules.yaml"
    bad.write_text("version: 2\nrules: []\n")
    out, err = io.StringIO(), io.StringIO()
    assert run_replay([TG], str(bad), True, 5, out, err) == 1
    assert out.getvalue() == "" and err.getvalue()


def test_unreadable_exports_are_reported_and_replay_goes_on(tmp_path: Path) -> None:
    junk = tmp_path / "junk.json"
    junk.write_text('{"hello": "world"}')
    doc, err = replay_json([str(junk), TG])
    assert doc["messages"] == 15
    assert f"{junk}: not a Telegram Desktop or DiscordChatExporter JSON export" in err


def test_a_folder_replays_every_json_file_in_it(tmp_path: Path) -> None:
    for p in DC:
        (tmp_path / Path(p).name).write_bytes(Path(p).read_bytes())
    (tmp_path / "notes.txt").write_text("not an export")
    doc, err = replay_json([str(tmp_path)])
    assert doc["messages"] == 11 and len(doc["files"]) == 2
    assert "notes.txt" not in err
