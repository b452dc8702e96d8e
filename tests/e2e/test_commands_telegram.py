"""Chat commands on Telegram: the real python-telegram-bot stack against the fake Bot API server."""

from __future__ import annotations

import asyncio
import html
import io
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from telegram import Chat, Update, User
from telegram import Message as TgMessage

from bot.commands import COMMANDS
from bot.moderation.executor import Executor
from bot.moderation.pipeline import Pipeline
from bot.platforms.telegram import TelegramPlatform
from bot.rules import load_rules
from bot.storage import Database
from bot.storage import appeals as appeal_store
from bot.storage import cases as case_store
from bot.storage import members as member_store
from bot.storage import reports as report_store
from tests.e2e.fake_telegram import Call, FakeTelegram, rate_limited

pytestmark = pytest.mark.slow

GROUP = -1001234567890
LOG = -1009999
RULES = f"""
version: 1
community:
  name: Nhóm thử
  language: en
  guidelines: ["Be kind.", "No spam."]
channels: {{log: {{telegram: "{LOG}"}}}}
toxicity: {{backend: "off"}}
rules:
  - id: no-spam
    description: "No spam."
    match: {{words: [spam]}}
    actions: [delete, strike]
"""
BROKEN = """
version: 1
rules:
  - id: no-spam
    match: {wordz: [spam]}
    actions: [delete]
"""


class CommandsFake(FakeTelegram):
    """The fake Bot API plus ``sendPhoto`` (for /stats), kept here so the shared fake stays as is."""

    def __init__(self) -> None:
        super().__init__()
        self.photos: list[dict[str, Any]] = []
        self.known: dict[int, User] = {}

    def user(self, user_id: int, first_name: str = "", username: str | None = None) -> User:
        # Remember people, so that getChatMember answers with their real name like Telegram does.
        made = super().user(user_id, first_name, username)
        self.known.setdefault(user_id, made)
        return self.known[user_id]

    async def _api_getChatMember(self, params: dict[str, Any]) -> Any:
        chat = self._known_chat(params)
        user = self.known.get(int(params.get("user_id", 0)))
        if user is None or not hasattr(chat, "sent"):
            return await super()._api_getChatMember(params)
        return self._member(chat, user).to_dict()  # type: ignore[arg-type]

    async def _api_sendPhoto(self, params: dict[str, Any]) -> Any:
        private = self.private_chat(params)
        if private is None:
            group = self._known_chat(params)
            if not hasattr(group, "sent"):
                return group
            private = group.ptb  # type: ignore[union-attr]
        if not isinstance(private, Chat):
            return private  # Telegram's 403 for a user who never pressed Start
        photo = params.get("photo")
        data = photo.file.read() if hasattr(photo, "file") else b""
        self.photos.append({"chat_id": private.id, "png": data, "caption": params.get("caption")})
        msg = TgMessage(
            len(self.photos) + 800_000,
            datetime.now(UTC),
            private,
            from_user=self.me,
            caption=str(params.get("caption") or ""),
        )
        return msg.to_dict()


@pytest.fixture(autouse=True)
def _no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")


class Bot:
    """The bot as ``bot.app.run`` assembles it, in this loop."""

    def __init__(self, fake: CommandsFake, rules: Path, db: Path) -> None:
        self.fake, self.rules, self.db_path = fake, rules, db

    async def start(self) -> Bot:
        self.db = await Database.open(self.db_path)
        self.executor = Executor(self.db, backoff=0.05)
        self.pipeline = Pipeline(self.db, self.executor, load_rules(self.rules))
        self.platform = TelegramPlatform(self.fake.token, self.fake.url, poll_timeout=1)
        self.executor.add_platform(self.platform)
        await self.platform.start(self.pipeline)
        assert self.platform.bot_id is not None
        self.executor.bot_ids["telegram"] = self.platform.bot_id
        return self

    async def stop(self) -> None:
        try:
            await self.platform.stop()
        finally:
            await self.db.close()

    async def cases(self) -> list[case_store.CaseRecord]:
        return list(reversed(await case_store.list_cases(self.db, limit=100)))


@pytest.fixture
async def fake() -> AsyncIterator[CommandsFake]:
    async with CommandsFake() as server:
        server.chat(GROUP, "Nhóm thử")
        server.chat(LOG, "mod log")
        yield server
    assert server.violations == []


@pytest.fixture
def rules_file(tmp_path: Path) -> Path:
    path = tmp_path / "rules.yaml"
    path.write_text(RULES, encoding="utf-8")
    return path


