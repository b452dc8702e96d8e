"""Cases, their actions (intent first, then outcome), strikes, pardons and the privacy eraser."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from bot.storage import Reader, Row, SyncConn, Tx, from_ts, to_ts

PENDING, DONE, FAILED, REFUSED = "pending", "done", "failed", "refused"


@dataclass(frozen=True, slots=True)
class ActionIntent:
    """A platform call a case asks for; ``params`` (JSON) must suffice to redo it after a crash."""

    kind: str
    params: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class NewCase:
    """A case to record. ``community_pk``/``member_pk`` are row ids from ``members.ensure_*``."""

    community_pk: int
    member_pk: int
    source: str  # "rules" | "moderator"
    created_at: datetime
    rule_ids: tuple[str, ...] = ()
    moderator_id: str | None = None
    moderator_name: str | None = None
    shadow: bool = False
    sanction: str | None = None
    reason: str = ""
    channel_id: str | None = None
    message_id: str | None = None
    link: str | None = None
    message_text: str | None = None
    normalized: str | None = None
    evidence: list[dict[str, Any]] | None = None
    strikes: int = 0
    strikes_after: int = 0
    ladder_step: int | None = None
    expires_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class ActionRecord:
    """One recorded action and its outcome."""

    id: int
    case_id: int
    seq: int
    kind: str
    params: dict[str, Any]
    status: str
    error: str | None
    attempts: int


@dataclass(frozen=True, slots=True)
class CaseRecord:
    """A case as stored, with the platform ids of its community and member."""

    id: int
    platform: str
    community_id: str
    community_pk: int
    member_pk: int
    user_id: str
    member_name: str
    source: str
    rule_ids: tuple[str, ...]
    moderator_id: str | None
    moderator_name: str | None
    shadow: bool
    sanction: str | None
    reason: str
    channel_id: str | None
    message_id: str | None
    link: str | None
    message_text: str | None
    normalized: str | None
    evidence: list[dict[str, Any]] | None
    strikes: int
    strikes_after: int
    ladder_step: int | None
    created_at: datetime
    expires_at: datetime | None
    pardoned_at: datetime | None
    pardoned_by: str | None
    pardon_reason: str | None
    text_erased_at: datetime | None
    actions: tuple[ActionRecord, ...] = ()


@dataclass(frozen=True, slots=True)
class PendingAction:
    """An action still pending (e.g. after a crash), with what is needed to carry it out."""

    action: ActionRecord
    platform: str
    community_id: str
    user_id: str


_INSERT_CASE = """
INSERT INTO cases (community_id, member_id, source, rule_ids, moderator_id, moderator_name,
                   shadow, sanction, reason, channel_id, message_id, link, message_text,
                   normalized, evidence, strikes, strikes_after, ladder_step, created_at,
                   expires_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
"""
_INSERT_ACTION = """
INSERT INTO case_actions (case_id, seq, kind, params, status, updated_at) VALUES (?, ?, ?, ?, ?, ?)
"""
_INSERT_STRIKE = """
INSERT INTO strikes (case_id, member_id, count, created_at, expires_at) VALUES (?, ?, ?, ?, ?)
"""


async def insert_case(
    tx: Tx,
    case: NewCase,
    actions: Sequence[ActionIntent] = (),
    *,
    strikes_expire_at: datetime | None = None,
) -> tuple[int, list[int]]:
    """Record a case, its pending actions and its strikes in the caller's transaction.

    Returns the case id and the action ids in order.
    """
    case_id = await tx.execute(_INSERT_CASE, _case_params(case))
    action_ids: list[int] = []
    now = to_ts(case.created_at)
    for seq, action in enumerate(actions):
        params = json.dumps(action.params, ensure_ascii=False, sort_keys=True)
        action_ids.append(
            await tx.execute(_INSERT_ACTION, (case_id, seq, action.kind, params, PENDING, now))
        )
    if case.strikes > 0:
        await tx.execute(
            _INSERT_STRIKE,
            (case_id, case.member_pk, case.strikes, now, to_ts(strikes_expire_at)),
        )
    return case_id, action_ids


def insert_case_sync(
    conn: SyncConn,
    case: NewCase,
    actions: Sequence[ActionIntent] = (),
    *,
    strikes_expire_at: datetime | None = None,
) -> tuple[int, list[int]]:
    """``insert_case`` inside ``Database.write`` (the executor's hot path)."""
    case_id = conn.execute(_INSERT_CASE, _case_params(case)).lastrowid
    assert case_id is not None
    now = to_ts(case.created_at)
    action_ids: list[int] = []
    for seq, action in enumerate(actions):
        params = json.dumps(action.params, ensure_ascii=False, sort_keys=True)
        cur = conn.execute(_INSERT_ACTION, (case_id, seq, action.kind, params, PENDING, now))
        assert cur.lastrowid is not None
        action_ids.append(cur.lastrowid)
    if case.strikes > 0:
        conn.execute(
            _INSERT_STRIKE, (case_id, case.member_pk, case.strikes, now, to_ts(strikes_expire_at))
        )
    return case_id, action_ids


def _case_params(case: NewCase) -> tuple[Any, ...]:
    return (
        case.community_pk,
        case.member_pk,
        case.source,
        json.dumps(list(case.rule_ids)),
        case.moderator_id,
        case.moderator_name,
        int(case.shadow),
        case.sanction,
        case.reason,
        case.channel_id,
        case.message_id,
        case.link,
        case.message_text,
        case.normalized,
        None if case.evidence is None else json.dumps(case.evidence, ensure_ascii=False),
        case.strikes,
        case.strikes_after,
        case.ladder_step,
        to_ts(case.created_at),
        to_ts(case.expires_at),
    )


_ACTIVE_STRIKES = """
SELECT coalesce(sum(count), 0) FROM strikes
WHERE member_id = ? AND pardoned_at IS NULL AND (expires_at IS NULL OR expires_at > ?)
"""


async def active_strikes(db: Reader, member_pk: int, now: datetime) -> int:
    """Strikes that count at ``now``: unexpired and unpardoned (read it inside the writing Tx)."""
    row = await db.fetchone(_ACTIVE_STRIKES, (member_pk, to_ts(now)))
    return int(row[0]) if row else 0


def active_strikes_sync(conn: SyncConn, member_pk: int, now: datetime) -> int:
    """``active_strikes`` inside ``Database.write`` (read under the writer lock: no lost strike)."""
    return int(conn.execute(_ACTIVE_STRIKES, (member_pk, to_ts(now))).fetchone()[0])


@dataclass(frozen=True, slots=True)
class StrikeRow:
    """A strike row, for escalation's pure functions and for /case."""

    case_id: int
    count: int
    created_at: datetime
    expires_at: datetime | None
    pardoned_at: datetime | None


async def list_strikes(db: Reader, member_pk: int) -> list[StrikeRow]:
    """Every strike a member ever got, oldest first."""
    rows = await db.fetchall(
        "SELECT case_id, count, created_at, expires_at, pardoned_at FROM strikes"
        " WHERE member_id = ? ORDER BY id",
        (member_pk,),
    )
    return [
        StrikeRow(r[0], r[1], from_ts(r[2]), from_ts(r[3]), from_ts(r[4]))  # type: ignore[arg-type]
        for r in rows
    ]


async def mark_action(
    tx: Tx, action_id: int, status: str, now: datetime, error: str | None = None
) -> None:
    """Record an action's outcome (done / failed / refused, or pending) and count the try."""
    await tx.execute(_MARK_ACTION, (status, error, to_ts(now), action_id))


_MARK_ACTION = (
    "UPDATE case_actions SET status = ?, error = ?, attempts = attempts + 1, updated_at = ?"
    " WHERE id = ?"
)


def mark_action_sync(
    conn: SyncConn, action_id: int, status: str, now: datetime, error: str | None = None
) -> None:
    """``mark_action`` inside ``Database.write``."""
    conn.execute(_MARK_ACTION, (status, error, to_ts(now), action_id))


_ACTION_COLUMNS = "a.id, a.case_id, a.seq, a.kind, a.params, a.status, a.error, a.attempts"


def _action(row: Row, offset: int = 0) -> ActionRecord:
    r = row
    o = offset
    return ActionRecord(
        r[o], r[o + 1], r[o + 2], r[o + 3], json.loads(r[o + 4]), r[o + 5], r[o + 6], r[o + 7]
    )


async def pending_actions(db: Reader) -> list[PendingAction]:
    """Actions still pending, oldest case first, in each case's order."""
    rows = await db.fetchall(
        f"SELECT {_ACTION_COLUMNS}, c.platform, c.platform_id, m.user_id"  # noqa: S608
        " FROM case_actions a JOIN cases k ON k.id = a.case_id"
        " JOIN communities c ON c.id = k.community_id JOIN members m ON m.id = k.member_id"
        " WHERE a.status = 'pending' ORDER BY a.case_id, a.seq"
    )
    return [PendingAction(_action(r), r[8], r[9], r[10]) for r in rows]


async def get_action(db: Reader, action_id: int) -> ActionRecord | None:
    """One action by id."""
    row = await db.fetchone(
        f"SELECT {_ACTION_COLUMNS} FROM case_actions a WHERE a.id = ?",  # noqa: S608
        (action_id,),
    )
    return None if row is None else _action(row)


_CASE_COLUMNS = """
SELECT k.id, c.platform, c.platform_id, k.community_id, k.member_id, m.user_id, m.name, k.source,
       k.rule_ids, k.moderator_id, k.moderator_name, k.shadow, k.sanction, k.reason, k.channel_id,
       k.message_id, k.link, k.message_text, k.normalized, k.evidence, k.strikes, k.strikes_after,
       k.ladder_step, k.created_at, k.expires_at, k.pardoned_at, k.pardoned_by, k.pardon_reason,
       k.text_erased_at
FROM cases k JOIN communities c ON c.id = k.community_id JOIN members m ON m.id = k.member_id
"""


def _case(r: Row, actions: tuple[ActionRecord, ...]) -> CaseRecord:
    created = from_ts(r[23])
    assert created is not None
    return CaseRecord(
        id=r[0],
        platform=r[1],
        community_id=r[2],
        community_pk=r[3],
        member_pk=r[4],
        user_id=r[5],
        member_name=r[6],
        source=r[7],
        rule_ids=tuple(json.loads(r[8])),
        moderator_id=r[9],
        moderator_name=r[10],
        shadow=bool(r[11]),
        sanction=r[12],
        reason=r[13],
        channel_id=r[14],
        message_id=r[15],
        link=r[16],
        message_text=r[17],
        normalized=r[18],
        evidence=None if r[19] is None else json.loads(r[19]),
        strikes=r[20],
        strikes_after=r[21],
        ladder_step=r[22],
        created_at=created,
        expires_at=from_ts(r[24]),
        pardoned_at=from_ts(r[25]),
        pardoned_by=r[26],
        pardon_reason=r[27],
        text_erased_at=from_ts(r[28]),
        actions=actions,
    )


async def _actions_of(db: Reader, case_ids: Sequence[int]) -> dict[int, list[ActionRecord]]:
    out: dict[int, list[ActionRecord]] = {i: [] for i in case_ids}
    if not case_ids:
        return out
    marks = ",".join("?" * len(case_ids))  # only "?" characters: the ids stay parameters
    rows = await db.fetchall(
        f"SELECT {_ACTION_COLUMNS} FROM case_actions a WHERE a.case_id IN ({marks})"  # noqa: S608
        " ORDER BY a.case_id, a.seq",
        tuple(case_ids),
    )
    for r in rows:
        out[r[1]].append(_action(r))
    return out


async def get_case(db: Reader, case_id: int) -> CaseRecord | None:
    """A case with its actions, or None."""
    row = await db.fetchone(_CASE_COLUMNS + "WHERE k.id = ?", (case_id,))
    if row is None:
        return None
    acts = await _actions_of(db, [case_id])
    return _case(row, tuple(acts[case_id]))


async def list_cases(
    db: Reader,
    *,
    member_pk: int | None = None,
    community_pk: int | None = None,
    limit: int = 20,
    include_shadow: bool = True,
) -> list[CaseRecord]:
    """Cases of a member or of a community, newest first."""
    where, params = [], []
    if member_pk is not None:
        where.append("k.member_id = ?")
        params.append(member_pk)
    if community_pk is not None:
        where.append("k.community_id = ?")
        params.append(community_pk)
    if not include_shadow:
        where.append("k.shadow = 0")
    clause = ("WHERE " + " AND ".join(where)) if where else ""
    rows = await db.fetchall(
        _CASE_COLUMNS + clause + " ORDER BY k.created_at DESC, k.id DESC LIMIT ?",
        (*params, limit),
    )
    acts = await _actions_of(db, [r[0] for r in rows])
    return [_case(r, tuple(acts[r[0]])) for r in rows]


async def pardon_case(
    tx: Tx, case_id: int, by: str, now: datetime, reason: str | None = None
) -> bool:
    """Pardon a case: its strikes stop counting. False if no such case or already pardoned."""
    changed = await tx.execute(
        "UPDATE cases SET pardoned_at = ?, pardoned_by = ?, pardon_reason = ?"
        " WHERE id = ? AND pardoned_at IS NULL",
        (to_ts(now), by, reason, case_id),
    )
    if not changed:
        return False
    await tx.execute(
        "UPDATE strikes SET pardoned_at = ? WHERE case_id = ? AND pardoned_at IS NULL",
        (to_ts(now), case_id),
    )
    return True


_LATEST_OF_KIND = """
SELECT a.case_id, a.kind FROM case_actions a JOIN cases k ON k.id = a.case_id
WHERE k.member_id = ? AND a.kind IN (?, ?) AND a.status IN ('pending', 'done')
ORDER BY a.case_id DESC, a.seq DESC LIMIT 1
"""
_REVERSAL_OF_CASE = (
    "SELECT status FROM reversals WHERE case_id = ? AND kind = ? ORDER BY id DESC LIMIT 1"
)


async def sanction_in_force(db: Reader, member_pk: int, kind: str, now: datetime) -> int | None:
    """The case whose ``kind`` (``mute`` or ``ban``) is in force on a member, or None.

    It is the member's latest case with a ``kind`` or un-``kind`` action that was carried out or is
    still pending (refused and failed ones changed nothing), if that action is the ``kind`` itself
    (a later unmute/unban lifted it) and it has not ended: its scheduled reversal has not been
    carried out (a permanent ban has none, and stays in force until lifted).
    """
    row = await db.fetchone(_LATEST_OF_KIND, (member_pk, kind, "un" + kind))
    if row is None or row[1] != kind:
        return None
    case_id = int(row[0])
    reversal = await db.fetchone(_REVERSAL_OF_CASE, (case_id, "un" + kind))
    if reversal is not None:
        return None if reversal[0] == "done" else case_id
    ends = await db.fetchone("SELECT expires_at FROM cases WHERE id = ?", (case_id,))
    until = from_ts(ends[0]) if ends is not None else None
    return case_id if until is None or until > now else None


async def erase_old_text(tx: Tx, older_than: datetime, now: datetime) -> int:
    """Privacy: remove message text, normalized text and matched excerpts from cases created before
    ``older_than``; the cases themselves stay. Returns how many cases were erased."""
    return await tx.execute(
        "UPDATE cases SET message_text = NULL, normalized = NULL, evidence = NULL,"
        " text_erased_at = ? WHERE created_at < ? AND message_text IS NOT NULL",
        (to_ts(now), to_ts(older_than)),
    )
