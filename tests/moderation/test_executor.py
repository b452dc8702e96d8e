"""Executor against a real SQLite file and the RecordingPlatform fake."""

from __future__ import annotations

import asyncio
import random
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fakes import RecordingPlatform

from bot.events import Author, MessageRef, PlatformName
from bot.moderation.escalation import Step
from bot.moderation.executor import NOTICE_BURST, Executor, Intent, Policy
from bot.platforms.base import FailureKind
from bot.rules.actions import ActionSet, Ban, Mute, Reply, Warn
from bot.storage import Database, cases, reversals

T0 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
LADDER = (Step(1, Warn()), Step(3, Mute(timedelta(hours=1))), Step(5, Ban()))
POLICY = Policy(ladder=LADDER, strikes_expire=timedelta(days=30))
MEMBER = Author("42", "bob", username="bob")
MOD = Author("7", "mai", is_moderator=True)


def intent(
    actions: ActionSet, member: Author = MEMBER, now: datetime = T0, msg: str = "m1", **kw: object
) -> Intent:
    return Intent(
        PlatformName.TELEGRAM,
        "-100",
        member,
        now,
        actions,
        rule_ids=("r1",),
        reason="be nice",
        channel_id="-100",
        message_id=msg,
        message_text="bad words",
        **kw,  # type: ignore[arg-type]
    )


async def no_sleep(_: float) -> None:
    return None


@pytest.fixture
async def db(tmp_path: Path):
    database = await Database.open(tmp_path / "exec.db")
    yield database
    await database.close()


def make(db: Database, platform: RecordingPlatform | None = None, **kw: object) -> Executor:
    ex = Executor(db, clock=lambda: T0, sleep=no_sleep, **kw)  # type: ignore[arg-type]
    ex.add_platform(platform or RecordingPlatform())
    return ex


async def test_case_is_committed_before_the_platform_is_called(db: Database) -> None:
    seen: list[str] = []

    class Checking(RecordingPlatform):
        async def delete_message(self, ref: MessageRef, reason: str) -> None:
            # Read through a separate connection: only committed data is visible there.
            rows = await db.fetchall("SELECT status FROM case_actions ORDER BY seq")
            seen.extend(r[0] for r in rows)
            await super().delete_message(ref, reason)

    p = Checking()
    out = await make(db, p).execute(intent(ActionSet(delete=True, strikes=1)), POLICY)
    assert seen and set(seen) == {"pending"}
    assert p.methods() == ["delete_message", "send_message", "post_log"]  # delete, warn, log
    assert [a.status for a in out.actions] == ["done", "done", "done"]
    case = await cases.get_case(db, out.case_id)
    assert case is not None and case.sanction == "warn" and case.ladder_step == 1
    assert [a.status for a in case.actions] == ["done", "done", "done"]


async def test_ladder_across_cases_and_pardon(db: Database) -> None:
    p = RecordingPlatform()
    ex = make(db, p)
    steps = []
    for i in range(5):
        out = await ex.execute(intent(ActionSet(delete=True, strikes=1), msg=f"m{i}"), POLICY)
        steps.append((out.strikes, out.escalation.step, type(out.sanction).__name__))
    assert steps == [
        (1, 1, "Warn"),
        (2, None, "NoneType"),
        (3, 3, "Mute"),
        (4, None, "NoneType"),
        (5, 5, "Ban"),
    ]
    assert p.methods().count("mute") == 1 and p.methods().count("ban") == 1
    # The mute scheduled an unmute one hour later.
    assert await reversals.next_due(db) == T0 + timedelta(hours=1)
    assert (await ex.pardon(out.case_id, MOD, T0)).pardoned
    again = await ex.execute(intent(ActionSet(strikes=1), msg="m9"), POLICY)
    assert again.escalation.before == 4 and again.escalation.step == 5


async def test_strikes_expire(db: Database) -> None:
    ex = make(db)
    await ex.execute(intent(ActionSet(strikes=2)), POLICY)
    later = await ex.execute(intent(ActionSet(strikes=1), now=T0 + timedelta(days=31)), POLICY)
    assert later.escalation.before == 0 and later.strikes == 1


async def test_not_found_counts_as_done(db: Database) -> None:
    p = RecordingPlatform()
    p.fail("delete_message", FailureKind.NOT_FOUND)
    out = await make(db, p).execute(intent(ActionSet(delete=True)), POLICY)
    assert out.actions[0].status == "done" and "not_found" in (out.actions[0].error or "")