@pytest.fixture
async def bot(fake: CommandsFake, rules_file: Path, tmp_path: Path) -> AsyncIterator[Bot]:
    running = await Bot(fake, rules_file, tmp_path / "modbot.db").start()
    yield running
    await running.stop()


@pytest.fixture
def mod(fake: CommandsFake) -> User:
    """A moderator who has pressed Start in a private chat with the bot (answers reach her)."""
    user = fake.user(7, "Mai", "mai")
    fake.chat(GROUP).admins.append(user)
    fake.started.add(user.id)
    return user


@pytest.fixture
def new_mod(fake: CommandsFake) -> User:
    """A moderator who has never opened a private chat with the bot."""
    user = fake.user(9, "Hoa", "hoa")
    fake.chat(GROUP).admins.append(user)
    return user


async def until(check: Callable[[], Awaitable[bool]], within: float = 5.0) -> None:
    async with asyncio.timeout(within):
        while not await check():  # noqa: ASYNC110 - polls the database, which has no event
            await asyncio.sleep(0.02)


async def seen_member(bot: Bot, user: User) -> None:
    """Wait until the bot has recorded ``user`` (so that @username resolves)."""

    async def known() -> bool:
        return (
            await member_store.find_member(bot.db, "telegram", str(GROUP), str(user.id)) is not None
        )

    await until(known)


def say(fake: CommandsFake, user: User | None, text: str, **kw: Any) -> Update:
    update = fake.message(GROUP, user, text, **kw)
    fake.push(update)
    return update


async def answer(fake: CommandsFake, contains: str, within: float = 5.0) -> Call:
    """The bot's message in the group whose text contains ``contains``."""
    try:
        (call, *_) = await fake.wait_for(
            "sendMessage",
            lambda c: int(c.params["chat_id"]) == GROUP and contains in shown(c),
            within=within,
        )
    except TimeoutError:
        sent = [str(c.params.get("text")) for c in fake.calls_of("sendMessage")]
        raise AssertionError(f"no answer with {contains!r}; sent: {sent}") from None
    return call


async def private(fake: CommandsFake, user: User, contains: str, within: float = 5.0) -> Call:
    """The bot's message in ``user``'s private chat whose text contains ``contains``."""
    try:
        (call, *_) = await fake.wait_for(
            "sendMessage",
            lambda c: int(c.params["chat_id"]) == user.id and contains in shown(c),
            within=within,
        )
    except TimeoutError:
        sent = [str(c.params.get("text")) for c in fake.calls_of("sendMessage")]
        raise AssertionError(f"no private answer with {contains!r}; sent: {sent}") from None
    return call


def in_group(fake: CommandsFake) -> str:
    """Everything the bot has posted in the group (texts and captions, as members read them)."""
    texts = [html.unescape(str(m.get("text"))) for m in fake.chats[GROUP].sent]
    captions = [html.unescape(str(p["caption"])) for p in fake.photos if p["chat_id"] == GROUP]
    return "\n".join(texts + captions)


def shown(call: Call) -> str:
    """What the member reads: the HTML the bot sent, unescaped (Telegram renders it)."""
    return html.unescape(str(call.params.get("text")))


def sanctions(fake: CommandsFake) -> list[str]:
    acting = {"restrictChatMember", "banChatMember", "unbanChatMember", "deleteMessage"}
    return [c.method for c in fake.calls if c.method in acting]


# ---- setup -------------------------------------------------------------------------------


async def test_commands_published_for_members_and_administrators(
    fake: CommandsFake, bot: Bot
) -> None:
    calls = await fake.wait_for("setMyCommands", count=2)
    scopes = {
        c.params["scope"]["type"]: [x["command"] for x in c.params["commands"]] for c in calls
    }
    assert scopes["all_group_chats"] == ["rules", "report", "appeal", "mycases"]
    assert set(scopes["all_chat_administrators"]) >= {"ban", "warn", "purge", "stats", "rules"}
    assert len(scopes["all_chat_administrators"]) == len(COMMANDS) == 20
    assert {"reports", "dismiss"} <= set(scopes["all_chat_administrators"])


# ---- sanctions ---------------------------------------------------------------------------


async def test_warn_by_reply_and_mute_by_username(fake: CommandsFake, bot: Bot, mod: User) -> None:
    alice = fake.user(42, "Alice", "alice")
    hello = say(fake, alice, "hello")
    await seen_member(bot, alice)
    say(fake, mod, "/warn be nice", reply_to_message=hello.message)
    await answer(fake, "Alice (@alice) has been warned (case #1)")
    say(fake, mod, "/mute @alice 10m flooding")
    await answer(fake, "Alice (@alice) is muted for 10 minutes (case #2)")
    (restrict,) = fake.calls_of("restrictChatMember")
    assert int(restrict.params["user_id"]) == 42
    assert 540 < restrict.params["until_date"] - datetime.now(UTC).timestamp() <= 600
    warn, mute = await bot.cases()
    assert warn.source == mute.source == "moderator" and warn.moderator_id == "7"
    assert warn.message_text == "hello" and warn.strikes == 1
    assert mute.sanction == "mute" and mute.reason == "flooding"


