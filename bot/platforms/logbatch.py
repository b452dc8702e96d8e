"""Log-channel batching: entries queue per community and go out in as few posts as the platform allows."""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Generic, TypeVar

import structlog

from bot.i18n import t
from bot.platforms.base import FailureKind, LogEntry, LogReceipt, LogResult, PlatformError

log = structlog.get_logger("bot.platforms.logbatch")

R = TypeVar("R")  # one rendered entry: a Discord embed, a Telegram HTML string

# Entries waiting per community (the post in flight included); past it, one summary line stands
# for the rest. Thirty posts' worth on Discord, about two minutes of Telegram's group limit.
CAPACITY = 300


@dataclass(frozen=True, slots=True)
class Limits:
    """What one post may hold: ``entries`` rendered entries whose sizes, plus ``separator`` between
    two of them, add up to at most ``size`` (in the unit the platform counts)."""

    entries: int
    size: int
    separator: int = 0


def take(sizes: Sequence[int], limits: Limits) -> int:
    """How many leading entries of ``sizes`` go in one post: as many as fit, and at least one (a
    renderer already keeps a single entry within a post)."""
    total = count = 0
    for size in sizes:
        if count == limits.entries:
            break
        total += size + (limits.separator if count else 0)
        if count and total > limits.size:
            break
        count += 1
    return count


def summary_entry(language: str, count: int) -> LogEntry:
    """The line that stands for ``count`` entries left out when the queue was full."""
    return LogEntry(title=t("log.more", language, count=count), body="")


@dataclass(slots=True)
class _Rendered(Generic[R]):
    item: R
    size: int
    case_id: int | None
    receipt: LogReceipt


@dataclass(slots=True)
class _Overflow:
    # One receipt for every entry the summary line stands for: they are posted (as that line) or
    # given up together, and a flood keeps one future per summary, not one per entry.
    receipt: LogReceipt
    count: int = 0
    sealed: bool = False  # packed into a post: later overflow starts a new summary after it


@dataclass(slots=True)
class _Queue(Generic[R]):
    items: deque[_Rendered[R] | _Overflow] = field(default_factory=deque)
    entries: int = 0  # rendered entries in ``items`` (summaries not counted)
    worker: asyncio.Task[None] | None = None