async def test_forbidden_fails_with_one_alert_per_community_and_right(db: Database) -> None:
    p = RecordingPlatform()
    p.fail("mute", FailureKind.FORBIDDEN, times=3, message="not enough rights")
    ex = make(db, p)
    mute = ActionSet(sanction=Mute(timedelta(minutes=5)))
    for i in range(3):
        out = await ex.execute(intent(mute, msg=f"m{i}"), POLICY)
        kinds = {a.kind: a for a in out.actions}
        assert kinds["mute"].status == "failed"
        assert kinds["mute"].error == "forbidden: not enough rights"
    alerts = [e for e in p.logs if e.title == "Missing permission"]
    assert len(alerts) == 1 and "mute members" in alerts[0].body


async def test_refused_is_recorded_with_why(db: Database) -> None:
    p = RecordingPlatform()
    p.fail("kick", FailureKind.REFUSED, message="target is the chat owner")
    from bot.rules.actions import Kick

    out = await make(db, p).execute(intent(ActionSet(sanction=Kick())), POLICY)
    case = await cases.get_case(db, out.case_id)
    assert case is not None
    kick = next(a for a in case.actions if a.kind == "kick")
    assert kick.status == "refused" and "chat owner" in (kick.error or "")


async def test_moderators_owner_and_bot_are_never_sanctioned(db: Database) -> None:
    p = RecordingPlatform()
    ex = make(db, p)
    for target in (Author("7", "mod", is_moderator=True), Author("8", "own", is_owner=True)):
        out = await ex.execute(
            intent(ActionSet(delete=True, sanction=Ban()), member=target), POLICY
        )
        assert out.refused is not None
        statuses = {a.kind: a.status for a in out.actions}
        assert statuses["ban"] == "refused" and statuses["delete"] == "done"
    assert "ban" not in p.methods()
    assert await reversals.next_due(db) is None


async def test_rate_limited_waits_and_retries(db: Database) -> None:
    p = RecordingPlatform()
    p.fail("delete_message", FailureKind.RATE_LIMITED, times=2, retry_after=1.5)
    waits: list[float] = []

    async def sleep(s: float) -> None:
        waits.append(s)

    ex = Executor(db, clock=lambda: T0, sleep=sleep)
    ex.add_platform(p)
    out = await ex.execute(intent(ActionSet(delete=True)), POLICY)
    assert out.actions[0].status == "done" and waits == [1.5, 1.5]
    assert p.methods().count("delete_message") == 1


async def test_transient_retries_then_stays_pending_and_replays_once(db: Database) -> None:
    p = RecordingPlatform()
    p.fail("delete_message", FailureKind.TRANSIENT, times=4)
    waits: list[float] = []

    async def sleep(s: float) -> None:
        waits.append(s)

    ex = Executor(db, clock=lambda: T0, sleep=sleep, transient_retries=3, backoff=0.5)
    ex.add_platform(p)
    out = await ex.execute(intent(ActionSet(delete=True)), POLICY)
    assert out.actions[0].status == "pending" and waits == [0.5, 1.0, 2.0]
    assert len(await cases.pending_actions(db)) == 1
    # Next start: carried out once, then nothing left.
    assert await ex.replay_pending() == 1
    assert p.methods() == ["post_log", "delete_message"]
    assert await ex.replay_pending() == 0
    assert p.methods() == ["post_log", "delete_message"]


async def test_pending_for_an_absent_platform_waits_for_it(db: Database) -> None:
    ex = Executor(db, clock=lambda: T0, sleep=no_sleep)
    out = await ex.execute(intent(ActionSet(delete=True)), POLICY)
    assert {a.status for a in out.actions} == {"pending"}
    p = RecordingPlatform()
    ex.add_platform(p)
    await ex.replay_pending()
    assert p.methods() == ["delete_message", "post_log"]


async def test_posts_keep_the_members_topic(db: Database) -> None:
    """A Telegram forum topic goes with every post of the case (recorded, then sent); a case
    without one records no ``thread_id`` at all, like the rows written before topics were kept."""
    p = RecordingPlatform()
    ex = make(db, p)
    replies = frozenset({Reply("{member}, no ads", "ads")})
    mute = Step(1, Mute(timedelta(hours=1)))
    policy = Policy(ladder=(mute,), strikes_expire=timedelta(days=30))
    topic = await ex.execute(intent(ActionSet(strikes=1, replies=replies), thread_id="42"), policy)
    posts = [c for c in p.done if c.method == "send_message"]
    assert [c.args[4] for c in posts] == ["42", "42"]  # the notice and the reply
    case = await cases.get_case(db, topic.case_id)
    assert case is not None
    kept = {a.kind: a.params.get("thread_id") for a in case.actions if a.kind != "log"}
    assert kept == {"mute": None, "notice": "42", "reply": "42"}
    general = await ex.execute(
        intent(ActionSet(replies=replies), member=Author("43", "ann"), msg="m2"), POLICY
    )
    assert p.done[-1].method == "send_message" and p.done[-1].args[4] is None
    case = await cases.get_case(db, general.case_id)
    assert case is not None and all("thread_id" not in a.params for a in case.actions)


