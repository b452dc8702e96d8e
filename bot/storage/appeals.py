"""Members' appeals of their cases: recorded, listed, resolved by a moderator's pardon."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.storage import Reader, Tx, from_ts, to_ts


@dataclass(frozen=True, slots=True)
class Appeal:
    """One appeal of a case."""

    id: int
    case_id: int
    member_pk: int
    text: str
    created_at: datetime
    resolved_at: datetime | None
    resolved_by: str | None
    outcome: str | None


async def add_appeal(tx: Tx, case_id: int, member_pk: int, text: str, now: datetime) -> int:
    """Record an appeal; returns its id."""
    return await tx.execute(
        "INSERT INTO appeals (case_id, member_id, text, created_at) VALUES (?, ?, ?, ?)",
        (case_id, member_pk, text, to_ts(now)),
    )


async def appeals_of(db: Reader, case_id: int) -> list[Appeal]:
    """A case's appeals, oldest first."""
    rows = await db.fetchall(
        "SELECT id, case_id, member_id, text, created_at, resolved_at, resolved_by, outcome"
        " FROM appeals WHERE case_id = ? ORDER BY id",
        (case_id,),
    )
    return [
        Appeal(r[0], r[1], r[2], r[3], from_ts(r[4]), from_ts(r[5]), r[6], r[7])  # type: ignore[arg-type]
        for r in rows
    ]


async def resolve(tx: Tx, case_id: int, by: str, outcome: str, now: datetime) -> int:
    """Close the case's open appeals with ``outcome``; returns how many were open."""
    return await tx.execute(
        "UPDATE appeals SET resolved_at = ?, resolved_by = ?, outcome = ?"
        " WHERE case_id = ? AND resolved_at IS NULL",
        (to_ts(now), by, outcome, case_id),
    )
