"""Executor.pardon lifts the case's own mute or ban while it is in force; real SQLite, fake platform."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fakes import RecordingPlatform

from bot.events import Author, PlatformName
from bot.moderation.executor import Executor, Intent, Policy
from bot.moderation.scheduler import Scheduler
from bot.platforms.base import FailureKind
from bot.rules.actions import ActionSet, Ban, Kick, Mute, Sanction
from bot.storage import Database, cases, reversals

T0 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
MEMBER = Author("42", "bob", username="bob")
MOD = Author("7", "mai", is_moderator=True)
POLICY = Policy()


def sanction(
    s: Sanction, now: datetime = T0, member: Author = MEMBER, strikes: int = 0, by: Author = MOD
) -> Intent:
    """A moderator's mute/ban/kick, as the commands build it."""
    return Intent(
        PlatformName.TELEGRAM,
        "-100",
        member,
        now,
        ActionSet(strikes=strikes, sanction=s),
        source="moderator",
        reason="flooding",
        channel_id="-100",
        moderator=by,
        escalate=False,
    )


async def no_sleep(_: float) -> None:
    return None


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    database = await Database.open(tmp_path / "pardon.db")
    yield database
    await database.close()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def platform() -> RecordingPlatform:
    return RecordingPlatform()


@pytest.fixture
def ex(db: Database, platform: RecordingPlatform, clock: Clock) -> Executor:
    executor = Executor(db, clock=clock, sleep=no_sleep)
    executor.add_platform(platform, bot_id="999")
    return executor


async def scheduled(db: Database, case_id: int) -> list[reversals.Reversal]:
    case = await cases.get_case(db, case_id)
    assert case is not None
    return await reversals.scheduled_for(db, case.member_pk)


async def test_running_mute_is_lifted_recorded_first_and_its_unmute_cancelled(
    db: Database, platform: RecordingPlatform, ex: Executor, clock: Clock
) -> None:
    muted = await ex.execute(sanction(Mute(timedelta(hours=1)), strikes=1))
    assert [r.case_id for r in await scheduled(db, muted.case_id)] == [muted.case_id]
    seen: list[str] = []
    real_unmute = platform.unmute

    async def checking_unmute(community_id: str, user_id: str, reason: str) -> None:
        # Read through another connection: only what is committed shows.
        rows = await db.fetchall("SELECT kind, status FROM case_actions WHERE kind = 'unmute'")
        seen.extend(f"{k}:{s}" for k, s in rows)
        assert await reversals.scheduled_for(db, 1) == []
        await real_unmute(community_id, user_id, reason)

    platform.unmute = checking_unmute  # type: ignore[method-assign]
    clock.now = T0 + timedelta(minutes=10)
    done = await ex.pardon(muted.case_id, MOD, clock.now, "wrong person", POLICY)

    assert done.pardoned and done.lifted and done.sanction == "mute"
    assert seen == ["unmute:pending"]  # the lift case was committed before the call
    assert [(c.method, c.args[1]) for c in platform.done[-1:]] == [("unmute", "42")]
    assert done.lift_case_id is not None and done.kept_case_id is None
    lift = await cases.get_case(db, done.lift_case_id)
    assert lift is not None and lift.source == "moderator" and lift.moderator_id == "7"
    assert lift.reason == "Pardon of case #1: wrong person"
    assert [(a.kind, a.status) for a in lift.actions] == [("unmute", "done")]
    assert await scheduled(db, muted.case_id) == []
    pardoned = await cases.get_case(db, muted.case_id)
    assert pardoned is not None and pardoned.pardoned_at == clock.now
    assert await cases.active_strikes(db, pardoned.member_pk, clock.now) == 0
    # Nothing is left for the scheduler to do at the mute's old end.
    assert await Scheduler(db, ex, clock=clock).run_due(T0 + timedelta(hours=2)) == 0
    assert platform.methods().count("unmute") == 1


