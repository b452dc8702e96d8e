"""Forum topics on Telegram: the bot's answers stay in the topic where the member wrote (the real
python-telegram-bot stack against the fake Bot API server)."""

from __future__ import annotations

import html
import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from bot.events import Message
from bot.platforms.telegram import TelegramPlatform
from bot.storage import Database
from bot.storage import cases as case_store
from bot.storage import members as member_store
from tests.e2e.fake_telegram import Call, FakeTelegram
from tests.e2e.test_telegram import GROUP, LOG, Bot, Collected

pytestmark = pytest.mark.slow

TOPIC = 42
RULES = f"""
version: 1
community: {{name: "Forum", language: en, guidelines: ["Be kind."]}}
channels: {{log: {{telegram: "{LOG}"}}}}
toxicity: {{backend: "off"}}
escalation:
  ladder:
    - {{strikes: 1, action: warn}}
    - {{strikes: 2, action: mute, duration: 1h}}
rules:
  - id: spam
    description: "No spam"
    match: {{words: [spam]}}
    actions: [delete, strike]
  - id: promo
    match: {{words: [promo]}}
    actions: [{{reply: "{{member}}, no promotions here."}}]
"""


@pytest.fixture(autouse=True)
def _no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")


@pytest.fixture
async def fake() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram() as server:
        server.chat(GROUP, "Forum").topics.update({TOPIC, 77})
        server.chat(LOG, "mod log")
        yield server
    assert server.violations == []


@pytest.fixture
def rules(tmp_path: Path) -> Path:
    path = tmp_path / "rules.yaml"
    path.write_text(RULES, encoding="utf-8")
    return path


def shown(call: Call) -> str:
    return html.unescape(re.sub(r"<[^>]*>", "", str(call.params.get("text"))))


async def posted(fake: FakeTelegram, contains: str) -> Call:
    """The bot's message in the group whose text contains ``contains``."""
    (call, *_) = await fake.wait_for(
        "sendMessage", lambda c: int(c.params["chat_id"]) == GROUP and contains in shown(c)
    )
    return call


def say(fake: FakeTelegram, user: Any, text: str, **kw: Any) -> Any:
    update = fake.message(GROUP, user, text, **kw)
    fake.push(update)
    return update


async def test_topic_messages_carry_their_topic(fake: FakeTelegram, tmp_path: Path) -> None:
    seen = Collected()
    platform = TelegramPlatform(fake.token, fake.url, on_event=seen, poll_timeout=1)
    await platform.start()
    try:
        alice = fake.user(43, "Alice")
        say(fake, alice, "in a topic", topic=TOPIC)
        say(fake, alice, "in General")
        # Outside forums, message_thread_id names a reply thread: not a place to post in.
        say(fake, alice, "a reply thread", message_thread_id=5)
        events = await seen.wait(3)
    finally:
        await platform.stop()
    threads = {e.text: e.channel.thread_id for e in events if isinstance(e, Message)}
    assert threads == {"in a topic": "42", "in General": None, "a reply thread": None}


async def test_warning_is_posted_in_the_members_topic(
    fake: FakeTelegram, rules: Path, tmp_path: Path
) -> None:
    async with Bot(fake, rules, tmp_path / "db.sqlite") as bot:
        alice, bob = fake.user(43, "Alice"), fake.user(44, "Bob")
        say(fake, alice, "spam", topic=TOPIC)
        warning = await posted(fake, "Alice")
        # The message is deleted, so the warning cannot reply to it: the topic keeps it in place.
        assert warning.params["message_thread_id"] == TOPIC
        assert "reply_parameters" not in warning.params
        say(fake, bob, "spam")  # General: no topic
        general = await posted(fake, "Bob")
        assert "message_thread_id" not in general.params
        await bot.pipeline.drain()
    sent = {m["text"]: m.get("message_thread_id") for m in fake.chats[GROUP].sent}
    assert sent == {warning.params["text"]: TOPIC, general.params["text"]: None}


