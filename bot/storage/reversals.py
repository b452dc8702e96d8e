"""Scheduled reversals (unmute, unban): the scheduler's queue, kept across restarts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.storage import Reader, Row, SyncConn, Tx, from_ts, to_ts

SCHEDULED, DONE, FAILED, CANCELLED = "scheduled", "done", "failed", "cancelled"


@dataclass(frozen=True, slots=True)
class Reversal:
    """A scheduled unmute or unban, with its member's platform ids."""

    id: int
    case_id: int | None
    community_pk: int
    member_pk: int
    platform: str
    community_id: str
    user_id: str
    kind: str  # "unmute" | "unban"
    due_at: datetime
    status: str
    attempts: int
    error: str | None


_CANCEL = (
    "UPDATE reversals SET status = 'cancelled', updated_at = ?"
    " WHERE community_id = ? AND member_id = ? AND kind = ? AND status = 'scheduled'"
)
_INSERT = (
    "INSERT INTO reversals (case_id, community_id, member_id, kind, due_at, updated_at)"
    " VALUES (?, ?, ?, ?, ?, ?)"
)


async def schedule(
    tx: Tx,
    community_pk: int,
    member_pk: int,
    kind: str,
    due_at: datetime,
    now: datetime,
    case_id: int | None = None,
) -> int:
    """Schedule a reversal, replacing any still-scheduled one of the same kind for the member
    (the newest mute/ban decides when it ends; an older, earlier unmute must not lift it)."""
    await cancel(tx, community_pk, member_pk, kind, now)
    return await tx.execute(
        _INSERT, (case_id, community_pk, member_pk, kind, to_ts(due_at), to_ts(now))
    )


def schedule_sync(
    conn: SyncConn,
    community_pk: int,
    member_pk: int,
    kind: str,
    due_at: datetime,
    now: datetime,
    case_id: int | None = None,
) -> int:
    """``schedule`` inside ``Database.write``."""
    conn.execute(_CANCEL, (to_ts(now), community_pk, member_pk, kind))
    cur = conn.execute(_INSERT, (case_id, community_pk, member_pk, kind, to_ts(due_at), to_ts(now)))
    assert cur.lastrowid is not None
    return cur.lastrowid


_SHORTEN = """
UPDATE reversals SET due_at = ?, updated_at = ?
WHERE case_id = ? AND kind = 'unmute' AND status = 'scheduled' AND due_at > ?
"""
_CASE_EXPIRES = "UPDATE cases SET expires_at = ? WHERE id = ? AND expires_at > ?"


def mute_clamped_sync(conn: SyncConn, case_id: int, real_end: datetime, now: datetime) -> None:
    """The platform capped a mute (Discord: 28 days): the case and its unmute follow the real end."""
    end, stamp = to_ts(real_end), to_ts(now)
    conn.execute(_SHORTEN, (end, stamp, case_id, end))
    conn.execute(_CASE_EXPIRES, (end, case_id, end))


async def cancel(tx: Tx, community_pk: int, member_pk: int, kind: str, now: datetime) -> int:
    """Cancel scheduled reversals of ``kind`` for a member (e.g. a moderator lifted it by hand)."""
    return await tx.execute(_CANCEL, (to_ts(now), community_pk, member_pk, kind))


_COLUMNS = """
SELECT r.id, r.case_id, r.community_id, r.member_id, c.platform, c.platform_id, m.user_id, r.kind,
       r.due_at, r.status, r.attempts, r.error
FROM reversals r JOIN communities c ON c.id = r.community_id JOIN members m ON m.id = r.member_id
"""


def _reversal(r: Row) -> Reversal:
    due = from_ts(r[8])
    assert due is not None
    return Reversal(r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], due, r[9], r[10], r[11])


async def next_due(db: Reader) -> datetime | None:
    """When the earliest scheduled reversal falls due (None: nothing scheduled)."""
    row = await db.fetchone("SELECT min(due_at) FROM reversals WHERE status = 'scheduled'")
    return None if row is None else from_ts(row[0])


async def due(db: Reader, now: datetime, limit: int = 100) -> list[Reversal]:
    """Scheduled reversals due at ``now``, earliest first."""
    rows = await db.fetchall(
        _COLUMNS + "WHERE r.status = 'scheduled' AND r.due_at <= ? ORDER BY r.due_at LIMIT ?",
        (to_ts(now), limit),
    )
    return [_reversal(r) for r in rows]


async def get(db: Reader, reversal_id: int) -> Reversal | None:
    """One reversal by id (the scheduler re-reads it in the transaction that acts on it)."""
    row = await db.fetchone(_COLUMNS + "WHERE r.id = ?", (reversal_id,))
    return None if row is None else _reversal(row)


async def scheduled_for(db: Reader, member_pk: int) -> list[Reversal]:
    """A member's scheduled reversals."""
    rows = await db.fetchall(
        _COLUMNS + "WHERE r.member_id = ? AND r.status = 'scheduled' ORDER BY r.due_at",
        (member_pk,),
    )
    return [_reversal(r) for r in rows]


async def claim(tx: Tx, reversal_id: int, now: datetime, lease_until: datetime) -> Reversal | None:
    """Re-read a reversal; if still scheduled and due, return it with its due time pushed to
    ``lease_until`` (so a crash mid-call retries it later instead of losing it); else None."""
    rev = await get(tx, reversal_id)
    if rev is None or rev.status != SCHEDULED or rev.due_at > now:
        return None
    await tx.execute(
        "UPDATE reversals SET due_at = ?, attempts = attempts + 1, updated_at = ? WHERE id = ?",
        (to_ts(lease_until), to_ts(now), reversal_id),
    )
    return rev


async def finish(
    tx: Tx, reversal_id: int, status: str, now: datetime, error: str | None = None
) -> None:
    """Mark a claimed reversal done or failed."""
    await tx.execute(
        "UPDATE reversals SET status = ?, error = ?, updated_at = ? WHERE id = ?",
        (status, error, to_ts(now), reversal_id),
    )


async def retry_at(tx: Tx, reversal_id: int, when: datetime, now: datetime, error: str) -> None:
    """Leave a reversal scheduled for another try at ``when`` (transient failure)."""
    await tx.execute(
        "UPDATE reversals SET due_at = ?, error = ?, updated_at = ? WHERE id = ?",
        (to_ts(when), error, to_ts(now), reversal_id),
    )
