"""case, cases, pardon, note, why through dispatch()."""

from __future__ import annotations

import subprocess
import sys
from datetime import timedelta

import pytest

from bot.moderation.scheduler import Scheduler
from bot.platforms.base import FailureKind
from bot.storage import cases as case_store
from bot.storage import reversals
from tests.commands.conftest import ALICE, BOB, MOD, Harness


async def test_case_shows_a_rule_case(h: Harness) -> None:
    await h.say("well shit", mid="10")
    reply = await h.run("case", "1")
    assert reply.ephemeral
    assert reply.text.splitlines()[0] == "Case #1: Bob"
    assert "swearing" in reply.text and "Message: well shit" in reply.text
    assert "delete: done" in reply.text


async def test_case_bad_and_unknown_ids(h: Harness) -> None:
    assert (await h.run("case", "99")).text == "There is no case #99."
    assert (await h.run("case", "#x")).text == '"#x" is not a number.'
    assert (await h.run("case")).text == "Please give a case number."


async def test_case_of_another_community_does_not_exist_here(h: Harness) -> None:
    await h.say("shit", mid="10")
    from dataclasses import replace

    ctx_inv_community = "-999"
    from bot.commands import Invocation, dispatch
    from bot.events import PlatformName

    inv = Invocation("case", PlatformName.TELEGRAM, ctx_inv_community, "-999", MOD, text="1")
    reply = await dispatch(h.ctx, inv)
    assert reply.text == "There is no case #1."
    assert replace(inv) == inv


async def test_cases_lists_strikes_cases_and_notes(h: Harness) -> None:
    await h.say("shit", mid="10")
    await h.run("warn", "@bob rude")
    await h.run("note", "@bob keeps testing limits")
    reply = await h.run("cases", "@bob")
    lines = reply.text.splitlines()
    assert lines[0] == "Bob (@bob): 2 active strike(s)"
    assert lines[1].startswith("#2 ") and "warn" in lines[1] and "by Mai" in lines[1]
    assert lines[2].startswith("#1 ") and "swearing" in lines[2]
    assert lines[-1] == "Note by Mai: keeps testing limits"
    assert (await h.run("cases", "@alice")).text.endswith("No cases.")


async def test_case_tools_are_for_moderators_only(h: Harness) -> None:
    for command, text in (
        ("case", "1"),
        ("cases", "@bob"),
        ("pardon", "1"),
        ("note", "@bob x"),
        ("why", "1"),
    ):
        reply = await h.run(command, text, by=ALICE)
        assert reply.text == f"Sorry, only moderators can use /{command}."


async def test_note_needs_text(h: Harness) -> None:
    assert (await h.run("note", "@bob")).text == "Please give some text."
    assert (await h.run("note", "@bob careful")).text == "Note added for Bob (@bob)."


async def test_pardon_removes_the_strikes_and_tells_the_member(h: Harness) -> None:
    await h.say("shit", mid="10")
    member = (await case_store.list_cases(h.db))[0].member_pk
    assert await case_store.active_strikes(h.db, member, h.now[0]) == 1
    reply = await h.run("pardon", "1 first time")
    assert not reply.ephemeral  # the member reads it where it happened
    assert "Bob, your case #1 has been pardoned" in reply.text
    assert await case_store.active_strikes(h.db, member, h.now[0]) == 0
    assert h.platform.logs[-1].title == "Pardon"
    assert (await h.run("pardon", "1")).text == "Case #1 is already pardoned."
    assert (await h.run("pardon", "7")).text == "There is no case #7."


def explain_cli(rules: str, text: str) -> str:
    out = subprocess.run(
        [sys.executable, "-m", "bot", "explain", "--rules", rules, text],
        capture_output=True,
        text=True,
        check=True,
    )
    return out.stdout.strip()


async def test_why_on_a_replied_message_is_what_modbot_explain_says(h: Harness) -> None:
    msg = await h.say("well sh1t happens", mid="10")
    reply = await h.run("why", reply=msg)
    assert reply.ephemeral
    assert "rule swearing" in reply.text
    assert reply.text == explain_cli(str(h.rules), "well sh1t happens")


async def test_why_on_a_case(h: Harness) -> None:
    await h.say("well shit happens", mid="10")
    reply = await h.run("why", "1")
    assert reply.text.startswith("Case #1: Bob")
    assert explain_cli(str(h.rules), "well shit happens") in reply.text
    await h.run("kick", "@bob flooding")
    assert "Opened by Mai with a command. Reason: flooding" in (await h.run("why", "2")).text


async def test_why_without_anything_explains_itself(h: Harness) -> None:
    assert (await h.run("why")).text.startswith("Reply to a message with /why")