async def test_replies_and_shadow_alert(db: Database) -> None:
    p = RecordingPlatform()
    ex = make(db, p)
    out = await ex.execute(
        intent(ActionSet(replies=frozenset({Reply("{member}, no ads", "ads")}))), POLICY
    )
    assert [c.args[2] for c in p.done if c.method == "send_message"] == ["bob, no ads"]
    shadow = Intent(
        PlatformName.TELEGRAM,
        "-100",
        MEMBER,
        T0,
        ActionSet(),
        shadow_rule_ids=("brand",),
        shadow_alert=True,
        channel_id="-100",
        message_id="m2",
        message_text="acme",
    )
    out = await ex.execute(shadow, POLICY)
    case = await cases.get_case(db, out.case_id)
    assert case is not None and case.shadow and case.rule_ids == ("brand",)
    assert p.logs[-1].shadow and p.logs[-1].rule_ids == ("brand",)


async def test_moderator_lift_cancels_the_scheduled_reversal(db: Database) -> None:
    p = RecordingPlatform()
    ex = make(db, p)
    mod = Author("1", "Mod", is_moderator=True)
    await ex.execute(intent(ActionSet(sanction=Mute(timedelta(hours=2)))), POLICY)
    assert await reversals.next_due(db) is not None
    out = await ex.lift(PlatformName.TELEGRAM, "-100", MEMBER, "unmute", mod, "appeal ok", T0)
    assert out.actions[0].status == "done" and p.methods()[-1] == "unmute"
    assert await reversals.next_due(db) is None
    member = Author("2", "Member")
    refused = await ex.lift(PlatformName.TELEGRAM, "-100", MEMBER, "unmute", member, "x", T0)
    assert refused.refused is not None and refused.refused.reason == "not_moderator"


async def test_thousand_concurrent_offences_by_fifty_members(db: Database) -> None:
    p = RecordingPlatform()
    ex = make(db, p)
    members = [Author(str(1000 + i), f"user{i}") for i in range(50)]
    offences = [m for m in members for _ in range(20)]
    random.Random(4).shuffle(offences)
    outs = await asyncio.gather(
        *(
            ex.execute(intent(ActionSet(strikes=1), member=m, msg=f"x{i}"), POLICY)
            for i, m in enumerate(offences)
        )
    )
    assert len(outs) == 1000
    by_member: dict[str, list[int]] = {}
    for m, out in zip(offences, outs, strict=True):
        if out.escalation.step is not None:
            by_member.setdefault(m.id, []).append(out.escalation.step)
    # Every member crossed each step exactly once: no strike was lost or counted twice.
    assert all(sorted(steps) == [1, 3, 5] for steps in by_member.values())
    assert len(by_member) == 50
    for m in members:
        row = await db.fetchone(
            "SELECT sum(s.count), max(k.strikes_after) FROM strikes s JOIN cases k"
            " ON k.id = s.case_id JOIN members mm ON mm.id = s.member_id WHERE mm.user_id = ?",
            (m.id,),
        )
        assert row is not None and tuple(row) == (20, 20)
    counts = Counter(c.method for c in p.done)
    assert counts["ban"] == 50 and counts["mute"] == 50
    # Every warning went out, but of the 100 mute and ban notices in the one channel only the first
    # NOTICE_BURST (the clock stands still): a raid is not answered with as many posts.
    assert counts["send_message"] == 50 + NOTICE_BURST


class SlowPosts(RecordingPlatform):
    """Posts (send_message, post_log) wait until ``gate`` is set; deletes and sanctions do not."""

    def __init__(self) -> None:
        super().__init__()
        self.gate = asyncio.Event()

    async def send_message(
        self,
        community_id: str,
        channel_id: str,
        text: str,
        reply_to: str | None = None,
        thread_id: str | None = None,
    ) -> str | None:
        await self.gate.wait()
        return await super().send_message(community_id, channel_id, text, reply_to, thread_id)

    async def post_log(self, community_id: str, entry: object) -> None:
        await self.gate.wait()
        await super().post_log(community_id, entry)  # type: ignore[arg-type]


