"""What the commands need to remember from the event stream: recent messages (purge) and counters (stats)."""

from __future__ import annotations

from collections import OrderedDict, deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime

from bot.events import Author, Event, MemberJoin, MemberLeave, Message
from bot.storage import Database
from bot.storage import activity as activity_store

ChannelKey = tuple[str, str, str]  # (platform, community id, channel id)


@dataclass(frozen=True, slots=True)
class Seen:
    """A message recently seen in a channel."""

    message_id: str
    author: Author
    at: datetime


class Activity:
    """Bounded memory of recent messages per channel, and per-day counters flushed to storage.

    Counting in memory and flushing now and then keeps the per-message cost at a dict update:
    a database write for every message would halve the bot's throughput.
    """

    def __init__(self, per_channel: int = 500, max_channels: int = 5_000) -> None:
        self.per_channel = per_channel
        self.max_channels = max_channels
        self._recent: OrderedDict[ChannelKey, deque[Seen]] = OrderedDict()
        self._counts: dict[tuple[str, str, str], list[int]] = {}

    def observe(self, event: Event) -> None:
        """Note one event (called for every event before the pipeline sees it)."""
        if isinstance(event, Message):
            if event.author.is_bot:
                return
            if not event.edited:
                self._count(str(event.platform), event.community_id, event.timestamp, 0)
                key = (str(event.platform), event.community_id, event.channel.id)
                window = self._recent.get(key)
                if window is None:
                    window = self._recent[key] = deque(maxlen=self.per_channel)
                    if len(self._recent) > self.max_channels:
                        self._recent.popitem(last=False)
                else:
                    self._recent.move_to_end(key)
                window.append(Seen(event.message_id, event.author, event.timestamp))
        elif isinstance(event, MemberJoin):
            self._count(str(event.platform), event.community_id, event.timestamp, 1)
        elif isinstance(event, MemberLeave):
            self._count(str(event.platform), event.community_id, event.timestamp, 2)

    def _count(self, platform: str, community_id: str, when: datetime, slot: int) -> None:
        key = (platform, community_id, when.date().isoformat())
        counts = self._counts.get(key)
        if counts is None:
            counts = self._counts[key] = [0, 0, 0]
        counts[slot] += 1

    def recent(
        self, platform: str, community_id: str, channel_id: str, author_id: str | None = None
    ) -> list[Seen]:
        """Messages seen in a channel, newest first (only ``author_id``'s when given)."""
        window = self._recent.get((platform, community_id, channel_id), ())
        return [s for s in reversed(window) if author_id is None or s.author.id == author_id]

    def forget(self, platform: str, community_id: str, channel_id: str, ids: set[str]) -> None:
        """Drop messages that were deleted."""
        window = self._recent.get((platform, community_id, channel_id))
        if window is not None:
            kept = [s for s in window if s.message_id not in ids]
            window.clear()
            window.extend(kept)

    async def flush(self, db: Database, now: datetime) -> None:
        """Write the counters gathered since the last flush."""
        if not self._counts:
            return
        taken, self._counts = self._counts, {}
        rows = [
            activity_store.Counts(p, c, day, m, j, left)
            for (p, c, day), (m, j, left) in taken.items()
        ]
        try:
            async with db.transaction() as tx:
                await activity_store.add_counts(tx, rows, now)
        except BaseException:
            for (p, c, day), values in taken.items():  # keep them for the next flush
                mine = self._counts.setdefault((p, c, day), [0, 0, 0])
                for i, v in enumerate(values):
                    mine[i] += v
            raise


def observing(
    activity: Activity, handler: Callable[[Event], Awaitable[object]]
) -> Callable[[Event], Awaitable[object]]:
    """``handler`` that first lets ``activity`` note the event (what the bindings install)."""

    async def handle(event: Event) -> object:
        activity.observe(event)
        return await handler(event)

    return handle
