"""warn, mute, unmute, kick, ban, unban, purge through dispatch(): happy path, refusal, bad argument."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.storage import cases as case_store
from tests.commands.conftest import ALICE, BOB, BOT, MOD, OTHER_MOD, OWNER, T0, Harness


async def test_warn_by_reply_records_a_case_with_a_strike(h: Harness) -> None:
    msg = await h.say("hello there", mid="10")
    reply = await h.run("warn", "be nice", reply=msg)
    assert not reply.ephemeral
    assert reply.text == "Bob (@bob) has been warned (case #1)."
    case = await case_store.get_case(h.db, 1)
    assert case is not None and case.source == "moderator" and case.sanction == "warn"
    assert case.moderator_id == MOD.id and case.reason == "be nice" and case.strikes == 1
    assert case.message_id == "10" and case.message_text == "hello there"
    assert [c.method for c in h.platform.done] == ["send_message", "post_log"]
    assert "be nice" in h.platform.done[0].args[2]


async def test_warn_without_a_reason_reads_as_a_sentence(h: Harness) -> None:
    await h.run("warn", "@bob")
    (sent,) = [c for c in h.platform.done if c.method == "send_message"]
    assert sent.args[2].startswith("Bob, this is a warning from the moderators.")


async def test_mute_by_username_defaults_to_one_hour(h: Harness) -> None:
    reply = await h.run("mute", "@bob spamming links")
    assert reply.text == "Bob (@bob) is muted for 1 hour (case #1)."
    (call,) = [c for c in h.platform.done if c.method == "mute"]
    assert call.args[1] == BOB.id and call.args[2] == T0 + timedelta(hours=1)
    case = await case_store.get_case(h.db, 1)
    assert case is not None and case.reason == "spamming links"


async def test_mute_with_a_duration_by_id(h: Harness) -> None:
    reply = await h.run("mute", "42 10m calm down")
    assert "10 minutes" in reply.text
    (call,) = [c for c in h.platform.done if c.method == "mute"]
    assert call.args[2] == T0 + timedelta(minutes=10)


@pytest.mark.parametrize("text", ["@bob 10 seconds", "@bob 10 seconds please"])
async def test_bad_duration_is_answered_and_nothing_happens(h: Harness, text: str) -> None:
    reply = await h.run("mute", text)
    assert reply.ephemeral
    assert reply.text == '"10 seconds" is not a duration. Use for example 10m, 1h, 2d or 1w.'
    assert h.sanctions() == [] and await case_store.list_cases(h.db) == []


async def test_bad_duration_as_a_discord_option(h: Harness) -> None:
    reply = await h.run("ban", options={"member": BOB, "duration": "10 seconds"})
    assert reply.ephemeral and '"10 seconds" is not a duration' in reply.text
    assert h.sanctions() == []


async def test_unknown_member_is_answered(h: Harness) -> None:
    reply = await h.run("kick", "@nobody")
    assert reply.ephemeral
    assert reply.text.startswith("I could not find the member @nobody.")
    assert h.sanctions() == []


async def test_missing_target_is_answered(h: Harness) -> None:
    reply = await h.run("kick")
    assert reply.ephemeral and reply.text.startswith("Please give a member")


@pytest.mark.parametrize("command", ["warn", "mute", "unmute", "kick", "ban", "unban", "purge"])
async def test_non_moderator_is_refused_without_any_call(h: Harness, command: str) -> None:
    await h.say("hi", who=ALICE)
    args = "5" if command == "purge" else "@alice"
    reply = await h.run(command, args, by=BOB)
    assert reply.ephemeral
    assert reply.text == f"Sorry, only moderators can use /{command}."
    assert h.sanctions() == []
    assert [c for c in await case_store.list_cases(h.db) if c.source == "moderator"] == []


@pytest.mark.parametrize(
    ("target", "why"),
    [
        (OTHER_MOD, "a moderator"),
        (OWNER, "the owner"),
        (BOT, "the bot itself"),
        (MOD, "you cannot sanction yourself"),
    ],
)
@pytest.mark.parametrize("command", ["warn", "mute", "kick", "ban"])
async def test_nobody_sanctions_moderators_owner_bot_or_themselves(
    h: Harness, command: str, target: object, why: str
) -> None:
    reply = await h.run(command, f"@{target.username}")  # type: ignore[attr-defined]
    assert reply.ephemeral and why in reply.text and reply.text.startswith("Sorry")
    assert h.sanctions() == [] and await case_store.list_cases(h.db) == []


async def test_role_moderator_from_rules_may_act(h: Harness) -> None:
    from bot.events import Role

    helper = ALICE.__class__("50", "Helper", roles=(Role("r1", "Mods"),))
    reply = await h.run("kick", "@bob", by=helper)
    assert reply.text.startswith("Bob (@bob) has been removed")
    assert h.sanctions() == ["kick"]


async def test_ban_temporary_with_message_deletion_then_unban(h: Harness) -> None:
    reply = await h.run("ban", options={"member": BOB, "duration": "2d", "delete_messages": "1d"})
    assert reply.text == "Bob (@bob) is banned, 2 days (case #1)."
    (call,) = [c for c in h.platform.done if c.method == "ban"]
    assert call.args[2] == T0 + timedelta(days=2) and call.args[4] == 86400
    reply = await h.run("unban", "42")
    assert reply.text == "Bob (@bob) is no longer banned (case #2)."
    assert h.sanctions() == ["ban", "unban"]


async def test_permanent_ban_and_unban_of_someone_unknown_by_id(h: Harness) -> None:
    reply = await h.run("ban", "@bob")
    assert "permanently" in reply.text
    reply = await h.run("unban", "777")
    assert reply.text == "777 is no longer banned (case #2)."


async def test_unmute_lifts_and_cancels_the_scheduled_unmute(h: Harness) -> None:
    await h.run("mute", "@bob 1h")
    reply = await h.run("unmute", "@bob")
    assert reply.text == "Bob (@bob) can talk again (case #2)."
    assert h.sanctions() == ["mute", "unmute"]


async def test_platform_refusal_is_reported_and_the_case_kept(h: Harness) -> None:
    from bot.platforms.base import FailureKind

    h.platform.fail("kick", FailureKind.FORBIDDEN, message="not enough rights")
    reply = await h.run("kick", "@bob")
    assert reply.ephemeral
    assert reply.text.startswith("Case #1 is recorded, but I could not remove Bob (@bob)")


async def test_purge_deletes_recent_messages_of_one_member(h: Harness) -> None:
    await h.say("one", who=BOB, mid="11")
    await h.say("two", who=ALICE, mid="12")
    await h.say("three", who=BOB, mid="13")
    reply = await h.run("purge", "5 @bob")
    assert reply.text.startswith("Deleted 2 messages.")
    deleted = [c.args[0].message_id for c in h.platform.done if c.method == "delete_message"]
    assert deleted == ["13", "11"]
    (case,) = await case_store.list_cases(h.db)
    assert case.source == "moderator" and case.user_id == BOB.id
    assert [a.kind for a in case.actions] == ["delete", "delete"]


async def test_purge_counts_and_bad_numbers(h: Harness) -> None:
    for i in range(4):
        await h.say(f"m{i}", who=ALICE if i % 2 else BOB, mid=str(20 + i))
    reply = await h.run("purge", "3")
    assert reply.text.startswith("Deleted 3 messages.")
    assert len(await case_store.list_cases(h.db)) == 2  # one case per member
    assert (await h.run("purge", "many")).text == '"many" is not a number.'
    assert (await h.run("purge", "500")).text.startswith("500 is out of range")


@pytest.mark.parametrize("lang", ["vi"])
async def test_refusal_in_the_community_language(h: Harness) -> None:
    reply = await h.run("ban", "@bob", by=ALICE)
    assert reply.text == "Xin lỗi, chỉ quản trị viên mới dùng được lệnh /ban."
    reply = await h.run("ban", "@owner")
    assert reply.text == "Xin lỗi, không thể xử lý Owner (@owner) (đây là chủ nhóm)."
    reply = await h.run("mute", "@bob 10 seconds")
    assert reply.text.startswith('"10 seconds" không phải là khoảng thời gian.')
    reply = await h.run("mute", "@bob 30m")
    assert reply.text == "Đã cấm chat Bob (@bob) trong 30 phút (vụ #1)."