async def test_kick_ban_unban_unmute_by_id(fake: CommandsFake, bot: Bot, mod: User) -> None:
    say(fake, mod, "/mute 42")
    await answer(fake, "is muted for 1 hour (case #1)")
    say(fake, mod, "/unmute 42")
    await answer(fake, "can talk again (case #2)")
    say(fake, mod, "/kick 43 bye")
    await answer(fake, "has been removed from the group (case #3)")
    say(fake, mod, "/ban 44 1d spam bot")
    await answer(fake, "is banned, 1 day (case #4)")
    assert 44 in fake.chats[GROUP].banned
    say(fake, mod, "/unban 44")
    await answer(fake, "is no longer banned (case #5)")
    assert 44 not in fake.chats[GROUP].banned
    assert len(await bot.cases()) == 5


MODERATOR_COMMANDS = [name for name, command in COMMANDS.items() if not command.for_members]


@pytest.mark.parametrize("command", MODERATOR_COMMANDS)
async def test_member_is_refused_and_nothing_is_called(
    fake: CommandsFake, bot: Bot, command: str
) -> None:
    bob = fake.user(43, "Bob", "bob")
    say(fake, bob, f"/{command} 42")
    await answer(fake, f"Sorry, only moderators can use /{command}.")
    await fake.idle(0.2)
    assert sanctions(fake) == []
    assert [c for c in await bot.cases() if c.source == "moderator"] == []


async def test_owner_moderator_and_bot_cannot_be_sanctioned(
    fake: CommandsFake, bot: Bot, mod: User
) -> None:
    owner = fake.chats[GROUP].owner
    assert owner is not None
    said = say(fake, owner, "I run this place")
    say(fake, mod, "/ban", reply_to_message=said.message)
    await private(fake, mod, "cannot be sanctioned (the owner)")
    say(fake, mod, "/mute @modbot_test_bot")
    await private(fake, mod, "cannot be sanctioned (the bot itself)")
    other = fake.user(8, "Lan", "lan")
    fake.chat(GROUP).admins.append(other)
    say(fake, mod, "/kick 8")
    await private(fake, mod, "cannot be sanctioned (a moderator)")
    await fake.idle(0.2)
    # Only the three commands were deleted, once answered privately.
    assert sanctions(fake) == ["deleteMessage"] * 3 and await bot.cases() == []


async def test_bad_arguments_are_answered(fake: CommandsFake, bot: Bot, mod: User) -> None:
    say(fake, mod, "/mute 42 10 seconds")
    await private(fake, mod, '"10 seconds" is not a duration. Use for example 10m, 1h, 2d or 1w.')
    say(fake, mod, "/kick @ghost")
    await private(fake, mod, "I could not find the member @ghost.")
    say(fake, mod, "/case 99")
    await private(fake, mod, "There is no case #99.")
    say(fake, mod, "/purge lots")
    await private(fake, mod, '"lots" is not a number.')
    await fake.idle(0.2)
    assert set(sanctions(fake)) == {"deleteMessage"}  # the commands, answered privately
    assert fake.chats[GROUP].sent == []


async def test_purge_deletes_recent_messages(fake: CommandsFake, bot: Bot, mod: User) -> None:
    alice, bob = fake.user(42, "Alice", "alice"), fake.user(43, "Bob", "bob")
    m1 = say(fake, alice, "one")
    m2 = say(fake, bob, "two")
    m3 = say(fake, alice, "three")
    await seen_member(bot, alice)
    await seen_member(bot, bob)
    await asyncio.sleep(0.1)
    command = say(fake, mod, "/purge 10 @alice")
    await private(fake, mod, "Deleted 2 messages.")
    ids = {m.effective_message.message_id for m in (m1, m3, command)}  # type: ignore[union-attr]
    await fake.wait_for("deleteMessage", count=3)
    assert fake.chats[GROUP].deleted == ids
    assert m2.effective_message.message_id not in fake.chats[GROUP].deleted  # type: ignore[union-attr]


# ---- the record --------------------------------------------------------------------------


