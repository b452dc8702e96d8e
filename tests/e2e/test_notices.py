"""End to end on both platforms: an escalated mute is announced where the message was, in the
community's language, with the appeal hint (the real discord.py / python-telegram-bot stacks
against the fake servers)."""

from __future__ import annotations

import html
import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.e2e.fake_discord import GENERAL_ID, GUILD_ID, LOG_ID, FakeDiscord
from tests.e2e.fake_telegram import FakeTelegram
from tests.e2e.test_discord import start_bot
from tests.e2e.test_telegram import GROUP, LOG, Bot, say

pytestmark = pytest.mark.slow

OFF_TOPIC_ID = GENERAL_ID + 50
RULES = """
version: 1
community: {{name: "Hội đọc sách", language: vi}}
channels: {{log: {{{platform}: "{log}"}}}}
escalation:
  ladder:
    - {{strikes: 2, action: mute, duration: 1h}}
rules:
  - id: spam
    description: "Không quảng cáo"
    match: {{words: [spam]}}
    actions: [delete, strike]
"""
NOTICE = (
    "Alice bị cấm chat trong 1 giờ: Không quảng cáo. (vụ #2)\n"
    "Nếu bạn thấy bị xử lý nhầm, hãy gõ /appeal 2 kèm lý do."
)
# On Telegram a muted member cannot post in the group: the hint says where /appeal still works,
# and links to the private chat with the bot (its username from getMe; the payload names the case).
APPEAL_LINK = "https://t.me/modbot_test_bot?start=appeal-2"
TELEGRAM_NOTICE = NOTICE.replace(
    "kèm lý do.", f"kèm lý do, tại đây hoặc trong tin nhắn riêng với bot: {APPEAL_LINK}"
)
# On Discord a timed-out member cannot use commands in the server: the hint points to the DM.
DISCORD_NOTICE = NOTICE.replace(
    "kèm lý do.",
    "kèm lý do, trong máy chủ hoặc trong tin nhắn riêng với bot "
    "(khi đang bị cấm chat, chỉ tin nhắn riêng dùng được).",
)


@pytest.fixture(autouse=True)
def _no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")


@pytest.fixture
async def discord() -> AsyncIterator[FakeDiscord]:
    async with FakeDiscord() as server:
        server.add_channel(OFF_TOPIC_ID, "off-topic")
        yield server
    assert server.violations == []


async def test_discord_escalated_mute_is_announced_in_the_channel(
    discord: FakeDiscord, tmp_path: Path
) -> None:
    rules = tmp_path / "rules.yaml"
    rules.write_text(RULES.format(platform="discord", log=LOG_ID), encoding="utf-8")
    bot = await start_bot(discord, rules, tmp_path / "modbot.db")
    try:
        alice = discord.member("Alice")
        await discord.send_message(alice, "spam", channel_id=OFF_TOPIC_ID)
        await discord.wait_for("DELETE", f"/channels/{OFF_TOPIC_ID}/messages/")
        await discord.send_message(alice, "spam again", channel_id=OFF_TOPIC_ID)
        await discord.wait_for("PATCH", f"/guilds/{GUILD_ID}/members/{alice.user.id}")
        (post,) = await discord.wait_for("POST", f"/channels/{OFF_TOPIC_ID}/messages")
        assert post.json["content"] == DISCORD_NOTICE
        assert "message_reference" not in post.json or post.json["message_reference"] is None
        cases = await bot.cases(2)
        assert [(a.kind, a.status) for a in cases[1].actions] == [
            ("delete", "done"),
            ("mute", "done"),
            ("notice", "done"),
            ("log", "done"),
        ]
        # Nothing was said about the first offence (a deletion), nor anywhere else.
        posts = [c for c in discord.calls_of("POST", "/channels/") if "/messages" in c.path]
        assert {c.path for c in posts} <= {
            f"/channels/{OFF_TOPIC_ID}/messages",
            f"/channels/{LOG_ID}/messages",
        }
        assert len([c for c in posts if str(OFF_TOPIC_ID) in c.path]) == 1
    finally:
        await bot.stop()


@pytest.fixture
async def telegram() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram() as server:
        server.chat(GROUP, "Hội những người yêu sách")
        server.chat(LOG, "mod log")
        yield server


async def test_telegram_escalated_mute_is_announced_in_the_group(
    telegram: FakeTelegram, tmp_path: Path
) -> None:
    rules = tmp_path / "rules.yaml"
    rules.write_text(RULES.format(platform="telegram", log=LOG), encoding="utf-8")
    async with Bot(telegram, rules, tmp_path / "db.sqlite") as bot:
        alice = telegram.user(42, "Alice")
        await say(telegram, alice, "spam")
        await telegram.wait_for("deleteMessage")
        await say(telegram, alice, "spam again")
        await telegram.wait_for("restrictChatMember")
        (sent,) = await telegram.wait_for("sendMessage", lambda c: c.params["chat_id"] == GROUP)
        text = html.unescape(re.sub(r"<[^>]*>", "", sent.params["text"]))
        assert text == TELEGRAM_NOTICE
        assert [m["text"] for m in telegram.chats[GROUP].sent] == [sent.params["text"]]
        # She follows the link: Start opens the private chat, where the bot says how to appeal.
        telegram.start_bot(alice, APPEAL_LINK.rsplit("=", 1)[1])
        (hello,) = await telegram.wait_for("sendMessage", lambda c: c.params["chat_id"] == 42)
        hello_text = html.unescape(re.sub(r"<[^>]*>", "", hello.params["text"]))
        assert hello_text.startswith("Xin chào!")
        assert hello_text.endswith("\n\nĐể kháng nghị vụ #2, hãy gửi /appeal 2 kèm lý do vào đây.")
        await bot.pipeline.drain()
        assert telegram.violations == []