async def test_permanent_ban_is_unbanned(
    db: Database, platform: RecordingPlatform, ex: Executor
) -> None:
    banned = await ex.execute(sanction(Ban()))
    assert await scheduled(db, banned.case_id) == []  # permanent: no reversal
    done = await ex.pardon(banned.case_id, MOD, T0 + timedelta(days=3))
    assert done.lifted and done.sanction == "ban"
    assert platform.methods()[-1] == "unban"
    lift = await cases.get_case(db, done.lift_case_id or 0)
    assert lift is not None and [(a.kind, a.status) for a in lift.actions] == [("unban", "done")]


async def test_timed_ban_is_unbanned_and_its_unban_cancelled(
    db: Database, platform: RecordingPlatform, ex: Executor
) -> None:
    banned = await ex.execute(sanction(Ban(timedelta(days=1))))
    done = await ex.pardon(banned.case_id, MOD, T0 + timedelta(hours=1))
    assert done.lifted and platform.methods()[-1] == "unban"
    assert await scheduled(db, banned.case_id) == []


async def test_expired_mute_lifts_nothing(
    db: Database, platform: RecordingPlatform, ex: Executor, clock: Clock
) -> None:
    muted = await ex.execute(sanction(Mute(timedelta(hours=1))))
    clock.now = T0 + timedelta(hours=2)
    assert await Scheduler(db, ex, clock=clock).run_due(clock.now) == 1  # the mute ended
    calls = len(platform.calls)
    done = await ex.pardon(muted.case_id, MOD, clock.now)
    assert done.pardoned and done.sanction == "mute"
    assert done.action is None and done.lift_case_id is None and done.kept_case_id is None
    assert len(platform.calls) == calls
    assert len(await cases.list_cases(db)) == 1  # no unmute case


async def test_mute_already_lifted_by_a_moderator_lifts_nothing(
    db: Database, platform: RecordingPlatform, ex: Executor
) -> None:
    muted = await ex.execute(sanction(Mute(timedelta(hours=1))))
    await ex.lift(PlatformName.TELEGRAM, "-100", MEMBER, "unmute", MOD, "", T0)
    done = await ex.pardon(muted.case_id, MOD, T0 + timedelta(minutes=5))
    assert done.action is None and done.kept_case_id is None
    assert platform.methods().count("unmute") == 1


async def test_later_cases_mute_stays(
    db: Database, platform: RecordingPlatform, ex: Executor
) -> None:
    first = await ex.execute(sanction(Mute(timedelta(hours=1))))
    second = await ex.execute(sanction(Mute(timedelta(hours=3)), now=T0 + timedelta(minutes=5)))
    done = await ex.pardon(first.case_id, MOD, T0 + timedelta(minutes=10))
    assert done.pardoned and done.action is None and done.kept_case_id == second.case_id
    assert "unmute" not in platform.methods()
    assert [r.case_id for r in await scheduled(db, first.case_id)] == [second.case_id]
    # Pardoning the later case does lift it.
    again = await ex.pardon(second.case_id, MOD, T0 + timedelta(minutes=11))
    assert again.lifted and platform.methods().count("unmute") == 1
    assert await scheduled(db, first.case_id) == []


async def test_a_ban_and_a_mute_are_separate(
    db: Database, platform: RecordingPlatform, ex: Executor
) -> None:
    banned = await ex.execute(sanction(Ban()))
    await ex.execute(sanction(Mute(timedelta(hours=1)), now=T0 + timedelta(minutes=1)))
    done = await ex.pardon(banned.case_id, MOD, T0 + timedelta(minutes=2))
    assert done.lifted and platform.methods()[-1] == "unban"
    assert [r.kind for r in await scheduled(db, banned.case_id)] == ["unmute"]


async def test_later_ban_stays_when_an_earlier_ban_is_pardoned(
    db: Database, platform: RecordingPlatform, ex: Executor
) -> None:
    first = await ex.execute(sanction(Ban(timedelta(days=1))))
    second = await ex.execute(sanction(Ban(), now=T0 + timedelta(hours=1)))
    done = await ex.pardon(first.case_id, MOD, T0 + timedelta(hours=2))
    assert done.kept_case_id == second.case_id and "unban" not in platform.methods()


async def test_kick_and_strike_only_cases_lift_nothing(
    db: Database, platform: RecordingPlatform, ex: Executor
) -> None:
    kicked = await ex.execute(sanction(Kick()))
    done = await ex.pardon(kicked.case_id, MOD, T0)
    assert done.pardoned and done.sanction is None and done.action is None