async def test_follow_up_posts_never_hold_up_the_delete_or_the_sanction(db: Database) -> None:
    platform = SlowPosts()
    ex = make(db, platform)
    # Strike 1 → warn (a post); strikes 2-3 → mute: the second case must not wait for the first's posts.
    first = await ex.execute(intent(ActionSet(delete=True, strikes=1)), POLICY, follow_up=True)
    second = await ex.execute(
        intent(ActionSet(delete=True, strikes=2), msg="m2"), POLICY, follow_up=True
    )
    assert platform.methods() == ["delete_message", "delete_message", "mute"]
    assert {a.kind: a.status for a in first.actions} == {
        "delete": "done",
        "warn": "pending",
        "log": "pending",
    }
    assert {a.kind: a.status for a in second.actions}["mute"] == "done"
    platform.gate.set()
    await ex.drain()
    # The posts went out afterwards, in the member's case order, and were marked done.
    posts = [c for c in platform.done if c.method in ("send_message", "post_log")]
    # first: the warning, its log entry; second: the mute's notice, its log entry.
    assert [c.method for c in posts] == ["send_message", "post_log", "send_message", "post_log"]
    assert [e.case_id for e in platform.logs] == [first.case_id, second.case_id]
    for case_id in (first.case_id, second.case_id):
        case = await cases.get_case(db, case_id)
        assert case is not None and all(a.status == "done" for a in case.actions)


async def test_follow_up_posts_left_pending_are_replayed(db: Database, tmp_path: Path) -> None:
    platform = SlowPosts()
    ex = make(db, platform)
    out = await ex.execute(intent(ActionSet(delete=True, strikes=1)), POLICY, follow_up=True)
    # The process stops before the posts went out: they stay pending, the next start sends them.
    for task in list(ex._follow_ups.values()):
        task.cancel()
    await asyncio.sleep(0)
    later = make(db)
    assert await later.replay_pending() == 2
    case = await cases.get_case(db, out.case_id)
    assert case is not None and [a.status for a in case.actions] == ["done", "done", "done"]


async def test_clamped_mute_is_recorded_and_lifted_at_the_real_end(db: Database) -> None:
    """Discord caps timeouts at 28 days: the case says so and the unmute follows the real end."""
    cap = T0 + timedelta(days=28)
    platform = RecordingPlatform(mute_cap=cap)
    ex = make(db, platform)
    outcome = await ex.execute(intent(ActionSet(sanction=Mute(timedelta(days=60)))), POLICY)
    case = await cases.get_case(db, outcome.case_id)
    assert case is not None
    mute = next(a for a in case.actions if a.kind == "mute")
    assert mute.status == "done" and mute.error is not None and "clamped" in mute.error
    assert case.expires_at == cap
    due = await reversals.next_due(db)
    assert due == cap


async def test_refused_case_logs_its_reason(db: Database) -> None:
    from structlog.testing import capture_logs

    ex = make(db)
    moderator = Author("9", "mod", is_moderator=True)
    with capture_logs() as logs:
        await ex.execute(intent(ActionSet(sanction=Ban()), member=moderator), POLICY)
    recorded = next(e for e in logs if e["event"] == "case_recorded")
    assert recorded["refused"] is not None


async def test_forbidden_alert_is_in_the_community_language(db: Database) -> None:
    from dataclasses import replace

    p = RecordingPlatform()
    p.fail("mute", FailureKind.FORBIDDEN, message="not enough rights")
    await make(db, p).execute(
        intent(ActionSet(sanction=Mute(timedelta(minutes=5)))), replace(POLICY, language="vi")
    )
    (alert,) = [e for e in p.logs if e.title == "Thiếu quyền"]
    assert alert.body.startswith("Bot thiếu quyền, không thể")


@pytest.mark.parametrize(
    ("language", "actions", "title", "kind"),
    [
        ("vi", ActionSet(sanction=Mute(timedelta(hours=1))), "cấm chat 1 giờ", "mute"),
        ("en", ActionSet(sanction=Ban()), "permanent ban", "ban"),
        ("vi", ActionSet(delete=True), "đã xoá tin nhắn", "delete"),
        ("en", ActionSet(alert=True), "alert", "alert"),
    ],
)
async def test_log_entries_are_titled_in_the_community_language(
    db: Database, language: str, actions: ActionSet, title: str, kind: str
) -> None:
    """The title follows ``community.language``; ``kind`` says what it is (Discord's colour)."""
    from dataclasses import replace

    p = RecordingPlatform()
    await make(db, p).execute(intent(actions), replace(POLICY, language=language))
    (entry,) = [e for e in p.logs if e.kind]
    assert (entry.title, entry.kind) == (title, kind)
