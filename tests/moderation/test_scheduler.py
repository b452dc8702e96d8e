"""Scheduler: sleeps until the next due reversal, wakes on new ones, catches up after downtime."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

from fakes import RecordingPlatform

from bot.events import Author, PlatformName
from bot.moderation.escalation import Step
from bot.moderation.executor import Executor, Intent, Policy
from bot.moderation.privacy import erase_old_text
from bot.moderation.scheduler import Scheduler
from bot.platforms.base import FailureKind
from bot.rules.actions import ActionSet, Ban, Mute, Warn
from bot.storage import Database, cases, reversals

POLICY = Policy(ladder=(Step(1, Warn()),))
MEMBER = Author("42", "bob")


def now() -> datetime:
    return datetime.now(UTC)


def mute_for(seconds: float, when: datetime | None = None, member: Author = MEMBER) -> Intent:
    return Intent(
        PlatformName.TELEGRAM,
        "-100",
        member,
        when or now(),
        ActionSet(sanction=Mute(timedelta(seconds=seconds))),
        channel_id="-100",
        message_id="1",
    )


async def no_sleep(_: float) -> None:
    return None


async def test_unmute_applied_when_due_and_wakes_for_new_ones(tmp_path: Path) -> None:
    async with await Database.open(tmp_path / "s.db") as db:
        p = RecordingPlatform()
        ex = Executor(db, sleep=no_sleep)
        ex.add_platform(p)
        sched = Scheduler(db, ex)
        ex.on_schedule = sched.wake
        sched.start()
        try:
            await asyncio.sleep(0.05)  # idle: nothing scheduled, the task waits on its event
            await ex.execute(mute_for(0.3), POLICY)
            await asyncio.sleep(0.1)
            assert "unmute" not in p.methods()  # not early
            for _ in range(100):
                if "unmute" in p.methods():
                    break
                await asyncio.sleep(0.02)
            assert p.methods().count("unmute") == 1
            assert await reversals.next_due(db) is None
        finally:
            await sched.stop()


async def test_reversal_due_during_downtime_is_applied_at_start(tmp_path: Path) -> None:
    path = tmp_path / "down.db"
    t0 = now() - timedelta(hours=3)
    async with await Database.open(path) as db:
        ex = Executor(db, sleep=no_sleep)
        ex.add_platform(RecordingPlatform())
        await ex.execute(mute_for(3600, when=t0), POLICY)  # unmute due two hours ago
        ban = Intent(
            PlatformName.TELEGRAM,
            "-100",
            Author("43", "eve"),
            t0,
            ActionSet(sanction=Ban(timedelta(days=1))),
            channel_id="-100",
            message_id="2",
        )
        await ex.execute(ban, POLICY)  # unban due tomorrow: must stay
    # "Restart": a new process opens the same file.
    async with await Database.open(path) as db:
        p = RecordingPlatform()
        ex = Executor(db, sleep=no_sleep)
        ex.add_platform(p)
        sched = Scheduler(db, ex)
        assert await sched.run_due(now()) == 1
        assert p.methods() == ["unmute"]
        assert [r.kind for r in await reversals.due(db, now() + timedelta(days=2))] == ["unban"]


async def test_cancelled_reversal_is_not_applied(tmp_path: Path) -> None:
    async with await Database.open(tmp_path / "c.db") as db:
        p = RecordingPlatform()
        ex = Executor(db, sleep=no_sleep)
        ex.add_platform(p)
        t0 = now() - timedelta(hours=2)
        await ex.execute(mute_for(60, when=t0), POLICY)
        stale = await reversals.due(db, now())
        mod = Author("1", "Mod", is_moderator=True)
        await ex.lift(PlatformName.TELEGRAM, "-100", MEMBER, "unmute", mod, "ok", now())
        sched = Scheduler(db, ex)
        # Even with the stale list in hand, the claim re-reads the row and skips it.
        async with db.transaction() as tx:
            assert await reversals.claim(tx, stale[0].id, now(), now()) is None
        assert await sched.run_due(now()) == 0
        assert p.methods().count("unmute") == 1  # the moderator's only


async def test_transient_failure_retries_later_not_forever(tmp_path: Path) -> None:
    async with await Database.open(tmp_path / "t.db") as db:
        p = RecordingPlatform()
        ex = Executor(db, sleep=no_sleep, transient_retries=0)
        ex.add_platform(p)
        t0 = now() - timedelta(hours=1)
        await ex.execute(mute_for(60, when=t0), POLICY)
        p.fail("unmute", FailureKind.TRANSIENT, times=100)
        sched = Scheduler(db, ex, retry_base=timedelta(seconds=10))
        assert await sched.run_due(now()) == 0
        (rev,) = await reversals.scheduled_for(db, 1)
        assert rev.due_at > now() + timedelta(seconds=5) and rev.attempts == 1
        # Keep failing: after the attempt limit it is marked failed, not retried forever.
        for _ in range(10):
            await sched.run_due(now() + timedelta(days=1))
        assert await reversals.next_due(db) is None
        row = await db.fetchone("SELECT status, attempts FROM reversals")
        assert row is not None and row[0] == "failed" and row[1] == 8


async def test_housekeeping_erases_old_text_at_start(tmp_path: Path) -> None:
    async with await Database.open(tmp_path / "h.db") as db:
        ex = Executor(db, sleep=no_sleep)
        ex.add_platform(RecordingPlatform())
        old = Intent(
            PlatformName.TELEGRAM,
            "-100",
            MEMBER,
            now() - timedelta(days=100),
            ActionSet(delete=True),
            rule_ids=("r",),
            channel_id="c",
            message_id="1",
            message_text="secret",
        )
        out = await ex.execute(old, POLICY)
        ran: list[int] = []

        async def housekeeping(at: datetime) -> None:
            ran.append(await erase_old_text(db, at, timedelta(days=90)))

        sched = Scheduler(db, ex, housekeeping=housekeeping)
        sched.start()
        try:
            for _ in range(50):
                if ran:
                    break
                await asyncio.sleep(0.02)
        finally:
            await sched.stop()
        assert ran == [1]
        case = await cases.get_case(db, out.case_id)
        assert case is not None and case.message_text is None and case.rule_ids == ("r",)
