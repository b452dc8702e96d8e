"""Per-day activity counters (messages, joins, leaves) and per-day case aggregates for /stats."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from bot.storage import Reader, Tx, to_ts
from bot.storage import members as member_store


@dataclass(frozen=True, slots=True)
class Counts:
    """Activity to add to one community's day (``day`` is ``YYYY-MM-DD`` in UTC)."""

    platform: str
    community_id: str
    day: str
    messages: int = 0
    joined: int = 0
    left: int = 0


@dataclass(frozen=True, slots=True)
class Day:
    """One day of a community: activity and the cases recorded that day, per rule."""

    day: str
    messages: int = 0
    joined: int = 0
    left: int = 0
    actions: dict[str, int] = field(default_factory=dict)  # rule id (or "moderator") -> cases


_UPSERT = """
INSERT INTO activity (community_id, day, messages, joined, left_count) VALUES (?, ?, ?, ?, ?)
ON CONFLICT (community_id, day) DO UPDATE SET
    messages = messages + excluded.messages,
    joined = joined + excluded.joined,
    left_count = left_count + excluded.left_count
"""


async def add_counts(tx: Tx, counts: Iterable[Counts], now: datetime) -> None:
    """Add counters (kept in memory between flushes by the caller) in the caller's transaction."""
    for c in counts:
        cpk = await member_store.ensure_community(tx, c.platform, c.community_id, "", now)
        await tx.execute(_UPSERT, (cpk, c.day, c.messages, c.joined, c.left))


async def _community_pk(db: Reader, platform: str, community_id: str) -> int | None:
    row = await db.fetchone(
        "SELECT id FROM communities WHERE platform = ? AND platform_id = ?",
        (platform, community_id),
    )
    return None if row is None else int(row[0])


async def days(db: Reader, platform: str, community_id: str, since: datetime) -> list[Day]:
    """Each day since ``since`` (UTC, oldest first) that had activity or cases."""
    pk = await _community_pk(db, platform, community_id)
    if pk is None:
        return []
    first = to_ts(since)
    assert first is not None
    out: dict[str, Day] = {}
    for day, messages, joined, left in await db.fetchall(
        "SELECT day, messages, joined, left_count FROM activity"
        " WHERE community_id = ? AND day >= ?",
        (pk, first[:10]),
    ):
        out[day] = Day(day, messages, joined, left)
    per_day: dict[str, Counter[str]] = {}
    for created, rule_ids, source, shadow in await db.fetchall(
        "SELECT created_at, rule_ids, source, shadow FROM cases"
        " WHERE community_id = ? AND created_at >= ?",
        (pk, first),
    ):
        if shadow:
            continue  # shadow cases did nothing: they are not actions
        rules = json.loads(rule_ids) or (["moderator"] if source == "moderator" else [])
        per_day.setdefault(created[:10], Counter()).update(set(rules))
    for day, counter in per_day.items():
        base = out.get(day, Day(day))
        out[day] = Day(day, base.messages, base.joined, base.left, dict(counter))
    return [out[d] for d in sorted(out)]


async def active_strikes(
    db: Reader, platform: str, community_id: str, now: datetime
) -> tuple[int, int]:
    """(members with active strikes, active strikes in all) in a community at ``now``."""
    pk = await _community_pk(db, platform, community_id)
    if pk is None:
        return 0, 0
    row = await db.fetchone(
        "SELECT count(DISTINCT s.member_id), coalesce(sum(s.count), 0) FROM strikes s"
        " JOIN members m ON m.id = s.member_id"
        " WHERE m.community_id = ? AND s.pardoned_at IS NULL"
        " AND (s.expires_at IS NULL OR s.expires_at > ?)",
        (pk, to_ts(now)),
    )
    return (int(row[0]), int(row[1])) if row else (0, 0)
