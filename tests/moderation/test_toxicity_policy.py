"""``toxicity.on_error``: what the pipeline does when the scorer fails (real SQLite, fake platform)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fakes import RecordingPlatform

from bot.events import Author, Channel, Message, PlatformName
from bot.moderation.executor import Executor
from bot.moderation.pipeline import Pipeline
from bot.rules import Engine
from bot.rules.loader import load_rules_text
from bot.storage import Database, cases

T0 = datetime(2026, 2, 1, 12, 0, tzinfo=UTC)

RULES = """
version: 1
toxicity: {{backend: builtin, on_error: {on_error}}}
rules:
  - id: toxic
    match: {{toxicity: {{at_least: 0.8}}}}
    actions: [delete, strike]
  - id: spam
    match: {{words: [spam]}}
    actions: [delete]
"""


def message(text: str, n: int) -> Message:
    return Message(
        PlatformName.TELEGRAM, "-100", Channel("-100", "g"), str(n), Author("7", "ann"), text, T0
    )


class Scorer:
    """Fails while ``down``; otherwise scores "hate" as toxic."""

    def __init__(self) -> None:
        self.down = True

    async def __call__(self, text: str) -> dict[str, float]:
        if self.down:
            raise TimeoutError("scorer took longer than 2s")
        return {"toxicity": 0.99 if "hate" in text else 0.01}


def outage_alerts(platform: RecordingPlatform) -> int:
    return sum(1 for entry in platform.logs if entry.title == "Toxicity scorer unavailable")


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    database = await Database.open(tmp_path / "m.db")
    yield database
    await database.close()


async def pipeline_for(
    db: Database, on_error: str, scorer: Any, *, wait: bool = True
) -> tuple[Pipeline, RecordingPlatform]:
    ruleset = load_rules_text(RULES.format(on_error=on_error))
    platform = RecordingPlatform(PlatformName.TELEGRAM)
    executor = Executor(db, clock=lambda: T0)
    executor.add_platform(platform)
    pipeline = Pipeline(
        db,
        executor,
        ruleset,
        Engine(ruleset),
        clock=lambda: T0,
        scorer=scorer,
        wait_for_scores=wait,
    )
    return pipeline, platform


async def test_allow_lets_messages_through_and_alerts_once_per_outage(db: Database) -> None:
    scorer = Scorer()
    pipeline, platform = await pipeline_for(db, "allow", scorer)
    for n in range(3):
        handled = await pipeline.handle(message("I hate you", n))
        assert handled is not None and not handled.decision.matches
    assert outage_alerts(platform) == 1
    assert "delete_message" not in platform.methods()
    # Other rules still act during the outage.
    await pipeline.handle(message("buy spam", 10))
    assert platform.methods().count("delete_message") == 1
    # Recovery, then a new outage: one more alert.
    scorer.down = False
    handled = await pipeline.handle(message("I hate you", 11))
    assert handled is not None and [m.rule_id for m in handled.decision.matches] == ["toxic"]
    scorer.down = True
    await pipeline.handle(message("hello", 12))
    await pipeline.handle(message("hello again", 13))
    assert outage_alerts(platform) == 2


async def test_hold_deletes_and_alerts_for_review_without_strikes(db: Database) -> None:
    pipeline, platform = await pipeline_for(db, "hold", Scorer())
    handled = await pipeline.handle(message("maybe nice, maybe not", 1))
    assert handled is not None and handled.outcome is not None
    case = await cases.get_case(db, handled.outcome.case_id)
    assert case is not None
    assert "held for review" in case.reason or "giữ lại" in case.reason
    assert "delete_message" in platform.methods()
    assert "post_log" in platform.methods()
    assert not {"mute", "ban", "kick"} & set(platform.methods())
    member = await pipeline.db.fetchone("SELECT COUNT(*) FROM strikes", ())
    assert member is not None and member[0] == 0


class BlockedScorer:
    """A scorer that answers nothing until released: the slowest scorer there is."""

    def __init__(self) -> None:
        self.release = asyncio.Event()
        self.waiting = 0

    async def __call__(self, text: str) -> dict[str, float]:
        self.waiting += 1
        await self.release.wait()
        return {"toxicity": 0.99 if "hate" in text else 0.01}


async def test_slow_scorer_never_delays_word_rules(db: Database) -> None:
    """A burst of 500 messages while the scorer is stuck: word-rule deletes happen at once."""
    scorer = BlockedScorer()
    pipeline, platform = await pipeline_for(db, "allow", scorer, wait=False)
    for n in range(500):
        await pipeline.handle(message(f"ordinary chat {n}", n))
    toxic = await pipeline.handle(message("I hate you", 1001))
    assert toxic is not None and not toxic.decision.matches  # its toxicity pass is still pending
    # Every handle() returned while all 501 scores are still pending.
    await asyncio.sleep(0)
    assert scorer.waiting == 501
    handled = await pipeline.handle(message("buy spam now", 1000))
    assert handled is not None and [m.rule_id for m in handled.decision.matches] == ["spam"]
    assert platform.methods().count("delete_message") == 1  # done before any score exists
    scorer.release.set()
    await pipeline.drain()
    assert platform.methods().count("delete_message") == 2  # and the toxic one, once scored
    assert len(await db.fetchall("SELECT id FROM cases ORDER BY id", ())) == 2
