"""reports and dismiss through dispatch(): moderators list the open reports and dismiss a baseless
one (who, when, "dismissed", the reason, a log entry); members, closed reports, unknown numbers and
another community's reports are refused and change nothing."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from bot.commands import Invocation, dispatch
from bot.commands.reports import OPEN_SHOWN
from bot.events import Author, PlatformName
from bot.platforms.base import FailureKind
from bot.storage import reports as report_store
from tests.commands.conftest import ALICE, BOB, MOD, OTHER_MOD, OWNER, Harness


async def _report(
    h: Harness,
    note: str,
    *,
    by: Author = ALICE,
    about: Author = BOB,
    mid: str = "10",
    said: str = "",
) -> int:
    """``about`` says something that ``by`` reports (as a reply): the new report's number."""
    msg = await h.say(said or f"message {mid}", who=about, mid=mid)
    await h.run("report", note, by=by, reply=msg)
    (latest,) = await report_store.list_reports(h.db, limit=1)
    return latest.id


async def _get(h: Harness, report_id: int) -> report_store.Report:
    found = await report_store.get_report(h.db, report_id)
    assert found is not None
    return found


async def test_members_are_refused_both_commands(h: Harness) -> None:
    first = await _report(h, "spam")
    for command, text in (("reports", ""), ("dismiss", f"{first} nonsense")):
        reply = await h.run(command, text, by=BOB)
        assert reply.ephemeral and reply.text == f"Sorry, only moderators can use /{command}."
    assert (await _get(h, first)).resolved_at is None
    assert len(h.platform.logs) == 1  # the report's own post, nothing about a dismissal


async def test_the_open_reports_newest_first_with_their_age(h: Harness) -> None:
    assert (await h.run("reports")).text == "No open reports."
    start = h.now[0]
    await _report(h, "spam", mid="10")
    h.now[0] = start + timedelta(hours=2)
    await _report(h, "", by=OTHER_MOD, mid="11", said="x" * 100)
    h.now[0] = start + timedelta(hours=3)
    await h.run("report", "https://t.me/c/100/77", by=ALICE)  # a link: author unknown
    h.now[0] = start + timedelta(days=1, hours=5)
    reply = await h.run("reports")
    assert reply.ephemeral
    assert reply.text.splitlines() == [
        "Open reports: 3",
        "#3 · 1 day ago · by Alice (@alice) · about member unknown · https://t.me/c/100/77",
        f"#2 · 1 day ago · by Lan (@lan) · about Bob · “{'x' * 59}…”",
        "#1 · 1 day ago · by Alice (@alice) · about Bob · “message 10”",
        "A warn, mute, kick or ban of the member resolves them; "
        "/dismiss <number> <reason> dismisses one.",
    ]
    h.now[0] = start + timedelta(hours=3, seconds=20)
    lines = (await h.run("reports")).text.splitlines()
    assert lines[1].startswith("#3 · 1 minute ago") and lines[2].startswith("#2 · 1 hour ago")
    # A report resolved by a sanction leaves the list.
    await h.run("warn", "@bob")
    assert (await h.run("reports")).text.splitlines()[:2] == [
        "Open reports: 1",
        "#3 · 1 minute ago · by Alice (@alice) · about member unknown · https://t.me/c/100/77",
    ]


async def test_at_most_the_newest_ten_are_listed(h: Harness) -> None:
    for n in range(OPEN_SHOWN + 2):
        h.now[0] += timedelta(minutes=3)  # under the reporters' limit
        await _report(h, f"n{n}", by=(ALICE, OTHER_MOD, OWNER)[n % 3], mid=str(100 + n))
    lines = (await h.run("reports")).text.splitlines()
    assert lines[0] == f"Open reports: {OPEN_SHOWN + 2} (the newest {OPEN_SHOWN})"
    assert [line.split(" ")[0] for line in lines[1:-1]] == [f"#{n}" for n in range(12, 2, -1)]


async def test_dismiss_records_who_when_why_and_posts_a_log_entry(h: Harness) -> None:
    first = await _report(h, "spam")
    kept = await _report(h, "rude", by=OTHER_MOD, mid="11")
    h.now[0] += timedelta(minutes=5)
    reply = await h.run("dismiss", f"#{first} just a joke between friends")
    assert reply.ephemeral and reply.text == f"Report #{first} is dismissed."
    done = await _get(h, first)
    assert (done.resolved_at, done.resolved_by, done.outcome) == (h.now[0], MOD.id, "dismissed")
    assert done.resolution_reason == "just a joke between friends" and done.case_id is None
    assert (await _get(h, kept)).resolved_at is None
    entry = h.platform.logs[-1]
    assert entry.title == f"Report #{first} dismissed"
    assert entry.body == "The report by Alice (@alice) was dismissed by Mai (@mai)."
    assert entry.member_id == BOB.id and entry.link == "https://t.me/c/100/10"
    assert entry.fields == (
        ("Moderator", "Mai (@mai)"),
        ("Reason", "just a joke between friends"),
    )
    assert h.sanctions() == []
    # The moderators' views follow: the list, cases and stats.
    assert (await h.run("reports")).text.splitlines()[0] == "Open reports: 1"
    cases = (await h.run("cases", "@bob")).text
    assert "Reports about them: 2 (1 open)" in cases and "· dismissed" in cases
    assert "Reports: 2 received, 1 open" in (await h.run("stats")).text.splitlines()
    # Without a reason it is dismissed all the same, and the log entry has no reason field.
    assert (await h.run("dismiss", str(kept))).text == f"Report #{kept} is dismissed."
    assert (await _get(h, kept)).resolution_reason is None
    assert h.platform.logs[-1].fields == (("Moderator", "Mai (@mai)"),)


