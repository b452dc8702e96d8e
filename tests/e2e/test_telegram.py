"""Telegram end to end: the real python-telegram-bot stack against the fake Bot API server."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import sys
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from telegram import ChatMemberMember, ChatMemberUpdated, Update

from bot.events import Event, MemberJoin, Message, PlatformName
from bot.platforms.base import FailureKind, LogEntry, MessageRef, PlatformError
from bot.platforms.telegram import LOG_SEPARATOR, TelegramPlatform
from tests.e2e.fake_telegram import (
    FORBIDDEN,
    NO_RIGHTS,
    NOT_FOUND,
    FakeTelegram,
    admin_member,
    rate_limited,
)
from tests.e2e.logposts import assert_once_in_order

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
    polls = await fake.wait_for("getUpdates", received=True)
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
    await p.logs.flush()  # post_log queues the entry; the batcher posts it at once
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
    await fake.wait_for("getUpdates", received=True)
    started = time.monotonic()
    await p.stop()
    assert time.monotonic() - started < 3


# ---- through the pipeline: rules, strikes, ladder, reversals --------------------------------

EXAMPLE_RULES = Path(__file__).resolve().parents[2] / "rules.example.yaml"
SHORT_RULES = """\
version: 1
community: {name: "Test group", language: en}
channels:
  log: {telegram: "LOG_CHAT"}
toxicity: {backend: "off"}
rules:
  - id: no-spam
    match: {words: [spam]}
    actions: [delete, {mute: 2s}]
