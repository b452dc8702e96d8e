"""One rules file, one scenario, both platforms (real discord.py and PTB stacks): the same cases."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

import pytest

from bot.moderation.executor import Executor
from bot.moderation.pipeline import Pipeline
from bot.moderation.scheduler import Scheduler
from bot.platforms.discord import DiscordPlatform
from bot.platforms.telegram import TelegramPlatform
from bot.rules import load_rules
from bot.storage import Database
from bot.storage import cases as case_store
from tests.e2e.fake_discord import LOG_ID, TOKEN, FakeDiscord
from tests.e2e.fake_telegram import FakeTelegram

TG_GROUP = -1001000000042
TG_LOG = -1001000000043

RULES = f"""
version: 1
community: {{name: "Both", language: en}}
channels: {{log: {{discord: "{LOG_ID}", telegram: "{TG_LOG}"}}}}
toxicity: {{backend: "off"}}
escalation:
  strikes_expire: 30d
  ladder:
    - {{strikes: 2, action: mute, duration: 1h}}
    - {{strikes: 3, action: ban}}
rules:
  - id: swearing
    description: "No swearing."
    match: {{words: ["fuck*", "shit"]}}
    actions: [delete, strike]
  - id: scam
    description: "No scams."
    match: {{phrases: ["free nitro"]}}
    actions: [delete, kick, alert]
"""

# (speaker, text): two members, clean and bad messages, an evasion, the ladder, a kick.
SCENARIO = [
    ("alice", "hello everyone"),
    ("alice", "well shit"),
    ("bob", "free nitro here"),
    ("alice", "f.u.c.k this"),
    ("bob", "nice weather today"),
    ("alice", "shit again"),
]


def summary(cases: list[case_store.CaseRecord], names: dict[str, str]) -> list[tuple[Any, ...]]:
    """What must be equal across platforms: who, which rules, sanction, strikes, actions done.

    Per member in case order (members' messages are handled concurrently, each member's in order).
    """
    return [
        (
            names[c.user_id],
            c.rule_ids,
            c.sanction,
            c.strikes,
            c.strikes_after,
            tuple((a.kind, a.status) for a in sorted(c.actions, key=lambda a: a.seq)),
        )
        for c in sorted(cases, key=lambda c: (names[c.user_id], c.id))
    ]


async def settled_cases(db: Database, count: int) -> list[case_store.CaseRecord]:
    deadline = time.monotonic() + 10
    while True:
        found = list(reversed(await case_store.list_cases(db, limit=100)))
        done = all(a.status != "pending" for c in found for a in c.actions)
        if (len(found) >= count and done) or time.monotonic() > deadline:
            return found
        await asyncio.sleep(0.05)


async def assemble(db_path: Path, rules: Path) -> tuple[Database, Executor, Pipeline, Scheduler]:
    db = await Database.open(db_path)
    executor = Executor(db, backoff=0.05)
    pipeline = Pipeline(db, executor, load_rules(rules))
    scheduler = Scheduler(db, executor)
    executor.on_schedule = scheduler.wake
    return db, executor, pipeline, scheduler


async def run_discord(rules: Path, db_path: Path) -> list[tuple[Any, ...]]:
    async with FakeDiscord() as fake:
        members = {"alice": fake.member("alice"), "bob": fake.member("bob")}
        names = {str(m.user.id): n for n, m in members.items()}
        db, executor, pipeline, scheduler = await assemble(db_path, rules)
        platform = DiscordPlatform(TOKEN, api_url=fake.api_url, gateway_url=fake.gateway_url)
        executor.add_platform(platform)
        scheduler.start()
        try:
            await platform.start(pipeline)
            executor.bot_ids["discord"] = platform.bot_id or ""
            await fake.wait_connected()
            for who, text in SCENARIO:
                await fake.send_message(members[who], text)
                await asyncio.sleep(0.05)  # in order, as a person types
            cases = await settled_cases(db, 4)
        finally:
            await platform.stop()
            await scheduler.stop()
            await db.close()
        assert fake.violations == []
        return summary(cases, names)


async def run_telegram(rules: Path, db_path: Path) -> list[tuple[Any, ...]]:
    async with FakeTelegram() as fake:
        fake.chat(TG_GROUP, "Both")
        fake.chat(TG_LOG, "Both log")
        users = {"alice": fake.user(4201, "alice"), "bob": fake.user(4202, "bob")}
        names = {str(u.id): n for n, u in users.items()}
        db, executor, pipeline, scheduler = await assemble(db_path, rules)
        platform = TelegramPlatform(fake.token, fake.url, poll_timeout=1)
        executor.add_platform(platform)
        scheduler.start()
        try:
            await platform.start(pipeline)
            executor.bot_ids["telegram"] = platform.bot_id or ""
            for who, text in SCENARIO:
                fake.push(fake.message(TG_GROUP, users[who], text))
                await asyncio.sleep(0.05)
            cases = await settled_cases(db, 4)
        finally:
            await platform.stop()
            await scheduler.stop()
            await db.close()
        assert fake.violations == []
        return summary(cases, names)


@pytest.fixture(autouse=True)
def _no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")


async def test_same_scenario_same_cases(tmp_path: Path) -> None:
    rules = tmp_path / "rules.yaml"
    rules.write_text(RULES, encoding="utf-8")
    discord_cases = await run_discord(rules, tmp_path / "discord.db")
    telegram_cases = await run_telegram(rules, tmp_path / "telegram.db")
    assert discord_cases == telegram_cases
    assert [(c[0], c[1], c[2], c[4]) for c in discord_cases] == [
        ("alice", ("swearing",), None, 1),
        ("alice", ("swearing",), "mute", 2),
        ("alice", ("swearing",), "ban", 3),
        ("bob", ("scam",), "kick", 0),
    ]
    assert all(status == "done" for c in discord_cases for _, status in c[5])
