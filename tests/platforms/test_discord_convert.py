"""discord.py Message / Member objects (built from wire payloads, offline) → neutral events."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import discord
import pytest

from bot.events import PlatformName
from bot.platforms.base import FailureKind, LogEntry, PlatformError
from bot.platforms.discord import intents
from bot.platforms.discord.convert import (
    edit_needs_check,
    is_moderator,
    skip_reason,
    to_join,
    to_message,
)
from bot.platforms.discord.errors import classify
from bot.platforms.discord.hierarchy import ensure_actionable, refusal
from bot.platforms.discord.render import render
from tests.e2e.fake_discord import (
    BOT_ID,
    GENERAL_ID,
    GUILD_ID,
    MANAGE_MESSAGES,
    MODERATE_MEMBERS,
    OWNER_ID,
    FakeDiscord,
    FakeMember,
)


class World:
    """A discord.py ConnectionState fed the fake's payloads, without any network."""

    def __init__(self) -> None:
        self.fake = FakeDiscord()
        self.client = discord.Client(intents=intents())
        self.state = self.client._connection
        self.state.user = discord.ClientUser(state=self.state, data=self.fake.me.payload())  # type: ignore[arg-type]
        self.trusted = self.fake.guild.add_role("Trusted helper", 3)
        self.timeouter = self.fake.guild.add_role("Timeouts", 4, MODERATE_MEMBERS)
        self.vip = self.fake.vip_role
        self.alice = self.fake.member("alice")
        self.bob = self.fake.member("bob")

    def guild(self) -> discord.Guild:
        if (g := self.state._get_guild(GUILD_ID)) is None:
            g = self.state._add_guild_from_data(self.fake.guild.payload())  # type: ignore[arg-type]
        return g

    def message(self, author: FakeMember, content: str, **kw: Any) -> discord.Message:
        guild = self.guild()
        data = self.fake.message_payload(author, content, **kw)
        return discord.Message(state=self.state, channel=guild.get_channel(GENERAL_ID), data=data)  # type: ignore[arg-type]

    def member(self, m: FakeMember) -> discord.Member:
        member = self.guild().get_member(m.user.id)
        assert member is not None
        return member


@pytest.fixture
def world() -> World:
    return World()


def test_message_fields(world: World) -> None:
    w = world
    w.alice.roles = [w.trusted]
    attach = {
        "id": "1",
        "filename": "Invoice.PDF.EXE",
        "size": 1234,
        "url": "https://cdn.example/1",
        "proxy_url": "https://cdn.example/1",
    }
    msg = w.message(
        w.alice,
        f"hi <@{w.bob.user.id}> and <@{w.bob.user.id}> @here",
        mentions=[w.bob],
        attachments=[attach],
        reply_to=123,
    )
    ev = to_message(msg)
    assert ev is not None
    assert ev.platform is PlatformName.DISCORD
    assert ev.community_id == str(GUILD_ID) and ev.community_name == "Test guild"
    assert (ev.channel.id, ev.channel.name) == (str(GENERAL_ID), "general")
    assert ev.author.id == str(w.alice.user.id) and ev.author.username == "alice"
    assert [(r.id, r.name) for r in ev.author.roles] == [(str(w.trusted), "Trusted helper")]
    assert ev.mentions == (str(w.bob.user.id),)  # distinct
    assert ev.mass_mention  # "@here" typed without the right still counts
    assert ev.reply_to == "123"
    assert ev.attachments[0].kind == "exe" and ev.attachments[0].size == 1234
    assert ev.link == f"https://discord.com/channels/{GUILD_ID}/{GENERAL_ID}/{ev.message_id}"
    assert ev.timestamp.tzinfo is not None and not ev.edited


def test_ages_from_snowflake_and_join(world: World) -> None:
    created = datetime.now(UTC) - timedelta(hours=3)
    joined = datetime.now(UTC) - timedelta(minutes=5)
    fresh = world.fake.member("fresh", created=created, joined=joined)
    ev = to_message(world.message(fresh, "hello"))
    assert ev is not None and ev.author.created_at is not None and ev.author.joined_at is not None
    assert abs(ev.author.created_at - created) < timedelta(seconds=1)
    assert abs(ev.author.joined_at - joined) < timedelta(seconds=1)


