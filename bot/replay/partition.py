"""Replay split by member over worker processes (``modbot replay --jobs``).

All replay state (history, strikes, sanctions) is per member, so each worker replays the members
whose key hashes to its part and the reports add up exactly. Every worker still reads every export
(the order of the merged stream and the read counts depend on every message), but a message of a
member another worker replays is only checked - it is malformed, a bot's or a message exactly as
it would be when converted - and comes out as an ``Elsewhere`` marker instead of a ``Message``.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True)
class Part:
    """This worker replays the members whose key hashes to ``index`` (of ``count`` parts)."""

    index: int
    count: int


def part_of(platform: str, community_id: str, author_id: str, parts: int) -> int:
    """Which of ``parts`` workers replays this member (stable across processes and runs)."""
    key = f"{platform}|{community_id}|{author_id}"
    return zlib.crc32(key.encode("utf-8", "surrogatepass")) % parts


class Elsewhere:
    """A well-formed message of a member another worker replays: counted, never decided here."""

    __slots__ = ("timestamp",)

    def __init__(self, timestamp: datetime) -> None:
        self.timestamp = timestamp

    def __repr__(self) -> str:
        return f"Elsewhere({self.timestamp.isoformat()})"


class Owners:
    """Whether this worker replays an author of one community, remembered per author."""

    __slots__ = ("_community", "_known", "_part", "_platform")

    def __init__(self, part: Part, platform: str, community_id: str) -> None:
        self._part = part
        self._platform = platform
        self._community = community_id
        self._known: dict[str, bool] = {}

    def mine(self, author_id: str) -> bool:
        known = self._known.get(author_id)
        if known is None:
            part = self._part
            known = part_of(self._platform, self._community, author_id, part.count) == part.index
            if len(self._known) > 200_000:
                self._known.clear()  # bounded memory on huge exports; only a cache
            self._known[author_id] = known
        return known
