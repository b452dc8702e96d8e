"""Commands through dispatch(): a real SQLite file, the RecordingPlatform fake, a fixed clock."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fakes import RecordingPlatform

from bot.commands import CommandContext, Invocation, Reply, dispatch
from bot.events import Author, Channel, Message, MessageRef, PlatformName
from bot.moderation.executor import Executor
from bot.moderation.pipeline import Pipeline
from bot.rules import load_rules
from bot.storage import Database

T0 = datetime(2026, 1, 10, 12, 0, tzinfo=UTC)
COMMUNITY = "-100"
CHANNEL = "-100"
MOD = Author("1", "Mai", is_moderator=True, username="mai")
OWNER = Author("2", "Owner", is_owner=True, username="owner")
BOB = Author("42", "Bob", username="bob")
ALICE = Author("43", "Alice", username="alice")
OTHER_MOD = Author("3", "Lan", is_moderator=True, username="lan")
BOT = Author("999", "Modbot", is_bot=True, username="modbot")
RULES = """
version: 1
community:
  name: Test group
  language: {lang}
  guidelines: ["Be kind.", "No spam."]
roles: {{moderators: ["Mods"]}}
channels: {{log: {{telegram: "-200"}}}}
escalation:
  strikes_expire: 30d
rules:
  - id: swearing
    description: "No swearing."
    match: {{words: ["shit"]}}
    actions: [delete, strike]
"""
PEOPLE = {a.id: a for a in (MOD, OWNER, BOB, ALICE, OTHER_MOD, BOT)}


@dataclass
class Harness:
    """Everything a command test needs, and a one-call ``run``."""

    db: Database
    platform: RecordingPlatform
    pipeline: Pipeline
    ctx: CommandContext
    rules: Path
    now: list[datetime]

    async def run(
        self,
        command: str,
        text: str = "",
        *,
        by: Author = MOD,
        reply: Message | None = None,
        options: dict[str, Any] | None = None,
        message_id: str | None = "500",
    ) -> Reply:
        inv = Invocation(
            command=command,
            platform=PlatformName.TELEGRAM,
            community_id=COMMUNITY,
            channel_id=CHANNEL,
            invoker=by,
            text=text,
            options=options,
            message_id=message_id,
            reply_to=reply.ref if reply else None,
            reply_author=reply.author if reply else None,
            reply_text=reply.text if reply else None,
            reply_link=reply.link if reply else None,
            community_name="Test group",
        )
        return await dispatch(self.ctx, inv)

    def sanctions(self) -> list[str]:
        """Platform calls that act on a member."""
        acting = {"mute", "unmute", "kick", "ban", "unban", "delete_message"}
        return [c.method for c in self.platform.calls if c.method in acting]

    async def say(self, text: str, who: Author = BOB, mid: str = "10") -> Message:
        """A message that the pipeline (and the commands' activity memory) sees."""
        msg = Message(
            PlatformName.TELEGRAM,
            COMMUNITY,
            Channel(CHANNEL, "Test group"),
            mid,
            who,
            text,
            self.now[0],
            link=f"https://t.me/c/100/{mid}",
        )
        await self.ctx.observing(self.pipeline.handle)(msg)
        return msg


async def resolver(community_id: str, ref: str) -> Author | None:
    """Like the Telegram binding: @username or id of someone the platform knows."""
    for a in PEOPLE.values():
        if ref in (a.id, f"@{a.username}"):
            return a
    return None


def ref(mid: str) -> MessageRef:
    return MessageRef(PlatformName.TELEGRAM, COMMUNITY, CHANNEL, mid)


@pytest.fixture
def lang() -> str:
    return "en"


Clock = Callable[[], datetime]
PipelineMaker = Callable[[Database, Executor, Clock, Path], Awaitable[Pipeline]]


async def open_harness(
    tmp_path: Path, rules_text: str, make_pipeline: PipelineMaker | None = None
) -> Harness:
    """A harness on a new database and rules file; ``make_pipeline`` builds another pipeline than
    the plain one (a scorer, say). The caller closes ``harness.db``."""
    rules = tmp_path / "rules.yaml"
    rules.write_text(rules_text, encoding="utf-8")
    db = await Database.open(tmp_path / "cmd.db")
    now = [T0]
    clock: Clock = lambda: now[0]  # noqa: E731
    platform = RecordingPlatform()
    executor = Executor(db, clock=clock)
    executor.add_platform(platform, bot_id=BOT.id)
    if make_pipeline is None:
        pipeline = Pipeline(db, executor, load_rules(rules), clock=clock)
    else:
        pipeline = await make_pipeline(db, executor, clock, rules)
    ctx = CommandContext(pipeline, platform, resolver, bot_id=lambda: BOT.id, clock=clock)
    return Harness(db, platform, pipeline, ctx, rules, now)


@pytest.fixture
async def h(tmp_path: Path, lang: str) -> AsyncIterator[Harness]:
    harness = await open_harness(tmp_path, RULES.format(lang=lang))
    yield harness
    await harness.db.close()