async def test_a_closed_report_is_refused_and_stays_as_it_was(h: Harness) -> None:
    first = await _report(h, "spam")
    assert (await h.run("dismiss", f"{first} baseless")).text == f"Report #{first} is dismissed."
    posts = len(h.platform.logs)
    h.now[0] += timedelta(minutes=1)
    again = await h.run("dismiss", f"{first} another reason", by=OTHER_MOD)
    assert again.ephemeral
    assert again.text == f"Report #{first} is already closed (dismissed); nothing changed."
    done = await _get(h, first)
    assert (done.resolved_by, done.resolution_reason) == (MOD.id, "baseless")
    # Resolved by a sanction: refused too, and the case stays its resolution.
    second = await _report(h, "spam again", mid="12")
    await h.run("mute", "@bob 10m")
    refused = await h.run("dismiss", str(second))
    assert refused.text == (
        f"Report #{second} is already closed (resolved: mute (case #1)); nothing changed."
    )
    resolved = await _get(h, second)
    assert (resolved.outcome, resolved.case_id, resolved.resolution_reason) == ("mute", 1, None)
    assert len(h.platform.logs) == posts + 2  # the second report and the mute, no dismissal


async def test_unknown_bad_or_missing_numbers(h: Harness) -> None:
    await _report(h, "spam")
    assert (await h.run("dismiss", "99 nope")).text == "There is no report #99."
    assert (await h.run("dismiss", "abc")).text == '"abc" is not a number.'
    assert (await h.run("dismiss")).text == "Please give a report number."
    assert (await _get(h, 1)).resolved_at is None


async def test_another_communitys_report_is_refused(h: Harness) -> None:
    """Report numbers are global: one of another group (or of the other platform) is unknown."""
    here = await _report(h, "spam")
    inv = Invocation(
        "report", PlatformName.TELEGRAM, "-300", "-300", ALICE, text="scam in DMs",
        community_name="Other group",
    )  # fmt: skip
    await dispatch(h.ctx, inv)
    elsewhere = here + 1
    assert (await _get(h, elsewhere)).note == "scam in DMs"
    refused = await h.run("dismiss", f"{elsewhere} not ours")
    assert refused.ephemeral and refused.text == f"There is no report #{elsewhere}."
    assert (await _get(h, elsewhere)).resolved_at is None
    assert "#2" not in (await h.run("reports")).text  # nor listed here
    # The same number from a Discord server with the same id is not this group's either.
    on_discord = replace(inv, command="dismiss", platform=PlatformName.DISCORD, invoker=MOD)
    on_discord = replace(on_discord, community_id="-100", text="", options={"report": here})
    assert (await dispatch(h.ctx, on_discord)).text == f"There is no report #{here}."
    assert (await _get(h, here)).resolved_at is None


async def test_a_report_about_oneself_is_left_to_another_moderator(h: Harness) -> None:
    about_mod = await _report(h, "rude", about=MOD, mid="20")
    refused = await h.run("dismiss", f"{about_mod} fine")
    assert refused.text == f"Report #{about_mod} is about you: another moderator can dismiss it."
    assert (await _get(h, about_mod)).resolved_at is None
    assert (await h.run("dismiss", str(about_mod), by=OTHER_MOD)).text.endswith("dismissed.")


async def test_a_refused_log_post_keeps_the_dismissal(h: Harness) -> None:
    first = await _report(h, "spam")
    h.platform.fail("post_log", FailureKind.FORBIDDEN)
    assert (await h.run("dismiss", str(first))).text == f"Report #{first} is dismissed."
    assert (await _get(h, first)).outcome == "dismissed"


@pytest.mark.parametrize("lang", ["vi"])
async def test_answers_in_vietnamese(h: Harness) -> None:
    assert (await h.run("reports")).text == "Không có báo cáo nào chưa xử lý."
    first = await _report(h, "spam")
    h.now[0] += timedelta(hours=2)
    lines = (await h.run("reports")).text.splitlines()
    assert lines[:2] == [
        "Báo cáo chưa xử lý: 1",
        "#1 · 2 giờ trước · của Alice (@alice) · về Bob · “message 10”",
    ]
    assert (await h.run("dismiss", f"{first} đùa thôi")).text == "Đã bác bỏ báo cáo #1."
    assert h.platform.logs[-1].title == "Báo cáo #1 bị bác bỏ"
    again = await h.run("dismiss", str(first))
    assert again.text == "Báo cáo #1 đã được đóng (đã bác bỏ); không có gì thay đổi."
    assert (await h.run("dismiss", "9")).text == "Không có báo cáo #9."
