"""A case's log entry is recorded as what became of it: pending while queued for the log channel,
done once its batch was posted, failed when the batcher gave it up, still pending after a crash
(and then posted by the next start). Real SQLite files, a real LogBatcher."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

from fakes import RecordingPlatform

from bot.events import Author, PlatformName
from bot.moderation.executor import Executor, Intent, Policy
from bot.platforms.base import FailureKind, LogEntry, LogReceipt, PlatformError
from bot.platforms.logbatch import Limits, LogBatcher
from bot.rules.actions import ActionSet
from bot.storage import Database, cases

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
BOB = Author("42", "Bob")


class LogChannel:
    """The log channel's sender: ``hold()`` keeps posts in flight, ``errors`` fail the next ones."""

    def __init__(self) -> None:
        self.posts: list[list[str]] = []
        self.errors: list[PlatformError] = []
        self.gate = asyncio.Event()
        self.gate.set()
        self.sending = asyncio.Event()

    async def __call__(self, community_id: str, titles: list[str]) -> None:
        self.sending.set()
        await self.gate.wait()
        if self.errors:
            raise self.errors.pop(0)
        self.posts.append(titles)


class BatchedLogs(RecordingPlatform):
    """RecordingPlatform whose ``post_log`` queues, as the Discord and Telegram adapters do."""

    def __init__(self, channel: LogChannel, capacity: int = 300) -> None:
        super().__init__()
        self.channel = channel
        self.batcher: LogBatcher[str] = LogBatcher(
            channel, self._title, len, Limits(entries=10, size=10_000), capacity=capacity
        )

    @staticmethod
    def _title(entry: LogEntry) -> str:
        return entry.title if entry.case_id is None else f"#{entry.case_id} {entry.title}"

    async def post_log(self, community_id: str, entry: LogEntry) -> LogReceipt | None:
        return self.batcher.submit(community_id, entry)


def deletion(message_id: str) -> Intent:
    return Intent(
        PlatformName.TELEGRAM,
        "-100",
        BOB,
        T0,
        ActionSet(delete=True),
        rule_ids=("spam",),
        reason="No spam",
        channel_id="-100",
        message_id=message_id,
        message_text="spam",
    )


async def log_status(db: Database, case_id: int) -> tuple[str, str | None]:
    case = await cases.get_case(db, case_id)
    assert case is not None
    (action,) = [a for a in case.actions if a.kind == "log"]
    return action.status, action.error


async def test_the_log_action_is_done_once_its_batch_was_posted(tmp_path: Path) -> None:
    db = await Database.open(tmp_path / "log.db")
    try:
        channel = LogChannel()
        channel.gate.clear()  # the log channel is slow: the post stays in flight
        ex = Executor(db, clock=lambda: T0)
        ex.add_platform(BatchedLogs(channel))
        out = await ex.execute(deletion("1"), Policy())  # returns without waiting for the post
        assert [(a.kind, a.status) for a in out.actions] == [("delete", "done"), ("log", "pending")]
        await channel.sending.wait()
        assert await log_status(db, out.case_id) == ("pending", None)
        channel.gate.set()
        await ex.platforms["telegram"].batcher.flush()  # type: ignore[attr-defined]
        await ex.drain()
        assert await log_status(db, out.case_id) == ("done", None)
        assert channel.posts == [[f"#{out.case_id} message deleted"]]
        assert await ex.replay_pending() == 0  # posted once: nothing left for the next start
    finally:
        await db.close()


async def test_the_log_action_fails_when_the_batcher_gives_it_up(tmp_path: Path) -> None:
    db = await Database.open(tmp_path / "log.db")
    try:
        channel = LogChannel()
        channel.errors.append(PlatformError(FailureKind.FORBIDDEN, "no right to post"))
        ex = Executor(db, clock=lambda: T0)
        platform = BatchedLogs(channel)
        ex.add_platform(platform)
        out = await ex.execute(deletion("1"), Policy())
        assert out.actions[-1].status == "pending"
        await platform.batcher.flush()
        await ex.drain()
        assert await log_status(db, out.case_id) == ("failed", "forbidden: no right to post")
        assert await ex.replay_pending() == 0  # given up is final, like a refused post
    finally:
        await db.close()


async def test_entries_folded_into_the_summary_line_are_done_with_a_note(tmp_path: Path) -> None:
    db = await Database.open(tmp_path / "log.db")
    try:
        channel = LogChannel()
        channel.gate.clear()
        platform = BatchedLogs(channel, capacity=1)
        ex = Executor(db, clock=lambda: T0)
        ex.add_platform(platform)
        outs = [await ex.execute(deletion(str(n)), Policy()) for n in range(3)]
        channel.gate.set()
        await platform.batcher.flush()
        await ex.drain()
        # The first went out alone, in flight while the other two arrived past the capacity.
        assert channel.posts == [
            [f"#{outs[0].case_id} message deleted"],
            ["… and 2 more actions; see /cases"],
        ]
        assert await log_status(db, outs[0].case_id) == ("done", None)
        note = "summarised in the log channel's '… and 2 more' line"
        for out in outs[1:]:
            assert await log_status(db, out.case_id) == ("done", note)
    finally:
        await db.close()


async def test_a_crash_before_the_flush_leaves_it_pending_and_the_next_start_posts_it(
    tmp_path: Path,
) -> None:
    path = tmp_path / "log.db"
    db = await Database.open(path)
    channel = LogChannel()
    channel.gate.clear()  # the post never completes: the process dies first
    platform = BatchedLogs(channel)
    ex = Executor(db, clock=lambda: T0)
    ex.add_platform(platform)
    out = await ex.execute(deletion("1"), Policy(), follow_up=True)
    await channel.sending.wait()
    # The crash: the queue's worker dies with the process (no close, no flush), then the file is
    # all that is left.
    for task in [t for t in asyncio.all_tasks() if t.get_name().startswith("log-")]:
        task.cancel()
    await asyncio.sleep(0)
    await db.close()
    assert channel.posts == []

    db = await Database.open(path)
    try:
        assert await log_status(db, out.case_id) == ("pending", None)
        after = RecordingPlatform()
        restarted = Executor(db, clock=lambda: T0)
        restarted.add_platform(after)
        assert await restarted.replay_pending() == 1
        assert [e.case_id for e in after.logs] == [out.case_id]
        assert await log_status(db, out.case_id) == ("done", None)
        assert await restarted.replay_pending() == 0
    finally:
        await db.close()


async def test_at_stop_what_did_not_go_out_stays_pending(tmp_path: Path) -> None:
    """``close`` cancels the receipts of unsent entries: their actions wait for the next start."""
    db = await Database.open(tmp_path / "log.db")
    try:
        channel = LogChannel()
        channel.gate.clear()
        platform = BatchedLogs(channel)
        ex = Executor(db, clock=lambda: T0)
        ex.add_platform(platform)
        out = await ex.execute(deletion("1"), Policy())
        assert await platform.batcher.close(0.05) == 1
        await ex.drain()
        assert await log_status(db, out.case_id) == ("pending", None)
    finally:
        await db.close()