def test_mention_everyone_flag(world: World) -> None:
    ev = to_message(world.message(world.alice, "look", mention_everyone=True))
    assert ev is not None and ev.mass_mention
    ev = to_message(world.message(world.alice, "everyone here is nice"))
    assert ev is not None and not ev.mass_mention


def test_moderators_and_owner(world: World) -> None:
    w = world
    mod = w.fake.member("mod", roles=[w.fake.mod_role])  # Manage Messages
    timeouts = w.fake.member("timeouts", roles=[w.timeouter])  # Moderate Members
    admin = w.fake.member("admin", roles=[w.fake.admin_role])  # Administrator
    helper = w.fake.member("helper", roles=[w.trusted])
    for m in (mod, timeouts, admin):
        assert is_moderator(w.member(m)), m.user.name
    assert not is_moderator(w.member(helper))
    assert is_moderator(w.member(helper), ["trusted HELPER"])  # by name, any case
    assert is_moderator(w.member(helper), [str(w.trusted)])  # by id
    owner = to_message(w.message(w.fake.guild.members[OWNER_ID], "hi"))
    assert owner is not None and owner.author.is_owner  # (and a moderator: all rights)
    plain = to_message(w.message(w.alice, "hi"))
    assert plain is not None and not plain.author.is_owner and not plain.author.is_moderator
    assert MANAGE_MESSAGES  # the fake's Moderator role carries it


def test_bots_and_system_messages_skipped(world: World) -> None:
    w = world
    bot = w.fake.guild.members[BOT_ID]
    assert skip_reason(w.message(bot, "I am the bot")) == "bot"
    assert to_message(w.message(bot, "I am the bot")) is None
    data = w.fake.message_payload(w.alice, "")
    data["type"] = 6  # pins_add
    pin = discord.Message(state=w.state, channel=w.guild().get_channel(GENERAL_ID), data=data)  # type: ignore[arg-type]
    assert to_message(pin) is None


def test_edits_rechecked_only_when_text_changed(world: World) -> None:
    w = world
    edited = w.message(w.alice, "new text", edited=datetime.now(UTC))
    assert edit_needs_check("old text", edited)
    assert not edit_needs_check("new text", edited)  # embed unfurl / pin of the same text
    assert edit_needs_check(None, edited)  # unknown before, but a real edit
    unfurl = w.message(w.alice, "same")  # no edited_timestamp: an embed update, not an edit
    assert not edit_needs_check(None, unfurl)
    ev = to_message(edited, edited=True)
    assert ev is not None and ev.edited


def test_join(world: World) -> None:
    joined = datetime.now(UTC) - timedelta(seconds=3)
    m = world.fake.member("newbie", joined=joined)
    ev = to_join(world.member(m))
    assert ev.community_id == str(GUILD_ID) and ev.member.id == str(m.user.id)
    assert abs(ev.timestamp - joined) < timedelta(seconds=1)


def test_hierarchy(world: World) -> None:
    w = world
    g = w.guild()
    vip = w.fake.member("vip", roles=[w.vip])
    w.guild()._add_member(discord.Member(data=vip.payload(), guild=g, state=w.state))  # type: ignore[arg-type]
    assert refusal(g, OWNER_ID, None) == "the target is the server owner"
    assert (
        refusal(g, BOT_ID, w.member(w.fake.guild.members[BOT_ID])) == "the target is the bot itself"
    )
    why = refusal(g, vip.user.id, g.get_member(vip.user.id))
    assert why is not None and "'VIP'" in why and "'Modbot'" in why
    assert refusal(g, w.alice.user.id, w.member(w.alice)) is None
    assert refusal(g, 42, None) is None  # not a member any more: a ban is fine
    with pytest.raises(PlatformError) as err:
        ensure_actionable(g, OWNER_ID, None)
    assert err.value.kind is FailureKind.REFUSED


class _Response:
    def __init__(self, status: int, headers: dict[str, str] | None = None) -> None:
        self.status = status
        self.reason = "reason"
        self.headers = headers or {}