async def test_case_cases_note_why(fake: CommandsFake, bot: Bot, mod: User) -> None:
    alice = fake.user(42, "Alice", "alice")
    say(fake, alice, "buy spam now")
    await fake.wait_for("deleteMessage")
    say(fake, mod, "/case 1")
    await private(fake, mod, "Case #1: Alice")
    say(fake, mod, "/note @alice second warning next time")
    await private(fake, mod, "Note added for Alice (@alice).")
    say(fake, mod, "/cases @alice")
    listing = await private(fake, mod, "1 active strike(s)")
    assert "Note by Mai: second warning next time" in shown(listing)
    say(fake, mod, "/why 1")
    why = await private(fake, mod, "rule no-spam")
    assert "words matched" in shown(why)
    other = say(fake, alice, "a perfectly fine message")
    say(fake, mod, "/why", reply_to_message=other.message)
    await private(fake, mod, "no rule matches")
    assert fake.chats[GROUP].sent == []


async def test_appeal_then_pardon(fake: CommandsFake, bot: Bot, mod: User) -> None:
    alice = fake.user(42, "Alice", "alice")
    fake.started.add(alice.id)
    say(fake, alice, "spam spam")
    await fake.wait_for("deleteMessage")
    say(fake, alice, "/mycases")
    await private(fake, alice, "Your active strikes: 1")
    say(fake, alice, "/appeal 1 I was quoting someone")
    await private(fake, alice, "Your appeal for case #1 has been sent to the moderators.")
    await fake.wait_for(
        "sendMessage",
        lambda c: int(c.params["chat_id"]) == LOG and "I was quoting someone" in c.params["text"],
    )
    say(fake, mod, "/pardon 1")
    told = await answer(fake, "your case #1 has been pardoned")
    assert "Alice" in shown(told)
    (case,) = await bot.cases()
    assert case.pardoned_at is not None
    assert await case_store.active_strikes(bot.db, case.member_pk, datetime.now(UTC)) == 0


async def test_pardon_lifts_the_cases_running_mute(fake: CommandsFake, bot: Bot, mod: User) -> None:
    alice = fake.user(42, "Alice", "alice")
    say(fake, alice, "hello")
    await seen_member(bot, alice)
    say(fake, mod, "/mute @alice 1h flooding")
    await answer(fake, "Alice (@alice) is muted for 1 hour (case #1)")
    assert 42 in fake.chats[GROUP].restricted
    say(fake, mod, "/pardon 1 wrong person")
    told = await answer(fake, "Its mute is lifted (case #2).")
    assert "Alice, your case #1 has been pardoned" in shown(told)
    assert 42 not in fake.chats[GROUP].restricted
    assert sanctions(fake) == ["restrictChatMember", "restrictChatMember"]
    mute, lift = await bot.cases()
    assert mute.pardoned_at is not None and [a.kind for a in lift.actions] == ["unmute"]


async def test_rules_and_report(fake: CommandsFake, bot: Bot) -> None:
    alice, bob = fake.user(42, "Alice", "alice"), fake.user(43, "Bob", "bob")
    say(fake, alice, "/rules")
    await answer(fake, "Rules of Nhóm thử:\n1. Be kind.\n2. No spam.")
    rude = say(fake, bob, "you are all idiots")
    say(fake, alice, "/report", reply_to_message=rude.message)
    await answer(fake, "Thanks, the moderators have been told.")
    (log_post,) = await fake.wait_for("sendMessage", lambda c: int(c.params["chat_id"]) == LOG)
    assert "you are all idiots" in log_post.params["text"]
    assert shown(log_post).startswith("<b>Report #1</b>\n")


async def test_a_report_is_stored_and_its_log_post_carries_its_number(
    fake: CommandsFake, bot: Bot, mod: User
) -> None:
    alice, bob = fake.user(42, "Alice", "alice"), fake.user(43, "Bob", "bob")
    fake.started.add(alice.id)  # answers only for her arrive privately
    rude = say(fake, bob, "send me your passwords")
    say(fake, alice, "/report phishing", reply_to_message=rude.message)
    await private(fake, alice, "Thanks, the moderators have been told.")
    (log_post,) = await fake.wait_for("sendMessage", lambda c: int(c.params["chat_id"]) == LOG)
    (report,) = await report_store.list_reports(bot.db)
    assert shown(log_post).startswith(f"<b>Report #{report.id}</b>\n")
    assert "send me your passwords" in shown(log_post) and "Note: phishing" in shown(log_post)
    assert (report.reporter_user_id, report.member_user_id) == ("42", "43")
    assert (report.channel_id, report.message_id) == (str(GROUP), str(rude.message.message_id))  # type: ignore[union-attr]
    assert report.excerpt == "send me your passwords" and report.note == "phishing"
    # The same report again: refused, nothing stored or posted.
    say(fake, alice, "/report", reply_to_message=rude.message)
    await private(fake, alice, f"You have already reported this (report #{report.id})")
    logged = [c for c in fake.calls_of("sendMessage") if int(c.params["chat_id"]) == LOG]
    assert [shown(c).split("\n", 1)[0] for c in logged] == [f"<b>Report #{report.id}</b>"]
    # The moderator sees it in /cases; muting Bob resolves it.
    say(fake, mod, "/cases @bob")
    await private(fake, mod, "Reports about them: 1 (1 open)")
    say(fake, mod, "/mute 10m phishing", reply_to_message=rude.message)
    await answer(fake, "Bob (@bob) is muted for 10 minutes (case #1)")
    say(fake, mod, "/cases @bob")
    shown_cases = await private(fake, mod, "Reports about them: 1 (0 open)")
    assert "resolved: mute (case #1)" in shown(shown_cases)
    assert [r.id for r in await report_store.list_reports(bot.db)] == [report.id]