async def test_platform_failure_keeps_the_pardon_recorded(
    db: Database, platform: RecordingPlatform, ex: Executor
) -> None:
    muted = await ex.execute(sanction(Mute(timedelta(hours=1)), strikes=2))
    platform.fail("unmute", FailureKind.FORBIDDEN, message="not enough rights")
    done = await ex.pardon(muted.case_id, MOD, T0 + timedelta(minutes=1))
    assert done.pardoned and not done.lifted
    assert done.action is not None and done.action.status == "failed"
    assert done.action.error == "forbidden: not enough rights"
    case = await cases.get_case(db, muted.case_id)
    assert case is not None and case.pardoned_at is not None
    assert await cases.active_strikes(db, case.member_pk, T0 + timedelta(minutes=1)) == 0
    lift = await cases.get_case(db, done.lift_case_id or 0)
    assert lift is not None and lift.actions[0].status == "failed"
    assert [e.title for e in platform.logs].count("Missing permission") == 1  # the usual alert
    assert (await ex.pardon(muted.case_id, MOD, T0 + timedelta(minutes=2))).pardoned is False


async def test_rate_limit_is_waited_out(
    db: Database, platform: RecordingPlatform, ex: Executor
) -> None:
    banned = await ex.execute(sanction(Ban()))
    platform.fail("unban", FailureKind.RATE_LIMITED, times=2, retry_after=1.0)
    done = await ex.pardon(banned.case_id, MOD, T0)
    assert done.lifted and [c.method for c in platform.calls[-3:]] == ["unban"] * 3


async def test_transient_failure_stays_pending_and_is_replayed(
    db: Database, platform: RecordingPlatform, ex: Executor
) -> None:
    muted = await ex.execute(sanction(Mute(timedelta(hours=1))))
    platform.fail("unmute", FailureKind.TRANSIENT, times=4)
    done = await ex.pardon(muted.case_id, MOD, T0)
    assert done.pardoned and done.action is not None and done.action.status == "pending"
    assert await ex.replay_pending() == 1
    assert platform.methods()[-1] == "unmute"


async def test_refused_lift_is_recorded_and_nothing_called(
    db: Database, platform: RecordingPlatform, ex: Executor
) -> None:
    # A moderator may not lift their own sanction (as with /unmute), nor may a non-moderator:
    # mai was muted by lan before she became a moderator.
    lan = Author("8", "lan", is_moderator=True)
    muted = await ex.execute(sanction(Mute(timedelta(hours=1)), member=Author("7", "mai"), by=lan))
    calls = len(platform.calls)
    done = await ex.pardon(muted.case_id, MOD, T0 + timedelta(minutes=1))
    assert done.pardoned and done.refused is not None and done.refused.reason == "self"
    assert done.action is not None and done.action.status == "refused"
    assert len(platform.calls) == calls
    lift = await cases.get_case(db, done.lift_case_id or 0)
    assert lift is not None and lift.actions[0].status == "refused"
    assert [r.case_id for r in await scheduled(db, muted.case_id)] == [muted.case_id]
    other = await ex.execute(sanction(Ban()))
    done = await ex.pardon(other.case_id, Author("9", "hoa"), T0)
    assert done.refused is not None and done.refused.reason == "not_moderator"
    assert "unban" not in platform.methods()


async def test_pending_mute_of_a_pardoned_case_is_not_imposed_at_replay(
    db: Database, platform: RecordingPlatform, ex: Executor
) -> None:
    platform.fail("mute", FailureKind.TRANSIENT, times=4)
    muted = await ex.execute(sanction(Mute(timedelta(hours=1))))
    assert [a.status for a in muted.actions if a.kind == "mute"] == ["pending"]
    done = await ex.pardon(muted.case_id, MOD, T0 + timedelta(minutes=1))
    assert done.lifted  # it may have happened: unmuting is harmless either way
    await ex.replay_pending()
    assert "mute" not in platform.methods()
    case = await cases.get_case(db, muted.case_id)
    assert case is not None
    assert [(a.status, a.error) for a in case.actions if a.kind == "mute"] == [
        ("failed", "case pardoned")
    ]