""".replace("LOG_CHAT", str(LOG))


class Bot:
    """The bot assembled as ``bot.app.run`` does, in-process, so a test can stop and restart it."""

    def __init__(self, fake: FakeTelegram, rules: Path, db: Path) -> None:
        self.fake, self.rules, self.db_path = fake, rules, db

    async def __aenter__(self) -> Bot:
        from bot.moderation.executor import Executor
        from bot.moderation.pipeline import Pipeline
        from bot.moderation.scheduler import Scheduler
        from bot.rules import Engine, load_rules
        from bot.storage import Database

        ruleset = load_rules(str(self.rules))
        self.db = await Database.open(self.db_path)
        self.executor = Executor(self.db)
        self.pipeline = Pipeline(self.db, self.executor, ruleset, Engine(ruleset))
        self.scheduler = Scheduler(self.db, self.executor)
        self.executor.on_schedule = self.scheduler.wake
        self.platform = TelegramPlatform(self.fake.token, self.fake.url, poll_timeout=1)
        self.executor.add_platform(self.platform)
        left = await self.executor.left_pending()
        self.scheduler.start()
        await self.platform.start(self.pipeline)
        assert self.platform.bot_id is not None
        self.executor.bot_ids["telegram"] = self.platform.bot_id
        await self.executor.replay_pending(left)
        return self

    async def __aexit__(self, *exc: object) -> None:
        try:
            await self.platform.stop()
            await self.executor.drain()  # as the app does: what the stop posted is recorded
            await self.scheduler.stop()
        finally:
            await self.db.close()


@pytest.fixture
def example_rules(tmp_path: Path) -> Path:
    # The example rules post to -1001234567890, which is also the moderated group here.
    return EXAMPLE_RULES


@pytest.fixture
def short_rules(tmp_path: Path) -> Path:
    path = tmp_path / "short.yaml"
    path.write_text(SHORT_RULES, encoding="utf-8")
    return path


def deleted(fake: FakeTelegram, update: Update) -> bool:
    assert update.effective_message is not None
    return update.effective_message.message_id in fake.chats[GROUP].deleted


async def say(fake: FakeTelegram, user: Any, text: str, **kw: Any) -> Update:
    update = fake.message(GROUP, user, text, **kw)
    fake.push(update)
    return update


async def test_bad_word_evasion_and_clean_message(fake: FakeTelegram, tmp_path: Path) -> None:
    async with Bot(fake, EXAMPLE_RULES, tmp_path / "db.sqlite"):
        alice, bob, carol = fake.user(ALICE), fake.user(43), fake.user(44)
        clean = await say(fake, carol, "Mình thích đọc Harry Potter")
        bad = await say(fake, alice, "what the fuck")
        evasion = await say(fake, bob, "f.u.c.k this")
        ids = {bad.message.message_id, evasion.message.message_id}  # type: ignore[union-attr]
        await fake.wait_for("deleteMessage", lambda c: c.params["message_id"] in ids, count=2)
        await fake.idle(0.3)
        assert deleted(fake, bad) and deleted(fake, evasion)
        assert not deleted(fake, clean)
        assert len(fake.calls_of("deleteMessage")) == 2
        assert fake.violations == []


async def test_ladder_warns_mutes_then_bans(fake: FakeTelegram, tmp_path: Path) -> None:
    async with Bot(fake, EXAMPLE_RULES, tmp_path / "db.sqlite"):
        alice = fake.user(ALICE, "Alice")
        # profanity costs 2 strikes; the ladder: 2 → warn, 4 → mute 1h, 6 → ban.
        await say(fake, alice, "shit")
        await fake.wait_for("deleteMessage")
        warn = await fake.wait_for("sendMessage", lambda c: c.params["chat_id"] == GROUP)
        assert "Alice" in warn[0].params["text"]
        await say(fake, alice, "shit again")
        (mute,) = await fake.wait_for("restrictChatMember")
        assert mute.params["user_id"] == ALICE
        assert not any(mute.params["permissions"].values())
        until = mute.params["until_date"]
        assert time.time() + 3500 < until < time.time() + 3700  # an hour ahead, not "forever"
        await say(fake, alice, "bullshit")
        (ban,) = await fake.wait_for("banChatMember")
        assert ban.params["user_id"] == ALICE and "until_date" not in ban.params
        assert ALICE in fake.chats[GROUP].banned
        assert fake.violations == []


async def test_strikes_survive_a_restart(fake: FakeTelegram, tmp_path: Path) -> None:
    db = tmp_path / "db.sqlite"
    alice = fake.user(ALICE, "Alice")
    async with Bot(fake, EXAMPLE_RULES, db):
        await say(fake, alice, "shit")
        await fake.wait_for("deleteMessage")
        await fake.wait_for("sendMessage", lambda c: c.params["chat_id"] == GROUP)  # the warning
    assert fake.calls_of("restrictChatMember") == []
    async with Bot(fake, EXAMPLE_RULES, db):
        await say(fake, alice, "shit again")
        (mute,) = await fake.wait_for("restrictChatMember")  # 4 strikes: the second ladder step
        assert mute.params["user_id"] == ALICE and mute.params["until_date"] > time.time() + 3000


async def test_mute_is_lifted_when_due(
    fake: FakeTelegram, short_rules: Path, tmp_path: Path
) -> None:
    async with Bot(fake, short_rules, tmp_path / "db.sqlite"):
        await say(fake, fake.user(ALICE), "buy spam now")
        (mute,) = await fake.wait_for("restrictChatMember")
        assert mute.params["until_date"] > time.time()  # Telegram's own end stays in the future
        assert ALICE in fake.chats[GROUP].restricted
        calls = await fake.wait_for("restrictChatMember", count=2, within=8)
        assert calls[1].params["permissions"] == fake.chats[GROUP].permissions.to_dict()
        assert ALICE not in fake.chats[GROUP].restricted
        assert 1.5 < calls[1].at - mute.at < 6.0  # lifted at about 2 s, not at Telegram's end


async def test_odd_updates_do_not_crash(fake: FakeTelegram, tmp_path: Path) -> None:
    async with Bot(fake, EXAMPLE_RULES, tmp_path / "db.sqlite"):
        alice = fake.user(ALICE)
        fake.push(fake.sticker_message(GROUP, alice))
        fake.push(fake.service_message(GROUP, alice, fake.user(45)))
        fake.push(fake.message(GROUP, None, "fuck channel post", channel_post=True))
        fake.push(fake.member_update(GROUP, fake.user(46, "Newbie")))
        original = await say(fake, fake.user(47), "hello all")
        edit = fake.message(
            GROUP,
            fake.user(47),
            "edited to fuck",
            edited=True,
            message_id=original.message.message_id,  # type: ignore[union-attr]
        )
        fake.push(edit)
        (deletion,) = await fake.wait_for("deleteMessage")
        assert deletion.params["message_id"] == original.message.message_id  # type: ignore[union-attr]
        after = await say(fake, alice, "fuck, still running")
        await fake.wait_for("deleteMessage", count=2)
        assert deleted(fake, after)


async def test_rate_limit_then_success_still_deletes(fake: FakeTelegram, tmp_path: Path) -> None:
    fake.fail("deleteMessage", rate_limited(1))
    async with Bot(fake, EXAMPLE_RULES, tmp_path / "db.sqlite"):
        bad = await say(fake, fake.user(ALICE), "fuck")
        await fake.wait_for("deleteMessage", within=8)
        attempts = fake.calls_of("deleteMessage")
        assert [c.status for c in attempts] == [429, 200]
        assert attempts[1].at - attempts[0].at >= 0.9  # retry_after respected
        assert deleted(fake, bad)


async def test_missing_rights_alert_once(fake: FakeTelegram, tmp_path: Path) -> None:
    fake.fail("deleteMessage", NO_RIGHTS, times=3)
    async with Bot(fake, EXAMPLE_RULES, tmp_path / "db.sqlite"):
        for uid in (50, 51, 52):
            await say(fake, fake.user(uid), "fuck")
        async with asyncio.timeout(5):
            while len(fake.calls_of("deleteMessage")) < 3:
                await fake.idle(0.05)
        # Three log entries quote the message; they may share posts (bot/platforms/logbatch.py).
        async with asyncio.timeout(5):
            while sum(s["text"].count("fuck") for s in fake.chats[GROUP].sent) < 3:
                await fake.idle(0.05)
        # The log chat of rules.example.yaml is GROUP; its community language is Vietnamese.
        alerts = [s for s in fake.chats[GROUP].sent if "thiếu quyền" in s["text"].lower()]
        assert len(alerts) == 1
        assert fake.chats[GROUP].deleted == set()


# ---- the real command line -------------------------------------------------------------------


async def test_modbot_run_subprocess_and_sigterm(fake: FakeTelegram, tmp_path: Path) -> None:
    modbot = Path(sys.executable).with_name("modbot")
    command = [str(modbot)] if modbot.exists() else [sys.executable, "-m", "bot"]
    env = {
        **os.environ,
        "TELEGRAM_TOKEN": fake.token,
        "TELEGRAM_API_URL": fake.url,
        "NO_PROXY": "127.0.0.1,localhost",
        "MODBOT_LOG_FORMAT": "json",
    }
    env.pop("DISCORD_TOKEN", None)
    out = tmp_path / "out.log"
    with out.open("wb") as sink:
        proc = await asyncio.create_subprocess_exec(
            *command,
            "run",
            "--rules",
            str(EXAMPLE_RULES),
            "--db",
            str(tmp_path / "db.sqlite"),
            env=env,
            stdout=sink,
            stderr=asyncio.subprocess.STDOUT,
        )
        try:
            await fake.wait_for("getUpdates", within=30, received=True)
            bad = await say(fake, fake.user(ALICE), "fuck")
            await fake.wait_for("deleteMessage", within=10)
            assert deleted(fake, bad)
            started = time.monotonic()
            proc.send_signal(signal.SIGTERM)
            code = await asyncio.wait_for(proc.wait(), 10)
            assert code == 0
            assert time.monotonic() - started < 10
        finally:
            if proc.returncode is None:
                proc.kill()
                await proc.wait()
    log = out.read_text(encoding="utf-8", errors="replace")
    assert fake.token not in log
    assert (tmp_path / "db.sqlite").exists()


# ---- the log chat under a raid (bot/platforms/logbatch.py) --------------------------------------

RAID_RULES = """\
version: 1
community: {name: "Test group", language: en}
channels:
  log: {telegram: "LOG_CHAT"}
