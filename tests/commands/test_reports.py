"""report through dispatch(): recorded before the log post, repeats and floods refused, shown to
moderators in cases and stats, resolved by a moderator's sanction of the reported member."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from bot.commands import Invocation, dispatch
from bot.commands.reports import REPORT_LIMIT, REPORT_WINDOW, message_of_link
from bot.events import Channel, Message, PlatformName
from bot.platforms.base import FailureKind, LogEntry
from bot.storage import reports as report_store
from tests.commands.conftest import (
    ALICE,
    BOB,
    COMMUNITY,
    MOD,
    OTHER_MOD,
    RULES,
    Harness,
    open_harness,
)

THANKS = "Thanks, the moderators have been told."
RECORDED = "Thanks, your report is recorded; the moderators will see it."


async def _reports(h: Harness) -> list[report_store.Report]:
    return list(reversed(await report_store.list_reports(h.db, limit=100)))


async def test_a_replied_message_is_recorded_then_posted_with_its_number(h: Harness) -> None:
    msg = await h.say("buy cheap followers", who=BOB, mid="10")
    seen_at_post: list[int] = []
    post = h.platform.post_log

    async def post_after_checking(community_id: str, entry: LogEntry) -> None:
        seen_at_post.append(await report_store.count_reports(h.db))  # committed before the post
        await post(community_id, entry)

    h.platform.post_log = post_after_checking  # type: ignore[method-assign]
    reply = await h.run("report", "spam", by=ALICE, reply=msg)
    assert reply.ephemeral and reply.text == THANKS
    assert seen_at_post == [1]
    (report,) = await _reports(h)
    assert (
        report.id == 1 and report.reporter_user_id == ALICE.id and report.member_user_id == BOB.id
    )
    assert (report.channel_id, report.message_id) == (COMMUNITY, "10")
    assert report.excerpt == "buy cheap followers" and report.note == "spam"
    assert report.link == "https://t.me/c/100/10" and report.created_at == h.now[0]
    assert report.resolved_at is None
    entry = h.platform.logs[-1]
    assert entry.title == "Report #1" and entry.member_id == BOB.id
    assert entry.excerpt == "buy cheap followers" and entry.link == "https://t.me/c/100/10"
    assert "Alice (@alice)" in entry.body and entry.fields == (("Note", "spam"),)
    assert h.sanctions() == []


async def test_by_link_or_words_and_the_usage_hint(h: Harness) -> None:
    reply = await h.run("report", "https://t.me/c/100/10", by=ALICE)
    assert reply.text == THANKS and h.platform.logs[-1].link == "https://t.me/c/100/10"
    reply = await h.run("report", "someone is sending scam links in DMs", by=ALICE)
    assert reply.text == THANKS and h.platform.logs[-1].title == "Report #2"
    by_link, in_words = await _reports(h)
    assert by_link.link == "https://t.me/c/100/10" and by_link.member_pk is None
    assert in_words.link is None and in_words.note == "someone is sending scam links in DMs"
    reply = await h.run("report", by=ALICE)
    assert reply.ephemeral and reply.text.startswith("Reply to the message you want to report")
    assert len(await _reports(h)) == 2


async def test_the_same_report_twice_is_refused_and_not_posted_again(h: Harness) -> None:
    msg = await h.say("buy cheap followers", who=BOB, mid="10")
    assert (await h.run("report", by=ALICE, reply=msg)).text == THANKS
    again = await h.run("report", "really, spam", by=ALICE, reply=msg)
    assert again.ephemeral
    assert again.text == ("You have already reported this (report #1); the moderators have it.")
    await h.run("report", "https://t.me/c/100/99", by=ALICE)
    again = await h.run("report", "https://t.me/c/100/99", by=ALICE)
    assert again.text.startswith("You have already reported this (report #2)")
    assert len(await _reports(h)) == 2 and len(h.platform.logs) == 2
    # Someone else reporting the same message is another report: moderators see how many did.
    assert (await h.run("report", by=OTHER_MOD, reply=msg)).text == THANKS
    assert [r.reporter_user_id for r in await _reports(h)] == [ALICE.id, ALICE.id, OTHER_MOD.id]


async def test_a_reporter_is_limited_per_window(h: Harness) -> None:
    start = h.now[0]
    for n in range(REPORT_LIMIT):
        h.now[0] = start + timedelta(minutes=n)
        msg = await h.say(f"message {n}", who=BOB, mid=f"1{n}")
        assert (await h.run("report", by=ALICE, reply=msg)).text == THANKS
    h.now[0] = start + timedelta(minutes=5, seconds=30)
    msg = await h.say("one more", who=BOB, mid="20")
    refused = await h.run("report", by=ALICE, reply=msg)
    assert refused.ephemeral
    assert refused.text == (
        "You have made 5 reports in the last 10 minutes. "
        "Please wait 5 minutes before reporting again."
    )
    assert len(await _reports(h)) == REPORT_LIMIT and len(h.platform.logs) == REPORT_LIMIT
    # A repeat is still told apart from the limit; other members are not limited by Alice.
    first = await h.run("report", "https://t.me/c/100/10", by=ALICE)
    assert first.text.startswith("You have made 5 reports")
    assert (await h.run("report", by=OTHER_MOD, reply=msg)).text == THANKS
    # Once the first report is older than the window, one more is allowed.
    h.now[0] = start + REPORT_WINDOW + timedelta(seconds=1)
    assert (await h.run("report", by=ALICE, reply=msg)).text == THANKS
    h.now[0] = h.now[0] + timedelta(seconds=10)
    almost = await h.run("report", "words", by=ALICE)
    assert almost.text.endswith("Please wait 1 minute before reporting again.")


async def test_without_a_log_channel_the_report_is_recorded(tmp_path: Path) -> None:
    rules = RULES.format(lang="en").replace('channels: {log: {telegram: "-200"}}\n', "")
    h = await open_harness(tmp_path, rules)
    try:
        msg = await h.say("buy cheap followers", who=BOB, mid="10")
        reply = await h.run("report", "spam", by=ALICE, reply=msg)
        assert reply.ephemeral and reply.text == RECORDED
        assert h.platform.logs == []
        (report,) = await _reports(h)
        assert report.member_user_id == BOB.id and report.excerpt == "buy cheap followers"
        cases = await h.run("cases", "@bob")
        assert "Reports about them: 1 (1 open)" in cases.text
    finally:
        await h.db.close()


async def test_a_log_post_refused_keeps_the_report(h: Harness) -> None:
    h.platform.fail("post_log", FailureKind.FORBIDDEN)
    msg = await h.say("buy cheap followers", who=BOB, mid="10")
    reply = await h.run("report", by=ALICE, reply=msg)
    assert reply.text == RECORDED
    assert len(await _reports(h)) == 1


@pytest.mark.parametrize("lang", ["vi"])
async def test_answers_in_vietnamese(h: Harness) -> None:
    msg = await h.say("mua follow giá rẻ", who=BOB, mid="10")
    assert (await h.run("report", by=ALICE, reply=msg)).text == (
        "Cảm ơn bạn, quản trị viên đã được báo."
    )
    assert h.platform.logs[-1].title == "Báo cáo #1"
    again = await h.run("report", by=ALICE, reply=msg)
    assert again.text.startswith("Bạn đã báo cáo nội dung này rồi (báo cáo #1)")
    assert "Bị báo cáo: 1 lần (1 chưa xử lý)" in (await h.run("cases", "@bob")).text


async def test_moderators_see_reports_in_cases_and_stats(h: Harness) -> None:
    first = await h.say("buy cheap followers", who=BOB, mid="10")
    second = await h.say("x" * 100, who=BOB, mid="11")
    other = await h.say("hello", who=ALICE, mid="12")
    await h.run("report", "spam", by=ALICE, reply=first)
    h.now[0] += timedelta(minutes=1)
    await h.run("report", by=OTHER_MOD, reply=second)
    await h.run("report", by=BOB, reply=other)
    lines = (await h.run("cases", "@bob")).text.splitlines()
    assert lines[0] == "Bob (@bob): 0 active strike(s)" and lines[1] == "No cases."
    assert lines[2] == "Reports about them: 2 (2 open)"
    assert lines[3] == (f"Report #2 2026-01-10 12:01 UTC · by Lan (@lan) · “{'x' * 59}…” · open")
    assert lines[4] == (
        "Report #1 2026-01-10 12:00 UTC · by Alice (@alice) · “buy cheap followers” · open"
    )
    assert "Reports:" not in (await h.run("cases", "@mai")).text  # none about Mai: no section
    stats = (await h.run("stats")).text.splitlines()
    assert "Reports: 3 received, 3 open" in stats


async def test_a_moderators_sanction_resolves_the_members_open_reports(h: Harness) -> None:
    msg = await h.say("buy cheap followers", who=BOB, mid="10")
    other = await h.say("hello", who=ALICE, mid="11")
    await h.run("report", by=ALICE, reply=msg)
    await h.run("report", by=OTHER_MOD, reply=msg)
    await h.run("report", by=BOB, reply=other)
    reply = await h.run("mute", "10m spam", reply=msg)
    assert reply.text.startswith("Bob (@bob) is muted for 10 minutes (case #1)")
    bob_1, bob_2, about_alice = await _reports(h)
    for report in (bob_1, bob_2):
        assert report.resolved_at == h.now[0] and report.resolved_by == MOD.id
        assert report.outcome == "mute" and report.case_id == 1
    assert about_alice.resolved_at is None
    text = (await h.run("cases", "@bob")).text
    assert "Reports about them: 2 (0 open)" in text
    assert "· resolved: mute (case #1)" in text
    assert "Reports: 3 received, 1 open" in (await h.run("stats")).text.splitlines()
    # A report made after the case is open again until the next sanction.
    h.now[0] += timedelta(minutes=1)
    later = await h.say("more spam later", who=BOB, mid="13")
    await h.run("report", by=ALICE, reply=later)
    assert "Reports about them: 3 (1 open)" in (await h.run("cases", "@bob")).text


async def test_a_failed_sanction_or_a_rules_case_leaves_reports_open(h: Harness) -> None:
    msg = await h.say("buy cheap followers", who=BOB, mid="10")
    await h.run("report", by=ALICE, reply=msg)
    h.platform.fail("mute", FailureKind.FORBIDDEN)
    reply = await h.run("mute", "@bob 10m")
    assert reply.ephemeral and reply.text.startswith("Case #1 is recorded, but I could not")
    await h.say("shit", who=BOB, mid="11")  # the rules open case #2 on Bob
    (report,) = await _reports(h)
    assert report.resolved_at is None
    await h.run("warn", "@bob")
    (report,) = await _reports(h)
    assert report.outcome == "warn" and report.case_id == 3


async def test_a_link_to_a_message_the_bot_saw_names_its_author(h: Harness) -> None:
    """Discord's /report takes a link; the bot's memory of recent messages gives the author, so the
    report shows in ``cases`` and the same message reported from the menu is a repeat."""
    guild, channel = "555", "777"
    seen = Message(
        PlatformName.DISCORD, guild, Channel(channel), "88", BOB, "cheap followers", h.now[0]
    )
    await h.ctx.observing(h.pipeline.handle)(seen)
    link = f"https://discord.com/channels/{guild}/{channel}/88"

    def inv(**kw: object) -> Invocation:
        return Invocation("report", PlatformName.DISCORD, guild, channel, ALICE, **kw)  # type: ignore[arg-type]

    reply = await dispatch(h.ctx, inv(options={"message": link}))
    assert reply.text == RECORDED  # no Discord log channel in these rules
    (report,) = await _reports(h)
    assert report.member_user_id == BOB.id and (report.channel_id, report.message_id) == (
        channel,
        "88",
    )
    menu = inv(
        options={}, reply_to=seen.ref, reply_author=BOB, reply_text=seen.text, reply_link=link
    )
    assert (await dispatch(h.ctx, menu)).text.startswith(
        "You have already reported this (report #1)"
    )


def test_message_links_into_the_community() -> None:
    dc, tg = PlatformName.DISCORD, PlatformName.TELEGRAM
    assert message_of_link(dc, "5", "https://discord.com/channels/5/7/9") == ("7", "9")
    assert message_of_link(dc, "5", "https://ptb.discordapp.com/channels/5/7/9") == ("7", "9")
    assert message_of_link(dc, "6", "https://discord.com/channels/5/7/9") is None
    assert message_of_link(dc, "5", "https://discord.com/channels/5/7") is None
    group = "-1001234567890"
    assert message_of_link(tg, group, "https://t.me/c/1234567890/42") == (group, "42")
    assert message_of_link(tg, group, "https://t.me/c/1234567890/7/42") == (group, "42")
    assert message_of_link(tg, group, "https://t.me/c/1234567890/42?single") == (group, "42")
    assert message_of_link(tg, group, "https://t.me/c/99/42") is None
    assert message_of_link(tg, group, "https://t.me/somegroup/42") is None
    assert message_of_link(tg, group, "https://discord.com/channels/5/7/9") is None