async def test_replies_and_mute_notices_stay_in_the_topic(
    fake: FakeTelegram, rules: Path, tmp_path: Path
) -> None:
    async with Bot(fake, rules, tmp_path / "db.sqlite") as bot:
        alice = fake.user(43, "Alice")
        promo = say(fake, alice, "promo", topic=TOPIC)
        reply = await posted(fake, "no promotions here")
        assert reply.params["message_thread_id"] == TOPIC
        assert reply.params["reply_parameters"]["message_id"] == promo.message.message_id
        say(fake, alice, "spam", topic=77)  # strike 1: warned
        await posted(fake, "warning")
        say(fake, alice, "spam again", topic=77)  # strike 2: muted, announced with the appeal hint
        await fake.wait_for("restrictChatMember")
        notice = await posted(fake, "/appeal")
        assert notice.params["message_thread_id"] == 77
        await bot.pipeline.drain()


async def test_a_command_is_answered_in_its_topic(
    fake: FakeTelegram, rules: Path, tmp_path: Path
) -> None:
    async with Bot(fake, rules, tmp_path / "db.sqlite") as bot:
        owner = fake.chats[GROUP].owner
        alice = fake.user(43, "Alice")
        hello = say(fake, alice, "hello", topic=TOPIC)
        await fake.idle(0.3)
        say(fake, owner, "/warn be nice", topic=TOPIC, reply_to_message=hello.message)
        answer = await posted(fake, "has been warned")
        assert answer.params["message_thread_id"] == TOPIC
        warning = await posted(fake, "be nice")  # the warning itself, to Alice
        assert warning.params["message_thread_id"] == TOPIC
        say(fake, alice, "/rules")  # from General
        rules_answer = await posted(fake, "Rules of Forum")
        assert "message_thread_id" not in rules_answer.params
        await bot.pipeline.drain()


async def test_recorded_posts_are_replayed_with_or_without_a_topic(
    fake: FakeTelegram, rules: Path, tmp_path: Path
) -> None:
    """A crash left two warnings pending: one recorded before topics were kept (no thread_id in
    its params), one with it. Both are posted at the next start, each where it belongs."""
    path = tmp_path / "db.sqlite"
    db = await Database.open(path)
    try:
        now = datetime.now(UTC)
        async with db.transaction() as tx:
            cpk = await member_store.ensure_community(tx, "telegram", str(GROUP), "Forum", now)
            mpk = await member_store.ensure_member(tx, cpk, "43", "Alice", now)
            old = {"channel_id": str(GROUP), "reply_to": None, "text": "old warning"}
            new = {**old, "text": "topic warning", "thread_id": str(TOPIC)}
            for params in (old, new):
                await case_store.insert_case(
                    tx,
                    case_store.NewCase(cpk, mpk, "rules", now, channel_id=str(GROUP)),
                    [case_store.ActionIntent("warn", params)],
                )
    finally:
        await db.close()
    async with Bot(fake, rules, path):
        old_post = await posted(fake, "old warning")
        topic_post = await posted(fake, "topic warning")
    assert "message_thread_id" not in old_post.params
    assert topic_post.params["message_thread_id"] == TOPIC


async def test_a_deleted_topic_gets_the_post_in_general(fake: FakeTelegram) -> None:
    platform = TelegramPlatform(fake.token, fake.url, poll_timeout=1)
    await platform.start()
    try:
        fake.chats[GROUP].topics.discard(TOPIC)  # deleted meanwhile: Telegram answers 400
        sent = await platform.send_message(str(GROUP), str(GROUP), "hello", thread_id=str(TOPIC))
    finally:
        await platform.stop()
    first, second = fake.calls_of("sendMessage")
    assert first.status == 400 and first.params["message_thread_id"] == TOPIC
    assert second.status == 200 and "message_thread_id" not in second.params
    assert sent == str(fake.chats[GROUP].sent[-1]["message_id"])