toxicity: {backend: "off"}
rules:
  - id: raid
    match: {words: [raidword]}
    actions: [delete]
""".replace("LOG_CHAT", str(LOG))


@pytest.fixture
def raid_rules(tmp_path: Path) -> Path:
    path = tmp_path / "raid.yaml"
    path.write_text(RAID_RULES, encoding="utf-8")
    return path


def log_posts(fake: FakeTelegram) -> list[list[tuple[int, int]]]:
    """Each post in the log chat as its entries' (case, member), in order."""
    posts = []
    for sent in fake.chats[LOG].sent:
        entries = sent["text"].split(LOG_SEPARATOR)
        posts.append(
            [
                (
                    int(re.search(r"Case #(\d+)", e).group(1)),  # type: ignore[union-attr]
                    int(re.search(r"tg://user\?id=(\d+)", e).group(1)),  # type: ignore[union-attr]
                )
                for e in entries
            ]
        )
    return posts


async def wait_entries(fake: FakeTelegram, count: int, within: float = 10.0) -> None:
    async with asyncio.timeout(within):
        while sum(len(p) for p in log_posts(fake)) < count:
            await fake.idle(0.05)


async def test_a_raid_is_logged_in_few_posts(
    fake: FakeTelegram, raid_rules: Path, tmp_path: Path
) -> None:
    fake.latency["sendMessage"] = 0.2  # a real round trip: entries arriving meanwhile queue
    async with Bot(fake, raid_rules, tmp_path / "db.sqlite"):
        raiders = [fake.user(100 + i) for i in range(10)]
        for n in range(4):
            for raider in raiders:
                await say(fake, raider, f"raidword {n}")
        await wait_entries(fake, 40)
        await fake.idle(0.3)
        posts = log_posts(fake)
        assert_once_in_order(posts, 40)
        assert len(posts) <= 10, [len(p) for p in posts]  # 40 posts without batching
        assert len(fake.chats[GROUP].deleted) == 40
    assert fake.violations == []