class LogBatcher(Generic[R]):
    """Per community, a FIFO of rendered entries and at most one worker posting it.

    ``submit`` never blocks and never raises: an entry that finds the queue empty goes out at
    once; entries arriving while a post is in flight (or waiting out a rate limit) go out together
    in the next post, as many as ``limits`` allow. A failed post follows the executor's policy for
    platform calls: RATE_LIMITED waits ``retry_after`` and tries again (at most
    ``max_rate_limit_waits`` times in a row), TRANSIENT retries with backoff ``transient_retries``
    times, INVALID of several entries sends them one by one (one bad entry must not take the others
    with it); anything else, or retries exhausted, drops that post with a warning naming its cases
    (the cases themselves are recorded: ``/cases`` shows them).

    ``submit`` returns the entry's receipt, so the executor records the log action's real outcome:
    posted (``LogResult(True)``; an entry counted in a summary line is posted with that line, with a
    note saying so), given up (``LogResult(False, why)``), or cancelled at ``close`` when it never
    went out.
    """

    def __init__(
        self,
        send: Callable[[str, list[R]], Awaitable[None]],
        render: Callable[[LogEntry], R],
        size: Callable[[R], int],
        limits: Limits,
        *,
        language: Callable[[], str] = lambda: "en",
        capacity: int = CAPACITY,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        transient_retries: int = 3,
        backoff: float = 0.5,
        max_rate_limit_waits: int = 20,
    ) -> None:
        self._send = send
        self._render = render
        self._size = size
        self.limits = limits
        self._language = language
        self.capacity = capacity
        self._sleep = sleep
        self.transient_retries = transient_retries
        self.backoff = backoff
        self.max_rate_limit_waits = max_rate_limit_waits
        self._queues: dict[str, _Queue[R]] = {}
        self.posts = 0  # posts made (counters for tests and the logs)
        self.dropped = 0  # entries given up on

    def submit(self, community_id: str, entry: LogEntry) -> LogReceipt:
        """Queue ``entry`` (rendered now, so its time is the action's) and start posting; the
        receipt resolves when its post went out or was given up."""
        queue = self._queues.get(community_id)
        if queue is None:
            queue = self._queues[community_id] = _Queue()
        loop = asyncio.get_running_loop()
        if queue.entries >= self.capacity:
            tail = queue.items[-1] if queue.items else None
            if not isinstance(tail, _Overflow) or tail.sealed:
                tail = _Overflow(loop.create_future())
                queue.items.append(tail)
            tail.count += 1
            receipt = tail.receipt
        else:
            receipt = loop.create_future()
            try:
                item = self._render(entry)
                queue.items.append(_Rendered(item, self._size(item), entry.case_id, receipt))
                queue.entries += 1
            except Exception as exc:  # a renderer bug must not reach the moderation action
                log.exception("log_render_failed", community=community_id, case=entry.case_id)
                receipt.set_result(LogResult(False, f"error: cannot render the entry: {exc!r}"))
        if queue.worker is None and queue.items:
            queue.worker = asyncio.create_task(
                self._run(community_id, queue), name=f"log-{community_id}"
            )
        return receipt

    def pending(self) -> int:
        """Entries not posted yet (those a summary stands for included)."""
        return sum(
            i.count if isinstance(i, _Overflow) else 1
            for q in self._queues.values()
            for i in q.items
        )

    async def flush(self) -> None:
        """Wait until every queue is empty (bound it with a timeout)."""
        while workers := [q.worker for q in self._queues.values() if q.worker is not None]:
            await asyncio.wait(workers)

    async def close(self, within: float) -> int:
        """Flush for at most ``within`` seconds, then stop; returns how many entries were lost
        (their receipts are cancelled: the executor leaves their actions pending for the next
        start)."""
        try:
            async with asyncio.timeout(within):
                await self.flush()
        except TimeoutError:
            pass
        lost = self.pending()
        for queue in list(self._queues.values()):
            if queue.worker is not None:
                queue.worker.cancel()
                await asyncio.wait({queue.worker})
            for item in queue.items:
                item.receipt.cancel()
        self._queues.clear()
        if lost:
            self.dropped += lost
            log.warning("log_entries_unsent", entries=lost, within=within)
        return lost

    # -- the worker --------------------------------------------------------------------------------

    def _pack(self, community_id: str, queue: _Queue[R], most: int) -> tuple[list[R], list[int]]:
        """The head of the queue as one post (summaries rendered and sealed) and its cases."""
        head: list[_Rendered[R]] = []
        for item in queue.items:
            if len(head) == most:
                break
            if isinstance(item, _Overflow):
                rendered = self._render(summary_entry(self._language(), item.count))
                head.append(_Rendered(rendered, self._size(rendered), None, item.receipt))
            else:
                head.append(item)
        n = take([r.size for r in head], self.limits)
        for i in range(n):
            item = queue.items[i]
            if isinstance(item, _Overflow):
                item.sealed = True
        return [r.item for r in head[:n]], [r.case_id for r in head[:n] if r.case_id is not None]

    def _pop(self, queue: _Queue[R], n: int, failure: str | None = None) -> int:
        """Remove ``n`` posted items (dropped ones, with ``failure``), settling their receipts;
        returns how many entries they stood for."""
        entries = 0
        for _ in range(n):
            item = queue.items.popleft()
            if isinstance(item, _Overflow):
                entries += item.count
                note = failure or f"summarised in the log channel's '… and {item.count} more' line"
                result = LogResult(failure is None, note)
            else:
                queue.entries -= 1
                entries += 1
                result = LogResult(failure is None, failure)
            if not item.receipt.done():  # cancelled by a caller that stopped waiting
                item.receipt.set_result(result)
        return entries

    async def _run(self, community_id: str, queue: _Queue[R]) -> None:
        rate_waits = transient = solo = 0
        try:
            while queue.items:
                most = 1 if solo else self.limits.entries
                batch, cases = self._pack(community_id, queue, most)
                try:
                    await self._send(community_id, batch)
                except PlatformError as exc:
                    if (
                        exc.kind is FailureKind.RATE_LIMITED
                        and rate_waits < self.max_rate_limit_waits
                    ):
                        rate_waits += 1
                        await self._sleep(max(exc.retry_after or 1.0, 0.0))
                        continue  # later entries may join this post meanwhile
                    if exc.kind is FailureKind.TRANSIENT and transient < self.transient_retries:
                        transient += 1
                        await self._sleep(self.backoff * 2 ** (transient - 1))
                        continue
                    if exc.kind is FailureKind.INVALID and len(batch) > 1:
                        solo = len(batch)
                        continue
                    self._give_up(
                        community_id, queue, len(batch), cases, exc.kind.value, exc.message
                    )
                except Exception as exc:  # an adapter bug: drop this post, keep the queue moving
                    log.exception("log_post_crashed", community=community_id, cases=cases)
                    self._give_up(community_id, queue, len(batch), cases, "error", repr(exc))
                else:
                    self.posts += 1
                    self._pop(queue, len(batch))
                solo = max(solo - len(batch), 0)
                rate_waits = transient = 0
        finally:
            queue.worker = None
            if not queue.items and self._queues.get(community_id) is queue:
                del self._queues[community_id]

    def _give_up(
        self,
        community_id: str,
        queue: _Queue[R],
        n: int,
        cases: list[int],
        kind: str,
        error: str,
    ) -> None:
        entries = self._pop(queue, n, f"{kind}: {error}"[:300])
        self.dropped += entries
        log.warning(
            "log_post_dropped",
            community=community_id,
            entries=entries,
            cases=cases,
            kind=kind,
            error=error[:300],
        )