async def test_a_moderator_lists_the_open_reports_and_dismisses_one(
    fake: CommandsFake, bot: Bot, mod: User
) -> None:
    alice, bob = fake.user(42, "Alice", "alice"), fake.user(43, "Bob", "bob")
    fake.started.add(alice.id)
    joke = say(fake, bob, "you all owe me a pizza")
    say(fake, alice, "/report rude", reply_to_message=joke.message)
    await private(fake, alice, "Thanks, the moderators have been told.")
    # A member cannot list or dismiss: refused privately, nothing changes.
    say(fake, alice, "/reports")
    await private(fake, alice, "Sorry, only moderators can use /reports.")
    say(fake, alice, "/dismiss 1 no")
    await private(fake, alice, "Sorry, only moderators can use /dismiss.")
    say(fake, mod, "/reports")
    listing = await private(fake, mod, "Open reports: 1")
    assert shown(listing).startswith("<b>Nhóm thử</b> · /reports\n")
    assert "#1 · 1 minute ago · by Alice (@alice) · about Bob · “you all owe me a pizza”" in shown(
        listing
    )
    say(fake, mod, "/dismiss 1 a joke about pizza")
    await private(fake, mod, "Report #1 is dismissed.")
    (log_post,) = await fake.wait_for(
        "sendMessage",
        lambda c: int(c.params["chat_id"]) == LOG and "dismissed" in shown(c),
    )
    assert shown(log_post).startswith("<b>Report #1 dismissed</b>\n")
    assert "a joke about pizza" in shown(log_post)
    (report,) = await report_store.list_reports(bot.db)
    assert (report.outcome, report.resolved_by) == ("dismissed", str(mod.id))
    assert report.resolution_reason == "a joke about pizza"
    say(fake, mod, "/dismiss 1")
    await private(fake, mod, "Report #1 is already closed (dismissed); nothing changed.")
    say(fake, mod, "/reports")
    await private(fake, mod, "No open reports.")
    await fake.idle(0.2)
    # Answered privately only (the commands themselves are deleted from the group); no sanction.
    assert "Open reports" not in in_group(fake) and "dismissed" not in in_group(fake)
    assert set(sanctions(fake)) <= {"deleteMessage"}


# ---- administration ----------------------------------------------------------------------


async def test_reload_broken_file_keeps_old_rules(
    fake: CommandsFake, bot: Bot, mod: User, rules_file: Path
) -> None:
    rules_file.write_text(BROKEN, encoding="utf-8")  # noqa: ASYNC240
    say(fake, mod, "/reload")
    refused = await private(fake, mod, "The rules file has problems, so I kept the current rules:")
    assert f"{rules_file}:5:" in shown(refused) and "wordz" in shown(refused)
    spam = say(fake, fake.user(42, "Alice"), "spam here")
    await fake.wait_for("deleteMessage", count=2)  # the /reload, answered privately, and the spam
    assert spam.effective_message.message_id in fake.chats[GROUP].deleted  # type: ignore[union-attr]
    rules_file.write_text(RULES.replace("[spam]", "[spam, scam]"), encoding="utf-8")  # noqa: ASYNC240
    say(fake, mod, "/reload")
    await private(fake, mod, "Rules reloaded: 1 rules.")


