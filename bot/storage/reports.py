"""Members' reports: recorded before the log channel is told, counted, listed, resolved by a case
or dismissed by a moderator."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.storage import Reader, Row, Tx, from_ts, to_ts


@dataclass(frozen=True, slots=True)
class NewReport:
    """A report to record. ``channel_id``/``message_id`` name the reported message when known (a
    replied-to message, a link into this community); ``member_pk`` its author when known."""

    community_pk: int
    reporter_pk: int
    created_at: datetime
    member_pk: int | None = None
    channel_id: str | None = None
    message_id: str | None = None
    link: str | None = None
    excerpt: str = ""
    note: str = ""


@dataclass(frozen=True, slots=True)
class Report:
    """A recorded report, with the names of the reporter and of the reported member."""

    id: int
    community_pk: int
    reporter_pk: int
    reporter_user_id: str
    reporter_name: str
    reporter_username: str | None
    member_pk: int | None
    member_user_id: str | None
    member_name: str | None
    channel_id: str | None
    message_id: str | None
    link: str | None
    excerpt: str
    note: str
    created_at: datetime
    resolved_at: datetime | None
    resolved_by: str | None
    outcome: str | None
    case_id: int | None
    text_erased_at: datetime | None
    resolution_reason: str | None = None  # a dismissal's reason (0004)


_INSERT = """
INSERT INTO reports (community_id, reporter_id, member_id, channel_id, message_id, link, excerpt,
                     note, created_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT DO NOTHING
RETURNING id
"""


async def add_report(tx: Tx, new: NewReport) -> int | None:
    """Record a report; its id, or None when the reporter already reported that message or link
    (the unique indexes of 0003 refuse it, so two reports at once cannot both be stored)."""
    row = await tx.fetchone(
        _INSERT,
        (
            new.community_pk,
            new.reporter_pk,
            new.member_pk,
            new.channel_id,
            new.message_id,
            new.link,
            new.excerpt,
            new.note,
            to_ts(new.created_at),
        ),
    )
    return None if row is None else int(row[0])


async def find_same(
    db: Reader,
    reporter_pk: int,
    channel_id: str | None,
    message_id: str | None,
    link: str | None,
) -> int | None:
    """The reporter's earlier report of the same message (by id, else by link), or None."""
    if message_id is not None:
        row = await db.fetchone(
            "SELECT id FROM reports WHERE reporter_id = ? AND channel_id IS ? AND message_id = ?",
            (reporter_pk, channel_id, message_id),
        )
    elif link is not None:
        row = await db.fetchone(
            "SELECT id FROM reports WHERE reporter_id = ? AND message_id IS NULL AND link = ?",
            (reporter_pk, link),
        )
    else:
        return None  # a report in words only names no message: it cannot repeat one
    return None if row is None else int(row[0])


async def times_since(db: Reader, reporter_pk: int, since: datetime) -> list[datetime]:
    """When the reporter made their reports since ``since``, oldest first (the rate limit)."""
    rows = await db.fetchall(
        "SELECT created_at FROM reports WHERE reporter_id = ? AND created_at >= ?"
        " ORDER BY created_at",
        (reporter_pk, to_ts(since)),
    )
    return [from_ts(r[0]) for r in rows]  # type: ignore[misc]


_COLUMNS = """
SELECT r.id, r.community_id, r.reporter_id, rp.user_id, rp.name, rp.username, r.member_id,
       m.user_id, m.name, r.channel_id, r.message_id, r.link, r.excerpt, r.note, r.created_at,
       r.resolved_at, r.resolved_by, r.outcome, r.case_id, r.text_erased_at, r.resolution_reason
FROM reports r
JOIN members rp ON rp.id = r.reporter_id
LEFT JOIN members m ON m.id = r.member_id
"""

_COUNT = "SELECT count(*) FROM reports r"
# A community as the platform names it: (platform, guild or chat id).
_IN_COMMUNITY = (
    "r.community_id = (SELECT id FROM communities WHERE platform = ? AND platform_id = ?)"
)


def _report(r: Row) -> Report:
    created = from_ts(r[14])
    assert created is not None
    return Report(
        id=r[0],
        community_pk=r[1],
        reporter_pk=r[2],
        reporter_user_id=r[3],
        reporter_name=r[4],
        reporter_username=r[5],
        member_pk=r[6],
        member_user_id=r[7],
        member_name=r[8],
        channel_id=r[9],
        message_id=r[10],
        link=r[11],
        excerpt=r[12],
        note=r[13],
        created_at=created,
        resolved_at=from_ts(r[15]),
        resolved_by=r[16],
        outcome=r[17],
        case_id=r[18],
        text_erased_at=from_ts(r[19]),
        resolution_reason=r[20],
    )


def _where(
    community_pk: int | None,
    member_pk: int | None,
    open_only: bool,
    since: datetime | None,
    community: tuple[str, str] | None = None,
) -> tuple[str, list[object]]:
    """The WHERE clause (fixed fragments only) and its parameters for the filters given."""
    where: list[str] = []
    params: list[object] = []
    if community_pk is not None:
        where.append("r.community_id = ?")
        params.append(community_pk)
    if community is not None:
        where.append(_IN_COMMUNITY)
        params.extend(community)
    if member_pk is not None:
        where.append("r.member_id = ?")
        params.append(member_pk)
    if open_only:
        where.append("r.resolved_at IS NULL")
    if since is not None:
        where.append("r.created_at >= ?")
        params.append(to_ts(since))
    return (" WHERE " + " AND ".join(where)) if where else "", params


async def get_report(db: Reader, report_id: int) -> Report | None:
    """One report, or None."""
    row = await db.fetchone(_COLUMNS + " WHERE r.id = ?", (report_id,))
    return None if row is None else _report(row)


async def get_report_in(
    db: Reader, report_id: int, platform: str, platform_id: str
) -> Report | None:
    """One report of the community (platform, guild or chat id); None for another community's."""
    row = await db.fetchone(
        _COLUMNS + " WHERE r.id = ? AND " + _IN_COMMUNITY, (report_id, platform, platform_id)
    )
    return None if row is None else _report(row)


async def list_reports(
    db: Reader,
    *,
    community_pk: int | None = None,
    member_pk: int | None = None,
    open_only: bool = False,
    limit: int = 20,
    community: tuple[str, str] | None = None,
) -> list[Report]:
    """Reports of a community (by row id, or ``community``: platform and its id) or about a
    member, newest first."""
    clause, params = _where(community_pk, member_pk, open_only, None, community)
    rows = await db.fetchall(
        _COLUMNS + clause + " ORDER BY r.created_at DESC, r.id DESC LIMIT ?", (*params, limit)
    )
    return [_report(r) for r in rows]


async def count_reports(
    db: Reader,
    *,
    community_pk: int | None = None,
    member_pk: int | None = None,
    open_only: bool = False,
    since: datetime | None = None,
    community: tuple[str, str] | None = None,
) -> int:
    """How many reports match the filters."""
    clause, params = _where(community_pk, member_pk, open_only, since, community)
    row = await db.fetchone(_COUNT + clause, params)
    return int(row[0]) if row else 0


async def resolve(
    tx: Tx,
    report_id: int,
    by: str,
    outcome: str,
    now: datetime,
    case_id: int | None = None,
    reason: str | None = None,
) -> bool:
    """Close one open report (``dismiss``: outcome "dismissed" and the moderator's reason);
    False if there is no such report or it was closed already, and then nothing changes."""
    changed = await tx.execute(
        "UPDATE reports SET resolved_at = ?, resolved_by = ?, outcome = ?, case_id = ?,"
        " resolution_reason = ? WHERE id = ? AND resolved_at IS NULL",
        (to_ts(now), by, outcome, case_id, reason, report_id),
    )
    return bool(changed)


async def resolve_about(
    tx: Tx,
    community_pk: int,
    member_pk: int,
    by: str,
    outcome: str,
    case_id: int,
    now: datetime,
    message: tuple[str, str] | None = None,
) -> int:
    """Close the open reports about a member, and those about ``message`` (channel id, message id)
    whose author was not known, with the case that dealt with them; returns how many."""
    channel_id, message_id = message if message is not None else (None, None)
    return await tx.execute(
        "UPDATE reports SET resolved_at = ?, resolved_by = ?, outcome = ?, case_id = ?"
        " WHERE community_id = ? AND resolved_at IS NULL"
        " AND (member_id = ? OR (member_id IS NULL AND channel_id = ? AND message_id = ?))",
        (to_ts(now), by, outcome, case_id, community_pk, member_pk, channel_id, message_id),
    )


async def erase_old_text(tx: Tx, older_than: datetime, now: datetime) -> int:
    """Privacy: remove the reported messages' excerpts from reports created before ``older_than``
    (as for cases' texts); the reports stay. Returns how many were erased."""
    return await tx.execute(
        "UPDATE reports SET excerpt = '', text_erased_at = ? WHERE created_at < ? AND excerpt != ''",
        (to_ts(now), to_ts(older_than)),
    )