@pytest.mark.parametrize("lang", ["vi"])
async def test_pardon_in_vietnamese(h: Harness) -> None:
    await h.say("shit", mid="10")
    reply = await h.run("pardon", "1")
    assert "Bob ơi, vụ #1 của bạn đã được xoá" in reply.text
    assert BOB.id == "42"


async def test_pardon_lifts_a_running_mute_and_says_so(h: Harness) -> None:
    await h.run("mute", "@bob 1h flooding")
    h.now[0] += timedelta(minutes=5)
    reply = await h.run("pardon", "1 wrong person")
    assert reply.text.splitlines() == [
        "Case #1 pardoned; its strikes no longer count.",
        "Its mute is lifted (case #2).",
        "Bob, your case #1 has been pardoned; its strikes no longer count.",
    ]
    assert h.sanctions() == ["mute", "unmute"]
    assert h.platform.logs[-1].body.endswith("Its mute is lifted (case #2).")
    lift = await case_store.get_case(h.db, 2)
    assert lift is not None and lift.reason == "Pardon of case #1: wrong person"
    assert (await h.run("case", "2")).text.splitlines()[1].split(" · ")[1] == "unmute"
    assert await reversals.scheduled_for(h.db, lift.member_pk) == []


async def test_pardon_lifts_a_permanent_ban(h: Harness) -> None:
    await h.run("ban", "@bob")
    reply = await h.run("pardon", "1")
    assert "Its ban is lifted (case #2)." in reply.text
    assert h.sanctions() == ["ban", "unban"]


async def test_pardon_keeps_a_later_cases_mute(h: Harness) -> None:
    await h.run("mute", "@bob 1h")
    await h.run("mute", "@bob 1d")
    reply = await h.run("pardon", "1")
    assert "The mute from case #2 is not this case's, so it stays." in reply.text
    assert h.sanctions() == ["mute", "mute"]


async def test_pardon_of_an_ended_mute_lifts_nothing(h: Harness) -> None:
    await h.run("mute", "@bob 10m")
    h.now[0] += timedelta(hours=1)
    await Scheduler(h.db, h.ctx.executor, clock=lambda: h.now[0]).run_due(h.now[0])
    reply = await h.run("pardon", "1")
    assert "Its mute had already ended or been lifted; nothing to lift." in reply.text
    assert h.sanctions() == ["mute", "unmute"]  # the scheduler's, not the pardon's
    assert len(await case_store.list_cases(h.db)) == 1


async def test_pardon_says_when_the_platform_refuses_the_lift(h: Harness) -> None:
    await h.run("mute", "@bob 1h")
    h.platform.fail("unmute", FailureKind.FORBIDDEN, message="not enough rights")
    reply = await h.run("pardon", "1")
    assert (
        "The pardon is recorded, but I could not unmute Bob (case #2): "
        "forbidden: not enough rights" in reply.text
    )
    case = await case_store.get_case(h.db, 1)
    assert case is not None and case.pardoned_at is not None


@pytest.mark.parametrize("lang", ["vi"])
async def test_pardon_lift_in_vietnamese(h: Harness) -> None:
    await h.run("mute", "@bob 1h")
    await h.run("mute", "@alice 1h")
    await h.run("mute", "@alice 2h")
    assert "Đã gỡ cấm chat của vụ này (vụ #4)." in (await h.run("pardon", "1")).text
    kept = (await h.run("pardon", "2")).text
    assert "Lệnh cấm chat đang có hiệu lực là của vụ #3" in kept


async def test_a_moderator_cannot_pardon_their_own_case(h: Harness) -> None:
    from bot.events import Author

    carol = Author("7", "Carol", username="carol")
    await h.say("shit", who=carol, mid="10")  # a case from before Carol became a moderator
    reply = await h.run("pardon", "1", by=Author("7", "Carol", is_moderator=True))
    assert reply.ephemeral
    assert reply.text == "Case #1 is your own: another moderator can pardon it."
    assert (await case_store.get_case(h.db, 1)).pardoned_at is None  # type: ignore[union-attr]
    assert "Pardon" not in [entry.title for entry in h.platform.logs]
    assert not (await h.run("pardon", "1")).ephemeral  # another moderator can


async def test_usage_on_discord_points_to_the_message_menus(h: Harness) -> None:
    """A Discord command cannot reply to a message: the hints name the Apps menu instead."""
    from bot.commands import Invocation, dispatch
    from bot.events import PlatformName
    from tests.commands.conftest import CHANNEL, COMMUNITY

    for command, hint in (
        ("why", "Right-click a message → Apps → Why? (rules)"),
        ("report", "Right-click the message you want to report → Apps → Report message"),
    ):
        inv = Invocation(command, PlatformName.DISCORD, COMMUNITY, CHANNEL, MOD)
        reply = await dispatch(h.ctx, inv)
        assert reply.ephemeral and reply.text.startswith(hint)