async def test_stats_sends_a_png(fake: CommandsFake, bot: Bot, mod: User) -> None:
    from PIL import Image

    say(fake, fake.user(42, "Alice"), "spam")
    fake.push(fake.member_update(GROUP, fake.user(45, "Newbie")))
    await fake.wait_for("deleteMessage")
    say(fake, mod, "/stats 3")
    (photo_call,) = await fake.wait_for("sendPhoto")
    assert int(photo_call.params["chat_id"]) == mod.id  # the moderators' figures, privately
    assert "Last 3 days:" in photo_call.params["caption"]
    assert "joined: 1" in photo_call.params["caption"]
    png = fake.photos[0]["png"]
    image = Image.open(io.BytesIO(png))
    assert image.format == "PNG" and image.size == (800, 600)
    lo, hi = image.convert("L").getextrema()
    assert hi - lo > 100


# ---- where answers appear: privately when only the caller may read them -----------------

NOTE = "I answer /cases only in private, and I cannot write to you yet."
LINK = "https://t.me/modbot_test_bot?start=private"


async def alice_with_a_case_and_a_note(fake: CommandsFake, bot: Bot, mod: User) -> User:
    """Alice, with case #1 (spam) and a moderator's note the group must never read."""
    alice = fake.user(42, "Alice", "alice")
    say(fake, alice, "buy spam now")
    await fake.wait_for("deleteMessage")
    say(fake, mod, "/note @alice was warned in private about scams")
    await private(fake, mod, "Note added for Alice (@alice).")
    return alice


async def test_cases_reach_a_moderator_who_started_the_bot_privately(
    fake: CommandsFake, bot: Bot, mod: User
) -> None:
    await alice_with_a_case_and_a_note(fake, bot, mod)
    command = say(fake, mod, "/cases @alice")
    listing = await private(fake, mod, "Note by Mai: was warned in private about scams")
    # Under the group's name and the command, so a moderator of several groups knows which.
    assert shown(listing).startswith("<b>Nhóm thử</b> · /cases @alice\n")
    assert "1 active strike(s)" in shown(listing)
    await fake.wait_for(
        "deleteMessage",
        lambda c: c.params["message_id"] == command.effective_message.message_id,  # type: ignore[union-attr]
    )
    await fake.idle(0.2)
    assert fake.chats[GROUP].sent == []  # nothing posted in the group, the command taken away


async def test_a_moderator_who_never_started_the_bot_gets_only_a_note_in_the_group(
    fake: CommandsFake, bot: Bot, mod: User, new_mod: User
) -> None:
    await alice_with_a_case_and_a_note(fake, bot, mod)
    command = say(fake, new_mod, "/cases @alice")
    note = await answer(fake, NOTE)
    assert shown(note).startswith("Hoa (@hoa), ")
    assert LINK in shown(note)
    assert note.params["reply_parameters"]["message_id"] == command.effective_message.message_id  # type: ignore[union-attr]
    # The private message was tried and refused by Telegram as it refuses it.
    (refused,) = [c for c in fake.calls_of("sendMessage") if int(c.params["chat_id"]) == 9]
    assert refused.status == 403
    await fake.idle(0.2)
    group = in_group(fake)
    assert "scams" not in group and "strike" not in group and "Case #1" not in group
    assert command.effective_message.message_id not in fake.chats[GROUP].deleted  # type: ignore[union-attr]

    # She follows the link and presses Start: a hello, then the repeated command arrives privately.
    fake.start_bot(new_mod, "private")
    hello = await private(fake, new_mod, "Hello! Use my commands in the group")
    assert "Xin chào!" in shown(hello)  # both languages, the community's first
    say(fake, new_mod, "/cases @alice")
    await private(fake, new_mod, "Note by Mai: was warned in private about scams")
    await fake.idle(0.2)
    assert len(fake.chats[GROUP].sent) == 1  # still only the note


async def test_a_blocked_bot_and_an_anonymous_administrator_get_a_note(
    fake: CommandsFake, bot: Bot, mod: User, new_mod: User
) -> None:
    await alice_with_a_case_and_a_note(fake, bot, mod)
    fake.blocked.add(new_mod.id)
    say(fake, new_mod, "/why 1")
    note = await answer(fake, "I answer /why only in private, and I cannot write to you yet.")
    assert LINK in shown(note)
    group = fake.chat(GROUP)
    anonymous = fake.user(1087968824, "Group", "GroupAnonymousBot")
    say(fake, anonymous, "/case 1", sender_chat=Chat(GROUP, Chat.SUPERGROUP, title=group.title))
    note = await answer(fake, "I answer /case only in private, and I cannot write to a group")
    assert "Remain anonymous" in shown(note)
    await fake.idle(0.2)
    assert "buy spam now" not in in_group(fake) and "rule no-spam" not in in_group(fake)
    assert not any(int(c.params["chat_id"]) == GROUP for c in fake.calls_of("sendPhoto"))


