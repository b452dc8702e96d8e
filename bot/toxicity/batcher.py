"""Async front of a blocking model: micro-batching, LRU cache, one worker thread, timeouts."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import OrderedDict
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from bot.toxicity import (
    Model,
    ScorerFailed,
    ScorerOverloaded,
    ScorerTimeout,
    ScorerUnavailable,
    Scores,
)


@dataclass
class BatcherStats:
    """Counters for logs, tests and the benchmark."""

    requests: int = 0
    cache_hits: int = 0
    batches: int = 0
    scored: int = 0
    timeouts: int = 0
    overloaded: int = 0
    failures: int = 0
    batch_sizes: list[int] = field(default_factory=list)


class BatchingScorer:
    """Implements ``Scorer`` over a blocking ``Model``.

    Texts from concurrent callers are queued; a worker task takes up to ``max_batch`` of them,
    waiting at most ``max_wait`` seconds after the first for more, and runs ``model.predict`` in a
    single worker thread so the event loop never blocks. Identical texts (by ``model.cache_key``)
    share one computation and an LRU cache. A call that gets no answer within ``timeout`` raises
    ``ScorerTimeout``; its texts are still scored and cached for the next time.
    """

    enabled = True

    def __init__(
        self,
        model: Model,
        *,
        timeout: float = 2.0,
        max_batch: int = 32,
        max_wait: float = 0.005,
        cache_size: int = 10_000,
        max_pending: int = 2_000,
    ) -> None:
        self.model = model
        self.name = model.name
        self.labels = tuple(model.labels)
        self.timeout = timeout
        self.max_batch = max(1, max_batch)
        self.max_wait = max_wait
        self.cache_size = cache_size
        self.max_pending = max_pending
        self.stats = BatcherStats()
        self._cache: OrderedDict[str, Scores] = OrderedDict()
        # key -> future shared by every caller waiting for that text (in flight or queued)
        self._inflight: dict[str, asyncio.Future[Scores]] = {}
        self._queue: asyncio.Queue[tuple[str, str]] | None = None
        self._worker: asyncio.Task[None] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        # One thread: the model is not assumed thread-safe, and torch uses its own intra-op threads.
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="toxicity")
        self._closed = False

    async def score(self, text: str) -> Scores:
        return (await self.score_many([text]))[0]

    async def score_many(self, texts: Sequence[str]) -> list[Scores]:
        if self._closed:
            raise ScorerUnavailable(f"{self.name} scorer is closed")
        self._ensure_worker()
        self.stats.requests += len(texts)
        keys = [self.model.cache_key(t) for t in texts]
        results: list[Scores | None] = [None] * len(texts)
        waits: dict[int, asyncio.Future[Scores]] = {}
        for i, (key, text) in enumerate(zip(keys, texts, strict=True)):
            hit = self._cache.get(key)
            if hit is not None:
                self._cache.move_to_end(key)
                self.stats.cache_hits += 1
                results[i] = dict(hit)
                continue
            fut = self._inflight.get(key)
            if fut is None:
                if len(self._inflight) >= self.max_pending:
                    self.stats.overloaded += 1
                    raise ScorerOverloaded(
                        f"{self.name} scorer has {len(self._inflight)} messages waiting; refused"
                    )
                fut = asyncio.get_running_loop().create_future()
                self._inflight[key] = fut
                assert self._queue is not None
                self._queue.put_nowait((key, text))
            waits[i] = fut
        if waits:
            # asyncio.wait does not cancel on timeout: other callers may share these futures.
            _done, pending = await asyncio.wait(set(waits.values()), timeout=self.timeout)
            if pending:
                self.stats.timeouts += 1
                raise ScorerTimeout(
                    f"{self.name} scorer gave no answer within {self.timeout:g}s "
                    f"({len(pending)} of {len(texts)} texts pending)"
                )
            for i, fut in waits.items():
                exc = fut.exception()
                if exc is not None:
                    raise exc
                results[i] = dict(fut.result())
        return [r for r in results if r is not None]

    def _ensure_worker(self) -> None:
        loop = asyncio.get_running_loop()
        if self._worker is not None and self._loop is loop and not self._worker.done():
            return
        # A new event loop (tests, a restart): the old queue and futures belong to the dead one.
        self._loop = loop
        self._queue = asyncio.Queue()
        self._inflight.clear()
        self._worker = loop.create_task(self._run(), name=f"toxicity-{self.name}")

    async def _run(self) -> None:
        assert self._queue is not None
        queue = self._queue
        loop = asyncio.get_running_loop()
        while True:
            batch = [await queue.get()]
            deadline = time.monotonic() + self.max_wait
            while True:
                while len(batch) < self.max_batch and not queue.empty():
                    batch.append(queue.get_nowait())
                left = deadline - time.monotonic()
                if len(batch) >= self.max_batch or left <= 0:
                    break
                # Poll instead of wait_for(queue.get()): on 3.11 a cancelled get can drop an item.
                await asyncio.sleep(min(left, 0.001))
            keys = [k for k, _ in batch]
            texts = [t for _, t in batch]
            self.stats.batches += 1
            self.stats.batch_sizes.append(len(batch))
            try:
                scores = await loop.run_in_executor(self._executor, self.model.predict, texts)
                if len(scores) != len(texts):
                    raise ValueError(f"model returned {len(scores)} results for {len(texts)} texts")
            except Exception as exc:  # any model failure becomes ScorerFailed for the callers
                self.stats.failures += 1
                err = ScorerFailed(f"{self.name} scorer failed: {exc!r}")
                err.__cause__ = exc
                for key in keys:
                    fut = self._inflight.pop(key, None)
                    if fut is not None and not fut.done():
                        fut.set_exception(err)
                        fut.exception()  # mark retrieved: a timed-out caller may never look
                continue
            self.stats.scored += len(texts)
            for key, s in zip(keys, scores, strict=True):
                self._remember(key, s)
                fut = self._inflight.pop(key, None)
                if fut is not None and not fut.done():
                    fut.set_result(s)

    def _remember(self, key: str, scores: Scores) -> None:
        if self.cache_size <= 0:
            return
        self._cache[key] = scores
        self._cache.move_to_end(key)
        while len(self._cache) > self.cache_size:
            self._cache.popitem(last=False)

    def cache_len(self) -> int:
        return len(self._cache)

    async def aclose(self) -> None:
        self._closed = True
        if self._worker is not None:
            self._worker.cancel()
            with contextlib.suppress(asyncio.CancelledError, RuntimeError):
                await self._worker
        for fut in self._inflight.values():
            if not fut.done():
                fut.set_exception(ScorerUnavailable(f"{self.name} scorer closed"))
                fut.exception()
        self._inflight.clear()
        self._executor.shutdown(wait=False, cancel_futures=True)
