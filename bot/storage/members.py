"""Communities and members per platform, first-seen times, and moderator notes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.events import Author
from bot.storage import Reader, Row, SyncConn, Tx, from_ts, to_ts


@dataclass(frozen=True, slots=True)
class MemberRecord:
    """A member row with its community's platform ids."""

    id: int
    community_pk: int
    platform: str
    community_id: str
    user_id: str
    name: str
    username: str | None
    first_seen: datetime
    joined_at: datetime | None


@dataclass(frozen=True, slots=True)
class Note:
    """A moderator's note on a member."""

    id: int
    member_pk: int
    author_id: str
    author_name: str
    text: str
    created_at: datetime


_UPSERT_COMMUNITY = """
INSERT INTO communities (platform, platform_id, name, created_at) VALUES (?, ?, ?, ?)
ON CONFLICT (platform, platform_id) DO UPDATE
    SET name = CASE WHEN excluded.name != '' THEN excluded.name ELSE communities.name END
RETURNING id
"""


async def ensure_community(
    tx: Tx, platform: str, platform_id: str, name: str, now: datetime
) -> int:
    """The row id of (platform, platform_id), created on first sight; a new name is kept."""
    row = await tx.fetchone(_UPSERT_COMMUNITY, (platform, platform_id, name, to_ts(now)))
    assert row is not None
    return int(row[0])


def ensure_community_sync(
    conn: SyncConn, platform: str, platform_id: str, name: str, now: datetime
) -> int:
    """``ensure_community`` inside ``Database.write``."""
    return int(
        conn.execute(_UPSERT_COMMUNITY, (platform, platform_id, name, to_ts(now))).fetchone()[0]
    )


_UPSERT_MEMBER = """
INSERT INTO members (community_id, user_id, name, username, first_seen, joined_at)
VALUES (?, ?, ?, ?, ?, ?)
ON CONFLICT (community_id, user_id) DO UPDATE SET
    name = CASE WHEN excluded.name != '' THEN excluded.name ELSE members.name END,
    username = coalesce(excluded.username, members.username),
    joined_at = coalesce(excluded.joined_at, members.joined_at)
RETURNING id
"""


async def ensure_member(
    tx: Tx,
    community_pk: int,
    user_id: str,
    name: str,
    now: datetime,
    *,
    username: str | None = None,
    joined_at: datetime | None = None,
) -> int:
    """The row id of a member, created (first seen ``now``) on first sight; name/joined updated."""
    row = await tx.fetchone(
        _UPSERT_MEMBER,
        (community_pk, user_id, name, username, to_ts(now), to_ts(joined_at)),
    )
    assert row is not None
    return int(row[0])


def ensure_member_sync(
    conn: SyncConn,
    community_pk: int,
    user_id: str,
    name: str,
    now: datetime,
    *,
    username: str | None = None,
    joined_at: datetime | None = None,
) -> int:
    """``ensure_member`` inside ``Database.write``."""
    row = conn.execute(
        _UPSERT_MEMBER, (community_pk, user_id, name, username, to_ts(now), to_ts(joined_at))
    ).fetchone()
    return int(row[0])


def ensure_author_sync(
    conn: SyncConn,
    platform: str,
    community_id: str,
    community_name: str,
    author: Author,
    now: datetime,
) -> tuple[int, int]:
    """Row ids of a message author's community and member, created on first sight."""
    cpk = ensure_community_sync(conn, platform, community_id, community_name, now)
    mpk = ensure_member_sync(
        conn,
        cpk,
        author.id,
        author.name,
        now,
        username=author.username,
        joined_at=author.joined_at,
    )
    return cpk, mpk


_MEMBER_COLUMNS = """
SELECT m.id, m.community_id, c.platform, c.platform_id, m.user_id, m.name, m.username,
       m.first_seen, m.joined_at
FROM members m JOIN communities c ON c.id = m.community_id
"""


def _member(row: Row) -> MemberRecord:
    first = from_ts(row[7])
    assert first is not None
    return MemberRecord(
        id=row[0],
        community_pk=row[1],
        platform=row[2],
        community_id=row[3],
        user_id=row[4],
        name=row[5],
        username=row[6],
        first_seen=first,
        joined_at=from_ts(row[8]),
    )


async def find_member(
    db: Reader, platform: str, community_id: str, user_id: str
) -> MemberRecord | None:
    """A member by platform ids, or None if the bot never saw them there."""
    row = await db.fetchone(
        _MEMBER_COLUMNS + "WHERE c.platform = ? AND c.platform_id = ? AND m.user_id = ?",
        (platform, community_id, user_id),
    )
    return None if row is None else _member(row)


async def communities_of_user(
    db: Reader, platform: str, user_id: str
) -> list[tuple[MemberRecord, str]]:
    """Every community of ``platform`` where the bot has seen ``user_id``, with its name (for a
    member's own cases outside any community: ``/mycases`` in a private chat)."""
    rows = await db.fetchall(
        _MEMBER_COLUMNS.replace("m.joined_at", "m.joined_at, c.name")
        + "WHERE c.platform = ? AND m.user_id = ? ORDER BY m.id",
        (platform, user_id),
    )
    return [(_member(row), str(row[9] or "")) for row in rows]


async def find_member_by_username(
    db: Reader, platform: str, community_id: str, username: str
) -> MemberRecord | None:
    """A member by @username (without the @, case-insensitive), for Telegram command targets."""
    row = await db.fetchone(
        _MEMBER_COLUMNS
        + "WHERE c.platform = ? AND c.platform_id = ? AND lower(m.username) = lower(?)"
        + " ORDER BY m.id DESC LIMIT 1",
        (platform, community_id, username.removeprefix("@")),
    )
    return None if row is None else _member(row)


async def get_member(db: Reader, member_pk: int) -> MemberRecord | None:
    """A member by row id."""
    row = await db.fetchone(_MEMBER_COLUMNS + "WHERE m.id = ?", (member_pk,))
    return None if row is None else _member(row)


async def first_seen(db: Reader, platform: str, user_id: str) -> datetime | None:
    """When the bot first saw this user on this platform (Telegram's stand-in for account age)."""
    row = await db.fetchone(_FIRST_SEEN, (platform, user_id))
    return None if row is None else from_ts(row[0])


_FIRST_SEEN = (
    "SELECT min(m.first_seen) FROM members m JOIN communities c ON c.id = m.community_id"
    " WHERE c.platform = ? AND m.user_id = ?"
)


def first_seen_sync(conn: SyncConn, platform: str, user_id: str) -> datetime | None:
    """``first_seen`` inside ``Database.write`` (sees the transaction's own rows)."""
    row = conn.execute(_FIRST_SEEN, (platform, user_id)).fetchone()
    return None if row is None else from_ts(row[0])


async def add_note(
    tx: Tx, member_pk: int, author_id: str, author_name: str, text: str, now: datetime
) -> int:
    """Record a moderator's note; returns its id."""
    return await tx.execute(
        "INSERT INTO notes (member_id, author_id, author_name, text, created_at)"
        " VALUES (?, ?, ?, ?, ?)",
        (member_pk, author_id, author_name, text, to_ts(now)),
    )


async def list_notes(db: Reader, member_pk: int, limit: int = 50) -> list[Note]:
    """A member's notes, newest first."""
    rows = await db.fetchall(
        "SELECT id, member_id, author_id, author_name, text, created_at FROM notes"
        " WHERE member_id = ? ORDER BY created_at DESC, id DESC LIMIT ?",
        (member_pk, limit),
    )
    return [Note(r[0], r[1], r[2], r[3], r[4], from_ts(r[5])) for r in rows]  # type: ignore[arg-type]