async def test_mycases_privately_or_a_note(fake: CommandsFake, bot: Bot) -> None:
    alice, bob = fake.user(42, "Alice", "alice"), fake.user(43, "Bob", "bob")
    fake.started.add(alice.id)
    say(fake, alice, "spam")
    say(fake, bob, "spam")
    await fake.wait_for("deleteMessage", count=2)
    say(fake, alice, "/mycases")
    mine = await private(fake, alice, "Your active strikes: 1")
    assert "#1" in shown(mine)
    say(fake, bob, "/mycases")
    await answer(fake, "Bob (@bob), I answer /mycases only in private")
    await fake.idle(0.2)
    assert "strike" not in in_group(fake) and "no-spam" not in in_group(fake)


async def test_public_answers_stay_in_the_group(fake: CommandsFake, bot: Bot, mod: User) -> None:
    alice = fake.user(42, "Alice", "alice")
    fake.started.add(alice.id)
    hello = say(fake, alice, "hello")
    await seen_member(bot, alice)
    command = say(fake, mod, "/warn be nice", reply_to_message=hello.message)
    await answer(fake, "Alice (@alice) has been warned (case #1)")
    say(fake, alice, "/rules")
    await answer(fake, "Rules of Nhóm thử:")
    say(fake, mod, "/pardon 1")
    await answer(fake, "Alice, your case #1 has been pardoned")
    await fake.idle(0.2)
    assert fake.private == {}
    assert command.effective_message.message_id not in fake.chats[GROUP].deleted  # type: ignore[union-attr]


async def test_harmless_answers_fall_back_to_the_group(
    fake: CommandsFake, bot: Bot, new_mod: User
) -> None:
    # A usage hint, a bad argument and a refusal are posted in the group when the caller cannot
    # be written to: nothing in them is private, and a link to read them would only annoy.
    say(fake, new_mod, "/mute 42 10 seconds")
    await answer(fake, '"10 seconds" is not a duration.')
    say(fake, new_mod, "/report")
    await answer(fake, "Reply to the message you want to report with /report")
    bob = fake.user(43, "Bob", "bob")
    say(fake, bob, "/cases @hoa")
    await answer(fake, "Sorry, only moderators can use /cases.")
    # When Bob can be written to, even his refusal goes privately and leaves the group clean.
    fake.started.add(bob.id)
    say(fake, bob, "/stats")
    await private(fake, bob, "Sorry, only moderators can use /stats.")


async def test_a_short_rate_limit_on_the_private_answer_is_waited_out(
    fake: CommandsFake, bot: Bot, mod: User
) -> None:
    fake.fail("sendMessage", rate_limited(1))
    say(fake, mod, "/case 7")
    await private(fake, mod, "There is no case #7.")
    assert [c.status for c in fake.calls_of("sendMessage")] == [429, 200]
    assert fake.chats[GROUP].sent == []


async def test_the_note_is_in_the_communitys_language(
    fake: CommandsFake, bot: Bot, mod: User, new_mod: User, rules_file: Path
) -> None:
    rules_file.write_text(RULES.replace("language: en", "language: vi"), encoding="utf-8")  # noqa: ASYNC240
    say(fake, mod, "/reload")
    await private(fake, mod, "Đã tải lại nội quy")
    say(fake, new_mod, "/mycases")
    note = await answer(fake, "Hoa (@hoa), bot chỉ trả lời /mycases trong tin nhắn riêng")
    assert LINK in shown(note)
    fake.start_bot(new_mod)
    hello = await private(fake, new_mod, "Xin chào!")
    assert shown(hello).index("Xin chào!") < shown(hello).index("Hello!")


# ---- in a private chat with the bot: /appeal and /mycases (a muted member cannot post) --------

OTHER_GROUP = -1005555


def say_privately(fake: CommandsFake, user: User, text: str) -> Update:
    update = fake.private_message(user, text)
    fake.push(update)
    return update


