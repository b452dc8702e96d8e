"""One task that sleeps until the earliest due reversal (unmute, unban), woken when one is added."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

import structlog

from bot.moderation.executor import Clock, Executor
from bot.storage import Database, utcnow
from bot.storage import cases as case_store
from bot.storage import reversals as reversal_store

log = structlog.get_logger("bot.moderation.scheduler")

Housekeeping = Callable[[datetime], Awaitable[object]]

_LEASE = timedelta(minutes=5)  # a claimed reversal comes back by itself if we crash mid-call
_MAX_ATTEMPTS = 8  # then it is marked failed: never retried forever (Red's tempban loop)


class Scheduler:
    """Applies scheduled reversals at their due time; the database is the queue.

    ``run()`` is the single task: it reads the earliest due time, waits on an ``asyncio.Event``
    with that timeout (never a fixed polling interval), re-reads each due row in the transaction
    that claims it, and acts. ``wake()`` is called when a reversal is scheduled. Reversals that fell
    due while the bot was down are due at once on the first pass. ``housekeeping`` (the privacy
    eraser) runs at start and every ``housekeeping_every``.
    """

    def __init__(
        self,
        db: Database,
        executor: Executor,
        *,
        clock: Clock = utcnow,
        housekeeping: Housekeeping | None = None,
        housekeeping_every: timedelta = timedelta(hours=6),
        retry_base: timedelta = timedelta(seconds=30),
    ) -> None:
        self.db = db
        self.executor = executor
        self.clock = clock
        self.housekeeping = housekeeping
        self.housekeeping_every = housekeeping_every
        self.retry_base = retry_base
        self._event = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._next_housekeeping: datetime | None = None
        self.applied = 0

    def wake(self, due: datetime | None = None) -> None:
        """A reversal was scheduled (or cancelled): recompute the next wake-up."""
        self._event.set()

    def start(self) -> asyncio.Task[None]:
        """Start the task (once)."""
        if self._task is None:
            self._task = asyncio.create_task(self.run(), name="modbot-scheduler")
        return self._task

    async def stop(self) -> None:
        """Cancel the task and wait for it."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def run(self) -> None:
        """The loop: apply what is due, then sleep until the next due time or a wake-up."""
        while True:
            self._event.clear()
            now = self.clock()
            await self._housekeep(now)
            await self.run_due(now)
            wait = await self._seconds_to_next(self.clock())
            if wait is None or wait > 0:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._event.wait(), timeout=wait)

    async def _seconds_to_next(self, now: datetime) -> float | None:
        times = [t for t in (await reversal_store.next_due(self.db), self._next_housekeeping) if t]
        if not times:
            return None
        return max((min(times) - now).total_seconds(), 0.0)

    async def _housekeep(self, now: datetime) -> None:
        if self.housekeeping is None:
            return
        if self._next_housekeeping is not None and now < self._next_housekeeping:
            return
        try:
            await self.housekeeping(now)
        except Exception:  # housekeeping must never stop reversals
            log.exception("housekeeping_failed")
        self._next_housekeeping = now + self.housekeeping_every

    async def run_due(self, now: datetime) -> int:
        """Apply every reversal due at ``now``; returns how many were applied (done)."""
        applied = 0
        for rev in await reversal_store.due(self.db, now):
            if rev.platform not in self.executor.platforms:
                # Not connected in this run: look again later instead of spinning on it.
                async with self.db.transaction() as tx:
                    await reversal_store.retry_at(
                        tx, rev.id, now + timedelta(hours=1), now, "platform not connected"
                    )
                continue
            # Re-read in the claiming transaction: it may have been cancelled or rescheduled.
            async with self.db.transaction() as tx:
                claimed = await reversal_store.claim(tx, rev.id, now, now + _LEASE)
            if claimed is None:
                continue
            reason = f"{claimed.kind[2:]} ended"  # "mute ended" / "ban ended"
            attempt = await self.executor.reverse(
                claimed.platform, claimed.community_id, claimed.user_id, claimed.kind, reason
            )
            after = self.clock()
            async with self.db.transaction() as tx:
                if attempt.status in (case_store.DONE, case_store.REFUSED):
                    await reversal_store.finish(
                        tx, claimed.id, reversal_store.DONE, after, attempt.error
                    )
                    applied += 1
                elif attempt.status == case_store.PENDING and claimed.attempts + 1 < _MAX_ATTEMPTS:
                    delay = self.retry_base * 2**claimed.attempts
                    await reversal_store.retry_at(
                        tx, claimed.id, after + delay, after, attempt.error or ""
                    )
                else:
                    await reversal_store.finish(
                        tx, claimed.id, reversal_store.FAILED, after, attempt.error
                    )
            log.info(
                "reversal_" + attempt.status,
                reversal=claimed.id,
                kind=claimed.kind,
                community=claimed.community_id,
                member=claimed.user_id,
                error=attempt.error,
            )
        self.applied += applied
        return applied
