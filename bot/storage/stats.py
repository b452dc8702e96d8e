"""Read-only aggregates over cases and actions, for /stats."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from bot.storage import Reader, reports, to_ts


@dataclass(frozen=True, slots=True)
class Stats:
    """What happened in a community since a time."""

    cases: int = 0
    shadow_cases: int = 0
    pardoned: int = 0
    sanctions: dict[str, int] = field(default_factory=dict)  # warn/mute/kick/ban -> cases
    rules: dict[str, int] = field(default_factory=dict)  # rule id -> cases it fired in
    actions: dict[str, int] = field(default_factory=dict)  # status -> actions
    members_seen: int = 0
    members_joined: int = 0
    reports: int = 0  # members' reports received since then
    open_reports: int = 0  # reports not resolved yet, however old


async def community_stats(db: Reader, platform: str, community_id: str, since: datetime) -> Stats:
    """Counts for one community since ``since`` (committed data only)."""
    row = await db.fetchone(
        "SELECT id FROM communities WHERE platform = ? AND platform_id = ?",
        (platform, community_id),
    )
    if row is None:
        return Stats()
    pk, ts = row[0], to_ts(since)
    cases = await db.fetchall(
        "SELECT rule_ids, shadow, sanction, pardoned_at FROM cases"
        " WHERE community_id = ? AND created_at >= ?",
        (pk, ts),
    )
    rules: Counter[str] = Counter()
    sanctions: Counter[str] = Counter()
    shadow = pardoned = 0
    for rule_ids, is_shadow, sanction, pardoned_at in cases:
        rules.update(set(json.loads(rule_ids)))
        shadow += bool(is_shadow)
        pardoned += pardoned_at is not None
        if sanction:
            sanctions[sanction] += 1
    actions = await db.fetchall(
        "SELECT a.status, count(*) FROM case_actions a JOIN cases k ON k.id = a.case_id"
        " WHERE k.community_id = ? AND k.created_at >= ? GROUP BY a.status",
        (pk, ts),
    )
    members = await db.fetchone(
        "SELECT sum(first_seen >= ?), sum(joined_at >= ?) FROM members WHERE community_id = ?",
        (ts, ts, pk),
    )
    seen, joined = (members[0], members[1]) if members else (0, 0)
    received = await reports.count_reports(db, community_pk=pk, since=since)
    still_open = await reports.count_reports(db, community_pk=pk, open_only=True)
    return Stats(
        cases=len(cases),
        shadow_cases=shadow,
        pardoned=pardoned,
        sanctions=dict(sanctions),
        rules=dict(rules),
        actions={status: n for status, n in actions},
        members_seen=int(seen or 0),
        members_joined=int(joined or 0),
        reports=received,
        open_reports=still_open,
    )