async def test_a_muted_member_appeals_in_a_private_chat(
    fake: CommandsFake, bot: Bot, mod: User
) -> None:
    alice = fake.user(42, "Alice", "alice")
    say(fake, alice, "hello")
    await seen_member(bot, alice)
    say(fake, mod, "/mute @alice 1h flooding")
    await answer(fake, "Alice (@alice) is muted for 1 hour (case #1)")
    assert 42 in fake.chats[GROUP].restricted  # she cannot post in the group any more
    fake.start_bot(alice)
    await private(fake, alice, "here you can use /appeal and /mycases")
    command = say_privately(fake, alice, "/appeal 1 it was a joke")
    told = await private(fake, alice, "Your appeal for case #1 has been sent to the moderators.")
    assert told.params["reply_parameters"]["message_id"] == command.effective_message.message_id  # type: ignore[union-attr]
    (logged,) = await fake.wait_for(
        "sendMessage",
        lambda c: int(c.params["chat_id"]) == LOG and "it was a joke" in shown(c),
    )
    assert "Alice (@alice)" in shown(logged) and "#1" in shown(logged)
    (appeal,) = await appeal_store.appeals_of(bot.db, 1)
    assert appeal.text == "it was a joke" and appeal.outcome is None
    # Exactly like an appeal in the group: the moderators see it with the case, pardon resolves it.
    say(fake, mod, "/case 1")
    await private(fake, mod, "Appeal: it was a joke (open)")
    say(fake, mod, "/pardon 1")
    await answer(fake, "Its mute is lifted (case #2).")
    assert 42 not in fake.chats[GROUP].restricted
    assert [a.outcome for a in await appeal_store.appeals_of(bot.db, 1)] == ["pardoned"]
    # Nothing of it was said in the group, and the private chat was not moderated.
    assert "joke" not in in_group(fake)
    assert len(await bot.cases()) == 2


async def test_appealing_someone_elses_case_privately_is_refused(
    fake: CommandsFake, bot: Bot
) -> None:
    alice, bob = fake.user(42, "Alice", "alice"), fake.user(43, "Bob", "bob")
    say(fake, alice, "spam")
    await fake.wait_for("deleteMessage")
    fake.start_bot(bob)
    say_privately(fake, bob, "/appeal 1 she did nothing wrong")
    await private(fake, bob, "Case #1 is not one of your cases.")
    say_privately(fake, bob, "/appeal 99 what")
    await private(fake, bob, "There is no case #99.")
    say_privately(fake, bob, "/appeal")
    await private(fake, bob, "Please give a case number.")
    await fake.idle(0.3)
    assert await appeal_store.appeals_of(bot.db, 1) == []
    logged = [shown(c) for c in fake.calls_of("sendMessage") if int(c.params["chat_id"]) == LOG]
    assert not any("nothing wrong" in text or "Appeal" in text for text in logged)


async def test_mycases_privately_lists_the_members_cases_in_every_group(
    fake: CommandsFake, bot: Bot
) -> None:
    fake.chat(OTHER_GROUP, "Second group")
    alice, bob = fake.user(42, "Alice", "alice"), fake.user(43, "Bob", "bob")
    say(fake, alice, "spam")
    await fake.wait_for("deleteMessage")
    fake.push(fake.message(OTHER_GROUP, alice, "more spam"))
    await fake.wait_for("deleteMessage", count=2)
    say(fake, bob, "spam too")
    await fake.wait_for("deleteMessage", count=3)
    fake.start_bot(alice)
    say_privately(fake, alice, "/mycases")
    mine = shown(await private(fake, alice, "your active strikes"))
    # The newest group first, each under its name, then how to appeal.
    assert mine.index("Second group: your active strikes: 1") < mine.index(
        "Nhóm thử: your active strikes: 1"
    )
    assert "#2 " in mine and "#1 " in mine and "#3 " not in mine  # #3 is Bob's
    assert mine.rstrip().endswith(
        "To appeal a case: /appeal followed by its number and your reason."
    )
    carol = fake.user(44, "Carol", "carol")  # never moderated anywhere
    fake.start_bot(carol)
    say_privately(fake, carol, "/mycases")
    await private(fake, carol, "No cases.")


async def test_other_commands_in_a_private_chat_get_a_hint(
    fake: CommandsFake, bot: Bot, mod: User
) -> None:
    alice = fake.user(42, "Alice", "alice")
    say(fake, alice, "spam")
    await fake.wait_for("deleteMessage")
    fake.start_bot(mod)
    await private(fake, mod, "Hello!")
    say_privately(fake, mod, "/cases @alice")
    hint = await private(fake, mod, "/cases works only in the group.")
    assert shown(hint) == "/cases works only in the group. Here I answer /appeal, /mycases."
    say_privately(fake, mod, "/ban 42 spammer")
    await private(fake, mod, "/ban works only in the group.")
    say_privately(fake, mod, "just chatting")
    say_privately(fake, mod, "/unknowncommand")
    await fake.idle(0.3)
    # Nothing was done, nor looked up, and only the hello and the two hints were sent.
    assert sanctions(fake) == ["deleteMessage"]
    assert fake.calls_of("getChatMember") == []
    assert len(fake.private[mod.id]) == 3
    assert len(await bot.cases()) == 1
