"""Readers split by member (``--jobs``): a worker's stream is the whole stream with the messages of
other workers' members replaced by ``Elsewhere`` markers - same order, same problems, same counts."""

from __future__ import annotations

import json
import random
import sys
from pathlib import Path
from typing import Any

import pytest

from bot.events import Message
from bot.replay import ReadProblem, ReadStats, iter_exports
from bot.replay.partition import Elsewhere, Owners, Part, part_of
from bot.replay.report import member_part

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "tests" / "data" / "exports"
sys.path.insert(0, str(ROOT / "bench"))

from gen_export import discord_messages, telegram_messages  # noqa: E402


def read(paths: list[str], part: Part | None) -> tuple[list[Any], ReadStats]:
    stats = ReadStats()
    return list(iter_exports(paths, stats, part)), stats


def assert_split_is_exact(paths: list[str], parts: int) -> None:
    whole, whole_stats = read(paths, None)
    owned = 0
    for index in range(parts):
        items, stats = read(paths, Part(index, parts))
        assert stats == whole_stats
        assert len(items) == len(whole)
        for full, got in zip(whole, items, strict=True):
            if isinstance(full, Message) and member_part(full, parts) != index:
                assert isinstance(got, Elsewhere)
                assert got.timestamp == full.timestamp
            else:
                assert type(got) is type(full)
                assert got == full
                if isinstance(full, Message):
                    assert got.extra == full.extra
                    owned += 1
    # Every message is replayed by exactly one worker.
    assert owned == sum(isinstance(m, Message) for m in whole)


def test_part_of_is_member_part() -> None:
    (first, *_), _ = read([str(DATA / "telegram_chat.json")], None)
    assert isinstance(first, Message)
    for parts in (2, 3, 7):
        assert member_part(first, parts) == part_of(
            "telegram", first.community_id, first.author.id, parts
        )
    owners = Owners(Part(1, 3), "telegram", first.community_id)
    assert owners.mine(first.author.id) is (member_part(first, 3) == 1)
    assert owners.mine(first.author.id) is (member_part(first, 3) == 1)  # remembered


@pytest.mark.parametrize("parts", [2, 3])
def test_sample_exports_split_exactly(parts: int) -> None:
    paths = sorted(str(p) for p in DATA.glob("*.json"))
    assert_split_is_exact(paths, parts)
    for path in paths:
        assert_split_is_exact([path], parts)


# Wrong values for fields the converters check, so malformed messages of every kind are met by
# workers that do not replay their member.
_TELEGRAM_BREAKS: list[tuple[str, Any]] = [
    ("text", 5),
    ("text", ["ok ", 3]),
    ("text", [{"type": "bold", "text": 1}]),
    ("text_entities", [{"type": "mention", "text": 7}]),
    ("poll", "question?"),
    ("poll", {"question": 4}),
    ("reply_to_message_id", [1]),
    ("id", None),
    ("photo", 1),
    ("file", 2),
    ("media_type", 3),
    ("from", 4),
    ("from_id", 5.5),
    ("date_unixtime", "yesterday"),
    ("type", "unsupported"),
]
_DISCORD_BREAKS: list[tuple[str, Any]] = [
    ("author", "someone"),
    ("content", 1),
    ("attachments", "x.png"),
    ("attachments", [1]),
    ("attachments", [{"fileName": 3}]),
    ("mentions", [1]),
    ("mentions", [{"id": 2.5}]),
    ("reference", 1),
    ("forwardedMessage", 2),
    ("forwardedMessage", {"content": 3}),
    ("type", 1),
    ("timestamp", 5),
    ("id", 1.5),
    ("author.roles", [1]),
    ("author.roles", [{"id": 1.5, "name": "x"}]),
    ("author.id", 2.5),
    ("author.name", 3),
]


def _broken(messages: list[dict[str, Any]], breaks: list[tuple[str, Any]]) -> list[Any]:
    rng = random.Random(7)
    out: list[Any] = []
    for m in messages:
        r = rng.random()
        if r < 0.15:
            key, value = rng.choice(breaks)
            if key.startswith("author.") and isinstance(m.get("author"), dict):
                m["author"] = dict(m["author"], **{key[7:]: value})
            else:
                m[key] = value
        elif r < 0.16:
            out.append(["not", "an", "object"])
        out.append(m)
    return out


def test_generated_telegram_export_with_malformed_messages_splits_exactly(tmp_path: Path) -> None:
    messages = _broken(list(telegram_messages(3000, seed=3, members=40)), _TELEGRAM_BREAKS)
    doc = {"name": "g", "type": "public_supergroup", "id": 77, "messages": messages}
    path = tmp_path / "result.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    _, stats = read([str(path)], None)
    assert stats.problems > 100 and stats.messages > 2000
    for parts in (2, 3):
        assert_split_is_exact([str(path)], parts)


def test_generated_discord_exports_with_malformed_messages_split_exactly(tmp_path: Path) -> None:
    paths = []
    for n, seed in ((2000, 4), (1500, 5)):
        messages = _broken(list(discord_messages(n, seed=seed, members=30)), _DISCORD_BREAKS)
        doc = {
            "guild": {"id": "1", "name": "G"},
            "channel": {"id": str(seed), "name": f"c{seed}"},
            "messages": messages,
        }
        path = tmp_path / f"c{seed}.json"
        path.write_text(json.dumps(doc), encoding="utf-8")
        paths.append(str(path))
    _, stats = read(paths, None)
    assert stats.problems > 100 and stats.messages > 2500
    for parts in (2, 3):
        assert_split_is_exact(paths, parts)


def test_problems_listed_once_and_read_counts_identical_in_every_worker(tmp_path: Path) -> None:
    path = tmp_path / "broken.json"
    text = (DATA / "telegram_chat.json").read_text(encoding="utf-8")
    path.write_text(text[: len(text) * 2 // 3], encoding="utf-8")  # truncated
    whole, _ = read([str(path)], None)
    problems = [p for p in whole if isinstance(p, ReadProblem)]
    assert problems and problems[-1].fatal
    assert_split_is_exact([str(path)], 2)
