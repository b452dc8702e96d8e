"""rules, appeal, mycases through dispatch(); appeal then pardon (report: test_reports.py)."""

from __future__ import annotations

import pytest

from bot.commands import Invocation, dispatch
from bot.events import Author, PlatformName
from bot.storage import appeals as appeal_store
from bot.storage import cases as case_store
from tests.commands.conftest import ALICE, BOB, COMMUNITY, Harness


async def test_rules_lists_the_guidelines(h: Harness) -> None:
    reply = await h.run("rules", by=ALICE)
    assert reply.text == "Rules of Test group:\n1. Be kind.\n2. No spam."


@pytest.mark.parametrize("lang", ["vi"])
async def test_rules_in_vietnamese(h: Harness) -> None:
    assert (await h.run("rules", by=ALICE)).text.startswith("Nội quy của Test group:")


async def test_appeal_then_pardon_removes_the_strikes_and_tells_the_member(h: Harness) -> None:
    await h.say("shit", who=BOB, mid="10")
    (case,) = await case_store.list_cases(h.db)
    assert await case_store.active_strikes(h.db, case.member_pk, h.now[0]) == 1
    reply = await h.run("appeal", "1 it was a quote", by=BOB)
    assert reply.text == "Your appeal for case #1 has been sent to the moderators."
    assert h.platform.logs[-1].title == "Appeal" and "it was a quote" in h.platform.logs[-1].body
    (appeal,) = await appeal_store.appeals_of(h.db, 1)
    assert appeal.text == "it was a quote" and appeal.resolved_at is None
    shown = await h.run("case", "1")
    assert "Appeal: it was a quote (open)" in shown.text
    reply = await h.run("pardon", "1")
    assert "Bob, your case #1 has been pardoned" in reply.text and not reply.ephemeral
    assert await case_store.active_strikes(h.db, case.member_pk, h.now[0]) == 0
    (appeal,) = await appeal_store.appeals_of(h.db, 1)
    assert appeal.outcome == "pardoned"
    assert (await h.run("appeal", "1 again", by=BOB)).text == "Case #1 is already pardoned."


async def test_appeal_of_someone_elses_case_or_no_case(h: Harness) -> None:
    await h.say("shit", who=BOB, mid="10")
    assert (await h.run("appeal", "1 me too", by=ALICE)).text == "Case #1 is not one of your cases."
    assert (await h.run("appeal", "9 hmm", by=BOB)).text == "There is no case #9."
    assert (await h.run("appeal", "1", by=BOB)).text == "Please give some text."


async def test_mycases(h: Harness) -> None:
    assert (await h.run("mycases", by=BOB)).text == "No cases."
    await h.say("shit", who=BOB, mid="10")
    reply = await h.run("mycases", by=BOB)
    lines = reply.text.splitlines()
    assert reply.ephemeral and lines[0] == "Your active strikes: 1"
    assert lines[1].startswith("#1 ") and "swearing" in lines[1]
    assert lines[-1].startswith("To appeal a case")


def _direct(command: str, text: str, by: Author, platform: PlatformName) -> Invocation:
    """A command sent in a private chat with the bot: no community."""
    return Invocation(command, platform, "", str(by.id), by, text=text, direct=True)


async def test_appeal_in_a_private_chat_takes_the_community_from_the_case(h: Harness) -> None:
    await h.say("shit", who=BOB, mid="10")
    reply = await dispatch(h.ctx, _direct("appeal", "1 a quote", BOB, PlatformName.TELEGRAM))
    assert reply.text == "Your appeal for case #1 has been sent to the moderators."
    (logged,) = [c for c in h.platform.calls if c.method == "post_log" and "a quote" in str(c)]
    assert logged.args[0] == COMMUNITY  # the case's community's log
    # The same user id on another platform is someone else: the case is not found there.
    reply = await dispatch(h.ctx, _direct("appeal", "1 again", BOB, PlatformName.DISCORD))
    assert reply.text == "There is no case #1."
    reply = await dispatch(h.ctx, _direct("appeal", "1 not mine", ALICE, PlatformName.TELEGRAM))
    assert reply.text == "Case #1 is not one of your cases."
    assert [a.text for a in await appeal_store.appeals_of(h.db, 1)] == ["a quote"]


async def test_mycases_in_a_private_chat(h: Harness) -> None:
    await h.say("shit", who=BOB, mid="10")
    reply = await dispatch(h.ctx, _direct("mycases", "", BOB, PlatformName.TELEGRAM))
    lines = reply.text.splitlines()
    assert reply.ephemeral and lines[0] == "Test group: your active strikes: 1"
    assert lines[1].startswith("#1 ") and lines[-1].startswith("To appeal a case")
    reply = await dispatch(h.ctx, _direct("mycases", "", BOB, PlatformName.DISCORD))
    assert reply.text == "No cases."