@pytest.mark.parametrize(
    ("exc", "kind"),
    [
        (
            discord.Forbidden(_Response(403), {"code": 50013, "message": "Missing Permissions"}),
            FailureKind.FORBIDDEN,
        ),  # type: ignore[arg-type]
        (
            discord.NotFound(_Response(404), {"code": 10008, "message": "Unknown Message"}),
            FailureKind.NOT_FOUND,
        ),  # type: ignore[arg-type]
        (
            discord.HTTPException(_Response(429, {"Retry-After": "2.5"}), "slow down"),
            FailureKind.RATE_LIMITED,
        ),  # type: ignore[arg-type]
        (discord.DiscordServerError(_Response(502), "bad gateway"), FailureKind.TRANSIENT),  # type: ignore[arg-type]
        (
            discord.HTTPException(_Response(400), {"code": 50035, "message": "Invalid Form Body"}),
            FailureKind.INVALID,
        ),  # type: ignore[arg-type]
        (TimeoutError(), FailureKind.TRANSIENT),
        (ConnectionResetError(), FailureKind.TRANSIENT),
    ],
)
def test_errors(exc: BaseException, kind: FailureKind) -> None:
    err = classify(exc, "delete message")
    assert err.kind is kind
    if kind is FailureKind.RATE_LIMITED:
        assert err.retry_after == 2.5


def test_render() -> None:
    entry = LogEntry(
        title="mute 1h",
        body="No swearing.",
        case_id=7,
        rule_ids=("profanity-en",),
        member_id="42",
        member_name="al_ice",
        excerpt="shit ```escape``` " + "x" * 2000,
        link="https://discord.com/channels/1/2/3",
    )
    embed = render(entry)
    fields = {f.name: f.value for f in embed.fields}
    assert embed.title == "Mute 1h" and embed.description == "No swearing."
    assert embed.url == entry.link
    assert fields["Rule"] == "profanity-en" and fields["Case"] == "#7"
    assert fields["Member"] == "<@42> (al\\_ice)"
    assert fields["Message"] is not None and len(fields["Message"]) <= 1024
    assert fields["Message"].count("```") == 2  # the excerpt cannot close the code block
    assert "[to the message](https://discord.com/channels/1/2/3)" == fields["Jump"]
    assert embed.colour == discord.Colour.orange()
    assert len(embed) <= 6000
    shadow = render(LogEntry(title="alert", body="", shadow=True))
    assert shadow.title == "[shadow] Alert" and shadow.colour == discord.Colour.light_grey()


def test_colour_follows_the_kind_not_the_title_language() -> None:
    assert render(LogEntry(title="cấm vĩnh viễn", body="", kind="ban")).colour == (
        discord.Colour.dark_red()
    )
    assert render(LogEntry(title="đã xoá tin nhắn", body="", kind="delete")).colour == (
        discord.Colour.blurple()
    )


async def test_the_appeal_hint_on_discord_and_the_console() -> None:
    """A timed-out Discord member cannot use commands in the server: the hint names the DM with
    the bot, where /appeal still works. The console keeps the plain hint."""
    from bot.platforms.console import ConsolePlatform
    from bot.platforms.discord import DiscordPlatform

    discord_platform = DiscordPlatform("token")
    assert discord_platform.appeal_hint("en", 3) == (
        "If you think this is a mistake, use /appeal 3 followed by your reason, in the server or "
        "in a direct message to me (while you are timed out, only the direct message works)."
    )
    assert discord_platform.appeal_hint("vi", 3) == (
        "Nếu bạn thấy bị xử lý nhầm, hãy gõ /appeal 3 kèm lý do, trong máy chủ hoặc trong tin "
        "nhắn riêng với bot (khi đang bị cấm chat, chỉ tin nhắn riêng dùng được)."
    )
    console = ConsolePlatform()
    assert console.appeal_hint("en", 3) == (
        "If you think this is a mistake, use /appeal 3 followed by your reason."
    )
    assert console.appeal_hint("vi", 3) == "Nếu bạn thấy bị xử lý nhầm, hãy gõ /appeal 3 kèm lý do."