async def test_a_rate_limited_log_post_is_delayed_not_lost(
    fake: FakeTelegram, raid_rules: Path, tmp_path: Path
) -> None:
    async with Bot(fake, raid_rules, tmp_path / "db.sqlite"):
        fake.fail("sendMessage", rate_limited(1))
        raiders = [fake.user(100 + i) for i in range(3)]
        for raider in raiders:
            await say(fake, raider, "raidword")
        await fake.wait_for("sendMessage", received=True)
        for raider in raiders:
            await say(fake, raider, "raidword again")
        await wait_entries(fake, 6)
        await fake.idle(0.3)
        assert fake.calls_of("sendMessage")[0].status == 429
        posts = log_posts(fake)
        assert_once_in_order(posts, 6)
        assert len(posts) < 6  # what came during the wait went out together


async def test_stop_flushes_the_log_queue(
    fake: FakeTelegram, raid_rules: Path, tmp_path: Path
) -> None:
    fake.latency["sendMessage"] = 0.2
    async with Bot(fake, raid_rules, tmp_path / "db.sqlite") as bot:
        for i in range(12):
            await say(fake, fake.user(100 + i), "raidword")
        async with asyncio.timeout(5):
            while len(fake.chats[GROUP].deleted) < 12:
                await fake.idle(0.02)
        await fake.idle(0.05)  # the follow-ups hand their entries over
        assert bot.platform.logs.pending() > 0  # the stop below has work to do
    posts = log_posts(fake)
    assert_once_in_order(posts, 12)


async def test_long_entries_split_within_the_message_limit(
    fake: FakeTelegram, platform: TelegramPlatform
) -> None:
    fake.latency["sendMessage"] = 0.1
    for n in range(10):
        await platform.post_log(str(GROUP), LogEntry(f"entry {n}", "x & y " * 250, case_id=n))
    await platform.logs.flush()
    texts = [s["text"] for s in fake.chats[LOG].sent]
    assert 3 <= len(texts) < 10  # about 1,500 characters each: two or three to a message
    cases = [int(c) for t in texts for c in re.findall(r"Case #(\d+)", t)]
    assert cases == list(range(10))
    assert fake.violations == []  # none over 4,096 characters


# ---- the log action's status follows its post ---------------------------------------------------


async def log_statuses(bot: Bot) -> list[tuple[str, str | None]]:
    from bot.storage import cases as case_store

    found = reversed(await case_store.list_cases(bot.db, limit=100))
    return [(a.status, a.error) for c in found for a in c.actions if a.kind == "log"]


async def test_the_log_action_is_done_once_posted_and_never_posted_twice(
    fake: FakeTelegram, raid_rules: Path, tmp_path: Path
) -> None:
    db = tmp_path / "db.sqlite"
    fake.latency["sendMessage"] = 0.3  # the post is in flight for a while
    async with Bot(fake, raid_rules, db) as bot:
        for i in range(3):
            await say(fake, fake.user(100 + i), "raidword")
        await fake.wait_for("sendMessage", received=True)
        # Deleted, queued for the log chat, not posted yet: still pending.
        assert ("pending", None) in await log_statuses(bot)
        await wait_entries(fake, 3)
        async with asyncio.timeout(5):
            while await log_statuses(bot) != [("done", None)] * 3:
                await fake.idle(0.02)
    fake.latency.clear()
    async with Bot(fake, raid_rules, db):
        await fake.idle(0.3)  # the next start has nothing to replay
    assert_once_in_order(log_posts(fake), 3)


async def test_a_log_entry_still_queued_at_stop_is_posted_at_the_next_start(
    fake: FakeTelegram, raid_rules: Path, tmp_path: Path
) -> None:
    db = tmp_path / "db.sqlite"
    fake.fail("sendMessage", rate_limited(30))  # the log chat makes the bot wait past its stop
    async with Bot(fake, raid_rules, db) as bot:
        await say(fake, fake.user(100), "raidword")
        await fake.wait_for("sendMessage", received=True)
        await fake.idle(0.1)  # answered 429: the batcher waits 30 s
        assert await log_statuses(bot) == [("pending", None)]
    assert fake.chats[LOG].sent == []
    async with Bot(fake, raid_rules, db) as bot:
        await wait_entries(fake, 1)
        async with asyncio.timeout(5):
            while await log_statuses(bot) != [("done", None)]:
                await fake.idle(0.02)
    assert_once_in_order(log_posts(fake), 1)


async def test_a_log_entry_the_chat_refuses_is_failed(
    fake: FakeTelegram, raid_rules: Path, tmp_path: Path
) -> None:
    fake.fail("sendMessage", FORBIDDEN)
    async with Bot(fake, raid_rules, tmp_path / "db.sqlite") as bot:
        await say(fake, fake.user(100), "raidword")
        await fake.wait_for("sendMessage", received=True)
        async with asyncio.timeout(5):
            while (statuses := await log_statuses(bot))[0][0] == "pending":
                await fake.idle(0.02)
        ((status, error),) = statuses
        assert status == "failed" and "not a member" in str(error)
