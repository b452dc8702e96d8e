"""Joins: recorded, and welcomed with the rules file's template where the platform welcomes."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fakes import RecordingPlatform

from bot.events import Author, MemberJoin, PlatformName
from bot.moderation.executor import Executor
from bot.moderation.pipeline import Pipeline
from bot.rules.loader import load_rules_text
from bot.storage import Database

T0 = datetime(2026, 2, 1, 12, 0, tzinfo=UTC)
RULES = """
version: 1
community:
  name: "Hội đọc sách"
  language: vi
  welcome: "Chào mừng {member} đến với {community}! Gõ /rules để đọc nội quy."
rules:
  - {id: spam, match: {words: [spam]}, actions: [delete]}
"""


@pytest.fixture
async def setup(tmp_path: Path) -> AsyncIterator[tuple[Pipeline, RecordingPlatform]]:
    db = await Database.open(tmp_path / "w.db")
    platform = RecordingPlatform(PlatformName.TELEGRAM)
    executor = Executor(db, clock=lambda: T0)
    executor.add_platform(platform)
    yield Pipeline(db, executor, load_rules_text(RULES), clock=lambda: T0), platform
    await db.close()


async def test_join_is_welcomed(setup: tuple[Pipeline, RecordingPlatform]) -> None:
    pipeline, platform = setup
    join = MemberJoin(PlatformName.TELEGRAM, "-100", Author("5", "Lan"), T0, "g", channel_id="-100")
    await pipeline.handle(join)
    (call,) = [c for c in platform.calls if c.method == "send_message"]
    assert "Chào mừng Lan đến với Hội đọc sách! Gõ /rules" in str(call)


async def test_no_channel_or_bot_no_welcome(setup: tuple[Pipeline, RecordingPlatform]) -> None:
    pipeline, platform = setup
    await pipeline.handle(MemberJoin(PlatformName.TELEGRAM, "-100", Author("5", "Lan"), T0))
    bot = Author("6", "helper_bot", is_bot=True)
    await pipeline.handle(MemberJoin(PlatformName.TELEGRAM, "-100", bot, T0, channel_id="-100"))
    assert "send_message" not in platform.methods()


async def test_history_keeps_the_longest_window_of_the_rules(
    setup: tuple[Pipeline, RecordingPlatform],
) -> None:
    """Not welcome-specific: the pipeline's history follows the rules it runs, reloads included."""
    from datetime import timedelta

    pipeline, _ = setup
    assert pipeline.history.max_window == timedelta(minutes=1)  # no window: one minute
    longer = (
        RULES
        + "  - {id: dupes, match: {duplicates: {messages: 3, within: 10m}}, actions: [delete]}\n"
    )
    pipeline.reload(load_rules_text(longer))
    assert pipeline.history.max_window == timedelta(minutes=10)
