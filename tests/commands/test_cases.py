"""case, cases, pardon, note, why through dispatch()."""

from __future__ import annotations

import subprocess
import sys

import pytest

from bot.storage import cases as case_store
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
