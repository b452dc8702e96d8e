"""The log batcher with plain values: a string renderer, a recording sender and a fake sleep."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from bot.platforms.base import FailureKind, LogEntry, LogResult, PlatformError
from bot.platforms.logbatch import Limits, LogBatcher, take

WIDE = Limits(entries=10, size=10_000)


class Sender:
    """Records each post; ``hold()`` keeps the next posts in flight until ``release()``;
    ``errors`` are raised by the next calls, one each."""

    def __init__(self) -> None:
        self.posts: list[tuple[str, list[str]]] = []
        self.calls = 0
        self.errors: list[PlatformError | Exception] = []
        self._gate = asyncio.Event()
        self._gate.set()
        self.waiting = asyncio.Event()

    def hold(self) -> None:
        self._gate.clear()
        self.waiting.clear()

    def release(self) -> None:
        self._gate.set()

    async def __call__(self, community: str, items: list[str]) -> None:
        self.calls += 1
        self.waiting.set()
        await self._gate.wait()
        if self.errors:
            raise self.errors.pop(0)
        self.posts.append((community, list(items)))

    def entries(self, community: str = "c") -> list[str]:
        return [item for c, items in self.posts if c == community for item in items]


class Sleeps:
    def __init__(self, on_sleep: Callable[[], None] | None = None) -> None:
        self.waited: list[float] = []
        self.on_sleep = on_sleep

    async def __call__(self, seconds: float) -> None:
        self.waited.append(seconds)
        if self.on_sleep is not None:
            self.on_sleep()
        await asyncio.sleep(0)


def entry(n: int | str, case: int | None = None) -> LogEntry:
    return LogEntry(title=str(n), body="", case_id=case)


def batcher(
    sender: Sender,
    limits: Limits = WIDE,
    sleep: Sleeps | None = None,
    **kw: object,
) -> LogBatcher[str]:
    return LogBatcher(
        sender,
        lambda e: e.title,
        len,
        limits,
        sleep=sleep or Sleeps(),
        **kw,  # type: ignore[arg-type]
    )


# ---- packing (pure) ------------------------------------------------------------------------------


def test_take_counts_entries_and_size_with_separators() -> None:
    assert take([1] * 25, Limits(entries=10, size=100)) == 10
    assert take([40, 40, 40], Limits(entries=10, size=100)) == 2
    # 40 + 2 + 40 + 2 + 16 = 100 fits exactly; one more character does not.
    assert take([40, 40, 16], Limits(entries=10, size=100, separator=2)) == 3
    assert take([40, 40, 17], Limits(entries=10, size=100, separator=2)) == 2
    assert take([500, 1], Limits(entries=10, size=100)) == 1  # a lone entry always goes
    assert take([], Limits(entries=10, size=100)) == 0


# ---- posting -------------------------------------------------------------------------------------


async def test_a_lone_entry_goes_out_at_once() -> None:
    sender = Sender()
    logs = batcher(sender)
    logs.submit("c", entry(1))
    await asyncio.sleep(0)  # the worker's first step: no timer, no waiting for company
    assert sender.posts == [("c", ["1"])]
    await logs.flush()
    assert logs.posts == 1 and logs.pending() == 0


async def test_a_burst_shares_posts_in_order() -> None:
    sender = Sender()
    logs = batcher(sender)
    sender.hold()
    for n in range(26):
        logs.submit("c", entry(n))
    await sender.waiting.wait()
    sender.release()
    await logs.flush()
    # The first went alone (nothing was queued); the rest waited for it and went 10 at a time.
    # All arrived before the worker's first step, so even the first post is full.
    assert [len(items) for _, items in sender.posts] == [10, 10, 6]
    assert sender.entries() == [str(n) for n in range(26)]


async def test_entries_arriving_during_a_post_wait_for_it() -> None:
    sender = Sender()
    logs = batcher(sender)
    logs.submit("c", entry(0))
    await asyncio.sleep(0)
    assert sender.posts == [("c", ["0"])]
    sender.hold()
    logs.submit("c", entry(1))
    await sender.waiting.wait()
    for n in range(2, 14):
        logs.submit("c", entry(n))
    sender.release()
    await logs.flush()
    assert [items for _, items in sender.posts] == [
        ["0"],
        ["1"],
        [str(n) for n in range(2, 12)],
        ["12", "13"],
    ]


async def test_the_size_limit_splits_posts() -> None:
    sender = Sender()
    logs = batcher(sender, Limits(entries=10, size=6000))
    sender.hold()
    for n in range(5):
        logs.submit("c", entry(str(n) * 2500))
    sender.release()
    await logs.flush()
    assert [len(items) for _, items in sender.posts] == [2, 2, 1]
    assert all(sum(map(len, items)) <= 6000 for _, items in sender.posts)


async def test_communities_have_their_own_queues() -> None:
    sender = Sender()
    logs = batcher(sender)
    for n in range(3):
        logs.submit("a", entry(f"a{n}"))
        logs.submit("b", entry(f"b{n}"))
    await logs.flush()
    assert sender.entries("a") == ["a0", "a1", "a2"]
    assert sender.entries("b") == ["b0", "b1", "b2"]
    assert all(item[0] == community for community, items in sender.posts for item in items)


# ---- failures ------------------------------------------------------------------------------------


async def test_a_rate_limited_post_waits_and_loses_nothing() -> None:
    sender = Sender()
    sleeps = Sleeps()
    logs = batcher(sender, sleep=sleeps)
    sender.errors.append(PlatformError(FailureKind.RATE_LIMITED, "429", retry_after=7.0))
    logs.submit("c", entry(0))
    # Arrivals during the wait join the retried post.
    sleeps.on_sleep = lambda: [logs.submit("c", entry(n)) for n in (1, 2)]  # type: ignore[func-returns-value]
    await logs.flush()
    assert sleeps.waited == [7.0]
    assert sender.posts == [("c", ["0", "1", "2"])]
    assert logs.dropped == 0


async def test_rate_limit_waits_are_bounded_then_the_post_is_dropped() -> None:
    sender = Sender()
    sleeps = Sleeps()
    logs = batcher(sender, sleep=sleeps, max_rate_limit_waits=2)
    sender.errors += [PlatformError(FailureKind.RATE_LIMITED, "429", retry_after=None)] * 3
    logs.submit("c", entry(0, case=5))
    await logs.flush()
    assert sleeps.waited == [1.0, 1.0]
    assert sender.posts == [] and logs.dropped == 1
    logs.submit("c", entry(1))
    await logs.flush()
    assert sender.entries() == ["1"]


async def test_transient_errors_retry_with_backoff_then_drop() -> None:
    sender = Sender()
    sleeps = Sleeps()
    logs = batcher(sender, sleep=sleeps)
    sender.errors += [PlatformError(FailureKind.TRANSIENT, "502")] * 4
    logs.submit("c", entry(0))
    await logs.flush()
    assert sleeps.waited == [0.5, 1.0, 2.0]
    assert logs.dropped == 1 and sender.posts == []


async def test_forbidden_drops_at_once_and_the_queue_goes_on() -> None:
    sender = Sender()
    sleeps = Sleeps()
    logs = batcher(sender, sleep=sleeps)
    sender.hold()
    sender.errors.append(PlatformError(FailureKind.FORBIDDEN, "no rights"))
    logs.submit("c", entry(0))
    await sender.waiting.wait()
    logs.submit("c", entry(1))
    sender.release()
    await logs.flush()
    assert sleeps.waited == [] and logs.dropped == 1
    assert sender.entries() == ["1"]


async def test_an_invalid_batch_is_resent_one_by_one() -> None:
    seen: list[list[str]] = []
    posted: list[str] = []

    async def refuse_2(community: str, items: list[str]) -> None:
        seen.append(list(items))
        if "2" in items:
            raise PlatformError(FailureKind.INVALID, "bad")
        posted.extend(items)

    logs = LogBatcher(refuse_2, lambda e: e.title, len, Limits(entries=10, size=100))
    for n in (1, 2, 3, 4):
        logs.submit("c", entry(n))
    await logs.flush()
    # One bad entry does not take the others with it; after the suspect batch, posts batch again.
    assert seen == [["1", "2", "3", "4"], ["1"], ["2"], ["3"], ["4"]]
    assert posted == ["1", "3", "4"]
    assert logs.dropped == 1


async def test_a_crashing_sender_or_renderer_never_reaches_the_caller() -> None:
    sender = Sender()
    sender.errors.append(RuntimeError("adapter bug"))

    def render(e: LogEntry) -> str:
        if e.title == "boom":
            raise ValueError("renderer bug")
        return e.title

    logs = LogBatcher(sender, render, len, Limits(entries=10, size=100))
    logs.submit("c", entry(0))
    logs.submit("c", entry("boom"))  # logged and skipped
    logs.submit("c", entry(2))
    await logs.flush()
    assert sender.posts == [] and logs.dropped == 2  # the post [0, 2] crashed: dropped
    logs.submit("c", entry(3))
    await logs.flush()
    assert sender.entries() == ["3"]


# ---- bounded memory ------------------------------------------------------------------------------


async def test_overflow_becomes_one_summary_line_in_place() -> None:
    sender = Sender()
    logs = batcher(sender, capacity=5)
    sender.hold()
    for n in range(30):
        logs.submit("c", entry(n))
    assert logs.pending() == 30
    await sender.waiting.wait()
    sender.release()
    await logs.flush()
    assert sender.entries() == ["0", "1", "2", "3", "4", "… and 25 more actions; see /cases"]
    # Room again: new entries come after the summary, and a later overflow gets its own line.
    sender.hold()
    for n in range(30, 38):
        logs.submit("c", entry(n))
    sender.release()
    await logs.flush()
    assert sender.entries()[6:] == [
        "30",
        "31",
        "32",
        "33",
        "34",
        "… and 3 more actions; see /cases",
    ]


async def test_overflow_after_a_summary_was_packed_starts_a_new_line() -> None:
    sender = Sender()
    logs = batcher(sender, capacity=2, language=lambda: "vi")
    sender.hold()
    for n in range(5):  # 0 and 1 queued, 2, 3 and 4 summarised
        logs.submit("c", entry(n))
    await sender.waiting.wait()  # the post [0, 1, summary of 3] is in flight...
    logs.submit("c", entry(5))  # ...and still counts: these cannot join its summary
    logs.submit("c", entry(6))
    sender.release()
    await logs.flush()
    assert [items for _, items in sender.posts] == [
        ["0", "1", "… và 3 hành động khác; xem /cases"],
        ["… và 2 hành động khác; xem /cases"],
    ]


# ---- shutdown ------------------------------------------------------------------------------------


async def test_close_flushes_what_it_can_within_the_bound() -> None:
    sender = Sender()
    logs = batcher(sender)
    sender.hold()
    for n in range(12):
        logs.submit("c", entry(n))
    asyncio.get_running_loop().call_later(0.05, sender.release)
    assert await logs.close(1.0) == 0
    assert sender.entries() == [str(n) for n in range(12)]


async def test_close_gives_up_after_the_bound_and_counts_the_loss() -> None:
    sender = Sender()
    logs = batcher(sender)
    sender.hold()
    for n in range(12):
        logs.submit("c", entry(n))
    assert await logs.close(0.05) == 12
    assert logs.dropped == 12 and logs.pending() == 0


# ---- receipts: the completion signal the executor records ---------------------------------------


async def test_a_receipt_settles_when_its_post_went_out() -> None:
    sender = Sender()
    logs = batcher(sender)
    sender.hold()
    first = logs.submit("c", entry(0))
    await sender.waiting.wait()
    queued = [logs.submit("c", entry(n)) for n in (1, 2)]
    # In flight or queued: nothing is settled yet (a crash now leaves the actions pending).
    assert not first.done() and not any(r.done() for r in queued)
    sender.release()
    assert await first == LogResult(True)
    assert [await r for r in queued] == [LogResult(True), LogResult(True)]
    assert [items for _, items in sender.posts] == [["0"], ["1", "2"]]


async def test_a_receipt_says_why_its_post_was_given_up() -> None:
    sender = Sender()
    logs = batcher(sender)
    sender.hold()
    sender.errors.append(PlatformError(FailureKind.FORBIDDEN, "no rights"))
    refused = logs.submit("c", entry(0))
    await sender.waiting.wait()
    after = logs.submit("c", entry(1))
    sender.release()
    assert await refused == LogResult(False, "forbidden: no rights")
    assert await after == LogResult(True)  # the queue went on


async def test_receipts_of_an_invalid_batch_settle_one_by_one() -> None:
    async def refuse_2(community: str, items: list[str]) -> None:
        if "2" in items:
            raise PlatformError(FailureKind.INVALID, "bad")

    logs = LogBatcher(refuse_2, lambda e: e.title, len, Limits(entries=10, size=100))
    receipts = [logs.submit("c", entry(n)) for n in (1, 2, 3)]
    results = [await r for r in receipts]
    assert results == [LogResult(True), LogResult(False, "invalid: bad"), LogResult(True)]


async def test_a_crashing_sender_or_renderer_fails_the_receipts() -> None:
    sender = Sender()
    sender.errors.append(RuntimeError("adapter bug"))

    def render(e: LogEntry) -> str:
        if e.title == "boom":
            raise ValueError("renderer bug")
        return e.title

    logs = LogBatcher(sender, render, len, Limits(entries=10, size=100))
    crashed = logs.submit("c", entry(0))
    unrendered = logs.submit("c", entry("boom"))
    assert unrendered.done() and not unrendered.result().posted  # settled at once
    assert (await crashed).posted is False
    assert "adapter bug" in str((await crashed).note)


async def test_entries_in_a_summary_line_share_its_receipt() -> None:
    """Folded into "… and N more": posted (done, with a note) when that line is, together."""
    sender = Sender()
    logs = batcher(sender, capacity=2)
    sender.hold()
    receipts = [logs.submit("c", entry(n)) for n in range(5)]  # 0, 1 queued; 2, 3, 4 folded
    assert receipts[2] is receipts[3] is receipts[4] and receipts[1] is not receipts[2]
    await sender.waiting.wait()
    sender.release()
    await logs.flush()
    assert [await r for r in receipts[:2]] == [LogResult(True), LogResult(True)]
    summarised = await receipts[2]
    assert summarised.posted and summarised.note == (
        "summarised in the log channel's '… and 3 more' line"
    )


async def test_a_summary_line_given_up_fails_its_entries() -> None:
    sender = Sender()
    logs = batcher(sender, capacity=1)
    sender.hold()
    sender.errors.append(PlatformError(FailureKind.NOT_FOUND, "channel gone"))
    receipts = [logs.submit("c", entry(n)) for n in range(3)]
    await sender.waiting.wait()
    sender.release()
    assert [await r for r in receipts] == [LogResult(False, "not_found: channel gone")] * 3


async def test_close_cancels_the_receipts_of_what_never_went_out() -> None:
    sender = Sender()
    logs = batcher(sender, capacity=2)
    sender.hold()
    receipts = [logs.submit("c", entry(n)) for n in range(4)]
    assert await logs.close(0.05) == 4
    assert all(r.cancelled() for r in receipts)
