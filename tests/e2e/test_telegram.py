"""Telegram end to end: the real python-telegram-bot stack against the fake Bot API server."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from telegram import ChatMemberMember, ChatMemberUpdated, Update

from bot.events import Event, MemberJoin, Message, PlatformName
from bot.platforms.base import FailureKind, LogEntry, MessageRef, PlatformError
from bot.platforms.telegram import TelegramPlatform
from tests.e2e.fake_telegram import (
    FORBIDDEN,
    NO_RIGHTS,
    NOT_FOUND,
    FakeTelegram,
    admin_member,
    rate_limited,
)

pytestmark = pytest.mark.slow

GROUP = -1001234567890  # the community (and the log chat of rules.example.yaml, like a real setup)
LOG = -1009999
ALICE = 42


@pytest.fixture(autouse=True)
def _no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    # httpx honours proxy variables; the fake server is local.
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")


@pytest.fixture
async def fake() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram() as server:
        server.chat(GROUP, "Hội những người yêu sách")
        server.chat(LOG, "mod log")
        yield server


class Collected:
    """Events the platform delivered, with a way to wait for them."""

    def __init__(self) -> None:
        self.events: list[Event] = []
        self._new = asyncio.Event()

    async def __call__(self, event: Event) -> None:
        self.events.append(event)
        self._new.set()

    async def wait(self, count: int, within: float = 5.0) -> list[Event]:
        async with asyncio.timeout(within):
            while len(self.events) < count:
                self._new.clear()
                await self._new.wait()
        return self.events


@pytest.fixture
def seen() -> Collected:
    return Collected()


@pytest.fixture
async def platform(fake: FakeTelegram, seen: Collected) -> AsyncIterator[TelegramPlatform]:
    p = TelegramPlatform(fake.token, fake.url, on_event=seen, log_chat=str(LOG), poll_timeout=1)
    await p.start()
    try:
        yield p
    finally:
        await p.stop()


# ---- the adapter alone: updates in, calls out --------------------------------------------


async def test_startup_asks_for_chat_member_updates(
    fake: FakeTelegram, platform: TelegramPlatform
) -> None:
    p = platform
    assert p.bot_id == str(fake.me.id)
    assert [c.method for c in fake.calls[:2]] == ["getMe", "deleteWebhook"]
    polls = await fake.wait_for("getUpdates")
    assert "chat_member" in polls[0].params["allowed_updates"]
    assert "message" in polls[0].params["allowed_updates"]


async def test_updates_become_neutral_events(
    fake: FakeTelegram, platform: TelegramPlatform, seen: Collected
) -> None:
    alice = fake.user(ALICE, "Alice", "alice")
    fake.push(fake.message(GROUP, alice, "hello"))
    fake.push(fake.sticker_message(GROUP, alice))
    fake.push(fake.message(GROUP, alice, "edited text", edited=True))
    fake.push(fake.service_message(GROUP, alice, fake.user(43)))
    fake.push(fake.message(GROUP, None, "channel news", channel_post=True))
    fake.push(fake.message(GROUP, fake.me, "the bot itself"))
    fake.push(fake.member_update(GROUP, fake.user(44, "Newbie")))
    fake.push(fake.message(GROUP, alice, "last"))
    events = await seen.wait(5)
    await fake.idle(0.2)
    msgs = [e for e in seen.events if isinstance(e, Message)]
    assert [m.text for m in msgs] == ["hello", "", "edited text", "last"]
    assert msgs[1].attachments[0].kind == "sticker"
    assert msgs[2].edited
    joins = [e for e in events if isinstance(e, MemberJoin)]
    assert [j.member.id for j in joins] == ["44"]
    assert len(seen.events) == 5


async def test_administrators_are_moderators_and_cached(
    fake: FakeTelegram, platform: TelegramPlatform, seen: Collected
) -> None:
    owner = fake.chats[GROUP].owner
    assert owner is not None
    fake.push(fake.message(GROUP, owner, "from the owner"))
    fake.push(fake.message(GROUP, fake.user(ALICE), "from alice"))
    events = await seen.wait(2)
    by_text = {e.text: e.author for e in events if isinstance(e, Message)}
    assert by_text["from the owner"].is_owner and by_text["from the owner"].is_moderator
    assert not by_text["from alice"].is_moderator
    assert len(fake.calls_of("getChatAdministrators")) == 1

    # A promotion arrives as a chat_member update: the cache is refreshed.
    promoted = fake.user(ALICE)
    fake.chats[GROUP].admins.append(promoted)
    from datetime import UTC, datetime



    change = ChatMemberUpdated(
        fake.chats[GROUP].ptb,
        owner,
        datetime.now(UTC),
        ChatMemberMember(promoted),
        admin_member(promoted),
    )
    fake.push(Update(0, chat_member=change))
    fake.push(fake.message(GROUP, promoted, "now an admin"))
    events = await seen.wait(3)
    assert events[-1].author.is_moderator
    assert len(fake.calls_of("getChatAdministrators")) == 2


async def test_anonymous_admin_is_moderator(
    fake: FakeTelegram, platform: TelegramPlatform, seen: Collected
) -> None:
    anon = fake.user(1087968824, "Group")
    anon = type(anon)(anon.id, "Group", is_bot=True, username="GroupAnonymousBot")
    fake.push(fake.message(GROUP, anon, "/ban", sender_chat=fake.chats[GROUP].ptb))
    fake.push(fake.message(GROUP, anon, "announcement", sender_chat=fake.chats[GROUP].ptb))
    events = await seen.wait(1)
    await fake.idle(0.2)
    assert len(seen.events) == 1  # the moderator's /command is not moderated as chat
    assert events[0].author.is_moderator and events[0].author.id == str(GROUP)


async def test_unparsable_update_is_skipped(
    fake: FakeTelegram, platform: TelegramPlatform, seen: Collected
) -> None:
    bad = fake.message(GROUP, fake.user(ALICE), "x").to_dict()
    bad["message"]["chat"] = {"id": GROUP}  # no "type": PTB 22 refuses to parse it
    fake.push(bad)
    fake.push(fake.message(GROUP, fake.user(ALICE), "after the bad one"))
    events = await seen.wait(1)
    assert events[0].text == "after the bad one"


async def test_actions_on_the_wire(fake: FakeTelegram, platform: TelegramPlatform) -> None:
    p = platform
    chat = fake.chats[GROUP]
    await p.delete_message(MessageRef(PlatformName.TELEGRAM, str(GROUP), str(GROUP), "77"), "r")
    assert 77 in chat.deleted
    until = datetime.now(UTC) + timedelta(minutes=10)
    assert await p.mute(str(GROUP), str(ALICE), until, "r") == until
    (mute,) = fake.calls_of("restrictChatMember")
    assert abs(mute.params["until_date"] - until.timestamp()) < 2
    assert not any(mute.params["permissions"].values())
    # A mute shorter than Telegram's 30 s minimum is still sent with a future end.
    short = datetime.now(UTC) + timedelta(seconds=2)
    assert await p.mute(str(GROUP), str(ALICE), short, "r") == short
    assert fake.calls_of("restrictChatMember")[-1].params["until_date"] > time.time() + 30
    await p.unmute(str(GROUP), str(ALICE), "r")
    assert fake.calls_of("restrictChatMember")[-1].params["permissions"] == (
        chat.permissions.to_dict()
    )
    assert ALICE not in chat.restricted
    await p.kick(str(GROUP), "43", "r")
    assert [c.method for c in fake.calls[-2:]] == ["banChatMember", "unbanChatMember"]
    assert 43 not in chat.banned
    await p.ban(str(GROUP), "44", None, "r")
    assert chat.banned[44] == 0 and "until_date" not in fake.calls[-1].params
    await p.unban(str(GROUP), "44", "r")
    assert fake.calls[-1].params["only_if_banned"] is True and 44 not in chat.banned
    sent = await p.send_message(str(GROUP), str(GROUP), "<b>not bold</b> & co", reply_to="5")
    assert sent is not None
    call = fake.calls_of("sendMessage")[-1]
    assert call.params["text"] == "&lt;b&gt;not bold&lt;/b&gt; &amp; co"
    assert call.params["parse_mode"] == "HTML"
    await p.post_log(str(GROUP), LogEntry("ban", "spam <script>", case_id=3, rule_ids=("r1",)))
    logged = fake.chats[LOG].sent[-1]
    assert "<b>ban</b>" in logged["text"] and "&lt;script&gt;" in logged["text"]
    assert "Case #3" in logged["text"]
    assert fake.violations == []


@pytest.mark.parametrize(
    ("fault", "kind"),
    [
        (rate_limited(3), FailureKind.RATE_LIMITED),
        (NOT_FOUND, FailureKind.NOT_FOUND),
        (NO_RIGHTS, FailureKind.FORBIDDEN),
        (FORBIDDEN, FailureKind.FORBIDDEN),
    ],
    ids=["429", "not-found", "no-rights", "403"],
)
async def test_errors_are_classified(
    fake: FakeTelegram, platform: TelegramPlatform, fault: Any, kind: FailureKind
) -> None:
    p = platform
    fake.fail("deleteMessage", fault)
    ref = MessageRef(PlatformName.TELEGRAM, str(GROUP), str(GROUP), "8")
    with pytest.raises(PlatformError) as err:
        await p.delete_message(ref, "r")
    assert err.value.kind is kind
    if kind is FailureKind.RATE_LIMITED:
        assert err.value.retry_after == 3


async def test_stop_is_quick(fake: FakeTelegram) -> None:
    p = TelegramPlatform(fake.token, fake.url, poll_timeout=5)
    await p.start()
    await fake.wait_for("getUpdates")
    started = time.monotonic()
    await p.stop()
    assert time.monotonic() - started < 3
