"""Chat commands on Discord: slash commands through the real discord.py stack and the fake server."""

from __future__ import annotations

import asyncio
import io
import itertools
import json
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from bot.commands import COMMANDS
from bot.moderation.executor import Executor
from bot.moderation.pipeline import Pipeline
from bot.platforms.discord import DiscordPlatform
from bot.rules import load_rules
from bot.storage import Database
from bot.storage import appeals as appeal_store
from bot.storage import cases as case_store
from bot.storage import reports as report_store
from tests.e2e.fake_discord import (
    APP_ID,
    GENERAL_ID,
    GUILD_ID,
    LOG_ID,
    MANAGE_MESSAGES,
    OWNER_ID,
    TOKEN,
    Call,
    FakeDiscord,
    FakeMember,
    snowflake,
)

pytestmark = pytest.mark.slow

RULES = f"""
version: 1
community: {{name: "Test guild", language: en, guidelines: ["Be kind.", "No spam."]}}
roles: {{moderators: ["Moderator"]}}
channels: {{log: {{discord: "{LOG_ID}"}}}}
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
EPHEMERAL = 1 << 6
# Discord's interaction contexts: in a server, in a DM with the bot (2: other private channels).
GUILD, BOT_DM = 0, 1
_OPTION_TYPES = {str: 3, int: 4}


def _contexts(command: dict[str, Any], default: list[int]) -> list[int]:
    """Where Discord offers a registered command (``contexts``; unset: ``default``)."""
    contexts = command.get("contexts")
    return list(contexts) if contexts is not None else default


class NotAllowed(Exception):
    """What Discord's client would not let the member send at all."""


@dataclass
class Response:
    """What the bot answered to one interaction (callback or follow-up)."""

    interaction: int
    type: int
    content: str
    flags: int
    files: list[bytes]

    @property
    def ephemeral(self) -> bool:
        return bool(self.flags & EPHEMERAL)


class CommandsFake(FakeDiscord):
    """The fake plus interactions: INTERACTION_CREATE, callbacks with a body, follow-ups.

    Kept here (a subclass) so the shared fake stays as its owner wrote it.
    """

    def __init__(self) -> None:
        super().__init__()
        self.responses: list[Response] = []
        self._raw: dict[str, bytes] = {}
        self._ids = itertools.count(1)
        self._tokens: dict[str, int] = {}

    async def _rest(self, request: web.Request) -> web.StreamResponse:
        path = "/" + request.match_info["tail"]
        if not path.startswith(("/interactions/", "/webhooks/")):
            return await super()._rest(request)
        # Answers to interactions may carry files: keep the raw body to read them back.
        raw = await request.read() if request.can_read_body else b""
        self._raw[path] = raw
        try:
            body: Any = json.loads(raw) if raw else None
        except ValueError:
            body = None
        call = Call(request.method, path, dict(request.query), dict(request.headers), body, 0.0)
        self.calls.append(call)
        response = await self._route(call)
        call.status = response.status
        async with self._changed:
            self._changed.notify_all()
        return response

    def _payload(self, call: Call) -> tuple[dict[str, Any], list[bytes]]:
        raw = self._raw.get(call.path, b"")
        if isinstance(call.json, dict):
            return call.json, []
        # multipart: payload_json plus files
        found = re.search(rb'name="payload_json"\r\n(?:[^\r\n]+\r\n)*\r\n(.*?)\r\n--', raw, re.S)
        payload = json.loads(found.group(1)) if found else {}
        files = [
            m.group(1)
            for m in re.finditer(
                rb'name="files\[\d+\]"[^\r\n]*\r\n(?:[^\r\n]+\r\n)*\r\n(.*?)\r\n--', raw, re.S
            )
        ]
        return payload, files

    async def _route(self, call: Call) -> web.Response:
        parts = call.path.strip("/").split("/")
        if call.method == "POST" and parts[0] == "interactions" and parts[-1] == "callback":
            body, files = self._payload(call)
            data = body.get("data") or {}
            iid = int(parts[1])
            self.responses.append(
                Response(
                    iid,
                    body.get("type", 0),
                    data.get("content") or "",
                    data.get("flags") or 0,
                    files,
                )
            )
            return self._json(
                {
                    "interaction": {
                        "id": str(iid),
                        "type": 2,
                        "response_message_loading": body.get("type") == 5,
                        "response_message_ephemeral": bool((data.get("flags") or 0) & EPHEMERAL),
                    }
                }
            )
        if call.method == "POST" and parts[0] == "webhooks" and len(parts) == 3:
            body, files = self._payload(call)
            iid = self._tokens.get(parts[2], 0)
            self.responses.append(
                Response(iid, 0, body.get("content") or "", body.get("flags") or 0, files)
            )
            bot = self.guild.members[self.me.id]
            message = self.message_payload(bot, body.get("content") or "")
            message["flags"] = body.get("flags") or 0
            message["webhook_id"] = str(APP_ID)
            return self._json(message)
        return await super()._route(call)

    def command_ref(self, name: str, kind: int = 1) -> dict[str, str]:
        """How an interaction names a command used in the server: its id, and ``guild_id`` when
        it is registered to the guild (guild copies first, as the Discord client lists them)."""
        for scope in sorted(self.commands, key=lambda s: s == "global"):
            for c in self.commands[scope]:
                if c["name"] == name and c["type"] == kind and GUILD in _contexts(c, [GUILD]):
                    ref = {"id": str(c["id"])}
                    return ref if scope == "global" else {**ref, "guild_id": scope}
        raise KeyError(name)

    async def invoke(self, who: FakeMember, name: str, **options: Any) -> int:
        """Dispatch INTERACTION_CREATE for ``/name`` by ``who``; returns the interaction id."""
        opts, resolved = self._options(options)
        return await self._interact(
            who,
            {
                **self.command_ref(name),
                "name": name,
                "type": 1,
                "options": opts,
                "resolved": resolved,
            },
        )

    async def invoke_dm(self, who: FakeMember, name: str, **options: Any) -> int:
        """``/name`` used by ``who`` in their DM with the bot, as Discord sends it: only a global
        command whose ``contexts`` allow the bot DM (1) is offered there; no guild, the invoker
        as ``user``, the DM channel (type 1), context 1."""
        found = [
            c
            for c in self.commands.get("global", [])
            if c["name"] == name and c["type"] == 1 and BOT_DM in _contexts(c, [])
        ]
        if not found:
            raise NotAllowed(f"/{name} is not offered in a DM with the bot")
        opts, resolved = self._options(options)
        command = {"id": found[0]["id"], "name": name, "type": 1, "options": opts}
        iid = snowflake()
        token = f"token-{next(self._ids)}"
        self._tokens[token] = iid
        dm_id = who.user.id + 1  # any id: the DM channel is not in the guild
        data = {
            "id": str(iid),
            "application_id": str(APP_ID),
            "type": 2,
            "token": token,
            "version": 1,
            "channel_id": str(dm_id),
            "channel": {"id": str(dm_id), "type": 1, "flags": 0, "last_message_id": None},
            "user": who.user.payload(),
            "app_permissions": "0",
            "locale": "en-US",
            "entitlements": [],
            "authorizing_integration_owners": {"0": "0"},
            "context": BOT_DM,
            "attachment_size_limit": 8 * 1024 * 1024,
            "data": {**command, "resolved": resolved} if resolved["users"] else command,
        }
        await self.dispatch("INTERACTION_CREATE", data)
        return iid

    @staticmethod
    def _options(options: dict[str, Any]) -> tuple[list[dict[str, Any]], dict[str, Any]]:
        """An interaction's options and resolved members, from Python values."""
        opts: list[dict[str, Any]] = []
        resolved: dict[str, Any] = {"users": {}, "members": {}}
        for key, value in options.items():
            if isinstance(value, FakeMember):
                uid = str(value.user.id)
                opts.append({"name": key, "type": 6, "value": uid})
                resolved["users"][uid] = value.user.payload()
                resolved["members"][uid] = {**value.payload(with_user=False), "permissions": "0"}
            else:
                opts.append({"name": key, "type": _OPTION_TYPES[type(value)], "value": value})
        return opts, resolved

    async def invoke_on_message(self, who: FakeMember, name: str, message: dict[str, Any]) -> int:
        """Dispatch INTERACTION_CREATE for the message context menu ``name`` used by ``who`` on
        ``message`` (a MESSAGE_CREATE payload), as Discord sends it: application command
        (type 2) whose data is of type 3 (message) with ``target_id`` and the message in
        ``resolved.messages`` (without ``member``: Discord resolves the author as a user)."""
        target = {k: v for k, v in message.items() if k != "member"}
        return await self._interact(
            who,
            {
                **self.command_ref(name, kind=3),
                "name": name,
                "type": 3,
                "target_id": target["id"],
                "resolved": {"messages": {target["id"]: target}},
            },
        )

    async def _interact(self, who: FakeMember, command: dict[str, Any]) -> int:
        until = who.timeout_until
        if until is not None and datetime.fromisoformat(until) > datetime.now(UTC):
            # Discord does not let a timed-out member use application commands in the server.
            raise NotAllowed(f"{who.user.name} is timed out")
        iid = snowflake()
        token = f"token-{next(self._ids)}"
        self._tokens[token] = iid
        perms = sum(int(self.guild.roles[r]["permissions"]) for r in who.roles)
        channel = self.guild.channels[GENERAL_ID]
        data = {
            "id": str(iid),
            "application_id": str(APP_ID),
            "type": 2,
            "token": token,
            "version": 1,
            "guild_id": str(GUILD_ID),
            "channel_id": str(GENERAL_ID),
            "channel": {**channel, "guild_id": str(GUILD_ID)},
            "member": {**who.payload(), "permissions": str(perms)},
            "app_permissions": "0",
            "locale": "en-US",
            "guild_locale": "en-US",
            "entitlements": [],
            "authorizing_integration_owners": {"0": str(GUILD_ID)},
            "context": 0,
            "attachment_size_limit": 8 * 1024 * 1024,
            "data": command,
        }
        await self.dispatch("INTERACTION_CREATE", data)
        return iid

    async def answer(self, iid: int, within: float = 5.0) -> Response:
        """The (final) answer to interaction ``iid``: the follow-up after a defer, else the reply."""

        def found() -> Response | None:
            mine = [r for r in self.responses if r.interaction == iid and r.type != 5]
            return mine[-1] if mine else None

        async with self._changed:
            await asyncio.wait_for(self._changed.wait_for(lambda: found() is not None), within)
        result = found()
        assert result is not None
        return result


@dataclass
class Bot:
    db: Database
    pipeline: Pipeline
    platform: DiscordPlatform

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
        yield server
    assert server.violations == []


@pytest.fixture
def rules_file(tmp_path: Path) -> Path:
    path = tmp_path / "rules.yaml"
    path.write_text(RULES, encoding="utf-8")
    return path


@pytest.fixture
async def bot(fake: CommandsFake, rules_file: Path, tmp_path: Path) -> AsyncIterator[Bot]:
    db = await Database.open(tmp_path / "modbot.db")
    executor = Executor(db, backoff=0.05)
    pipeline = Pipeline(db, executor, load_rules(rules_file))
    platform = DiscordPlatform(TOKEN, api_url=fake.api_url, gateway_url=fake.gateway_url)
    executor.add_platform(platform)
    await platform.start(pipeline)
    assert platform.bot_id is not None
    executor.bot_ids["discord"] = platform.bot_id
    await fake.wait_connected()
    running = Bot(db, pipeline, platform)
    yield running
    await running.stop()


@pytest.fixture
def mod(fake: CommandsFake) -> FakeMember:
    return fake.member("mai", roles=[fake.mod_role])


def sanctions(fake: CommandsFake) -> list[Call]:
    return [
        c
        for c in fake.calls
        if (c.method in ("PATCH", "DELETE", "PUT") and c.path.startswith(f"/guilds/{GUILD_ID}/"))
        or (c.method == "DELETE" and "/messages/" in c.path)
        or c.path.endswith("/bulk-delete")
    ]


def deleted_ids(fake: CommandsFake) -> set[int]:
    out: set[int] = set()
    for c in fake.calls:
        if c.status < 400 and c.method == "DELETE" and "/messages/" in c.path:
            out.add(int(c.path.rsplit("/", 1)[1]))
        elif c.status < 400 and c.path.endswith("/messages/bulk-delete"):
            out.update(int(m) for m in (c.json or {}).get("messages", []))
    return out


# ---- registration --------------------------------------------------------------------------


async def test_slash_commands_registered_with_permissions_and_typed_options(
    fake: CommandsFake, bot: Bot
) -> None:
    commands = {c["name"]: c for c in fake.commands["global"] if c["type"] == 1}
    assert len(commands) == 20
    ban = commands["ban"]
    assert int(ban["default_member_permissions"]) == MANAGE_MESSAGES
    assert commands["rules"]["default_member_permissions"] is None
    options = {o["name"]: o for o in ban["options"]}
    assert ban["options"][0]["name"] == "member" and ban["options"][0]["type"] == 6
    assert options["member"]["required"] is True
    assert all(not options[n].get("required") for n in ("duration", "reason", "delete_messages"))
    assert all(o["description"] for o in ban["options"])
    assert ban["description"] == "Ban a member, for a while or for good"
    purge = {o["name"]: o for o in commands["purge"]["options"]}
    assert purge["count"]["type"] == 4 and purge["count"]["max_value"] == 100
    assert not purge["member"].get("required")
    # /appeal and /mycases also work in a DM with the bot (a timed-out member's only way in);
    # every other command is the server's.
    direct = {n for n, c in commands.items() if c["dm_permission"]}
    assert direct == {"appeal", "mycases"}
    assert all(commands[n]["contexts"] == [GUILD, BOT_DM] for n in direct)
    assert all(c.get("contexts") is None for n, c in commands.items() if n not in direct)


async def test_message_context_menus_registered_beside_the_slash_commands(
    fake: CommandsFake, bot: Bot
) -> None:
    menus = {c["name"]: c for c in fake.commands["global"] if c["type"] == 3}
    assert set(menus) == {"Report message", "Why? (rules)"}
    report, why = menus["Report message"], menus["Why? (rules)"]
    # The same default permissions as the slash commands they run.
    slash = {c["name"]: c for c in fake.commands["global"] if c["type"] == 1}
    assert why["default_member_permissions"] == slash["why"]["default_member_permissions"]
    assert int(why["default_member_permissions"]) == MANAGE_MESSAGES
    assert report["default_member_permissions"] is None
    assert report["name_localizations"] == {"vi": "Báo cáo tin nhắn"}
    assert why["name_localizations"] == {"vi": "Vì sao? (luật)"}
    assert all(m["dm_permission"] is False and not m.get("options") for m in menus.values())
    assert len(fake.commands["global"]) == len(COMMANDS) + 2 == 22


async def test_menus_registered_per_guild_too(
    fake: CommandsFake, rules_file: Path, tmp_path: Path
) -> None:
    db = await Database.open(tmp_path / "guild.db")
    executor = Executor(db, backoff=0.05)
    pipeline = Pipeline(db, executor, load_rules(rules_file))
    platform = DiscordPlatform(
        TOKEN, api_url=fake.api_url, gateway_url=fake.gateway_url, guild_ids=[GUILD_ID]
    )
    try:
        await platform.start(pipeline)
        await fake.wait_connected()
        scope = fake.commands[str(GUILD_ID)]
        assert sorted(c["name"] for c in scope if c["type"] == 3) == [
            "Report message",
            "Why? (rules)",
        ]
        alice = fake.member("alice")
        r = await fake.answer(
            await fake.invoke_on_message(alice, "Report message", fake.message_payload(alice, "hi"))
        )
        assert r.ephemeral and r.content == "Thanks, the moderators have been told."
        # Only global commands work in a DM: the DM copies of /appeal and /mycases are global
        # and DM-only, so the server lists each command once (its guild copy).
        assert sorted(c["name"] for c in fake.commands["global"]) == ["appeal", "mycases"]
        assert all(c["contexts"] == [BOT_DM] for c in fake.commands["global"])
        guild = {c["name"]: c for c in scope if c["type"] == 1}
        assert len(guild) == len(COMMANDS) == 20 and guild["appeal"]["dm_permission"] is False
        assert all(c.get("contexts") is None for c in scope)
        # The guild copy answers in the server (this server's form), the DM copy in the DM.
        r = await fake.answer(await fake.invoke(alice, "mycases"))
        assert r.ephemeral and r.content == "Your active strikes: 0\nNo cases."
        r = await fake.answer(await fake.invoke_dm(alice, "mycases"))
        assert r.ephemeral and r.content == "No cases."
        with pytest.raises(NotAllowed):
            await fake.invoke_dm(alice, "rules")
    finally:
        await platform.stop()
        await db.close()


# ---- sanctions -----------------------------------------------------------------------------


async def test_warn_mute_unmute_kick(fake: CommandsFake, bot: Bot, mod: FakeMember) -> None:
    alice = fake.member("alice")
    r = await fake.answer(await fake.invoke(mod, "warn", member=alice, reason="be nice"))
    assert r.content == "alice (@alice) has been warned (case #1)." and not r.ephemeral
    r = await fake.answer(await fake.invoke(mod, "mute", member=alice, duration="10m"))
    assert r.content == "alice (@alice) is muted for 10 minutes (case #2)."
    (patch,) = fake.calls_of("PATCH", f"/guilds/{GUILD_ID}/members/{alice.user.id}")
    end = datetime.fromisoformat(patch.json["communication_disabled_until"])
    assert timedelta(minutes=9) < end - datetime.now(UTC) <= timedelta(minutes=10)
    r = await fake.answer(await fake.invoke(mod, "unmute", member=alice))
    assert r.content == "alice (@alice) can talk again (case #3)."
    assert fake.calls_of("PATCH")[-1].json["communication_disabled_until"] is None
    r = await fake.answer(await fake.invoke(mod, "kick", member=alice, reason="bye"))
    assert r.content == "alice (@alice) has been removed from the group (case #4)."
    assert alice.user.id in fake.guild.kicked
    cases = await bot.cases()
    assert [c.source for c in cases] == ["moderator"] * 4
    assert cases[0].moderator_name == "mai" and cases[0].strikes == 1


async def test_ban_then_unban(fake: CommandsFake, bot: Bot, mod: FakeMember) -> None:
    bob = fake.member("bob")
    r = await fake.answer(
        await fake.invoke(mod, "ban", member=bob, duration="1d", delete_messages="1h")
    )
    assert r.content == "bob (@bob) is banned, 1 day (case #1)."
    assert fake.guild.bans[bob.user.id] == {"delete_message_seconds": "3600"}
    r = await fake.answer(await fake.invoke(mod, "unban", user=str(bob.user.id)))
    assert r.content == f"{bob.user.id} is no longer banned (case #2)."
    assert bob.user.id not in fake.guild.bans


MODERATOR_COMMANDS = [name for name, command in COMMANDS.items() if not command.for_members]


@pytest.mark.parametrize("command", MODERATOR_COMMANDS)
async def test_member_refused_ephemerally_without_any_call(
    fake: CommandsFake, bot: Bot, command: str
) -> None:
    alice, bob = fake.member("alice"), fake.member("bob")
    options: dict[str, Any]
    if command == "unban":
        options = {"user": str(alice.user.id)}
    elif command == "purge":
        options = {"count": 5}
    elif command in ("case", "pardon", "why"):
        options = {"case": 1}
    elif command == "note":
        options = {"member": alice, "text": "watch this one"}
    elif command == "dismiss":
        options = {"report": 1}
    elif command in ("reload", "stats", "reports"):
        options = {}
    else:
        options = {"member": alice}
    r = await fake.answer(await fake.invoke(bob, command, **options))
    assert r.ephemeral and r.content == f"Sorry, only moderators can use /{command}."
    await fake.idle(0.1)
    assert sanctions(fake) == [] and await bot.cases() == []


async def test_owner_moderator_and_bot_cannot_be_sanctioned(
    fake: CommandsFake, bot: Bot, mod: FakeMember
) -> None:
    owner = fake.guild.members[OWNER_ID]
    other = fake.member("lan", roles=[fake.mod_role])
    me = fake.guild.members[fake.me.id]
    for target, why in ((owner, "the owner"), (other, "a moderator"), (me, "the bot itself")):
        r = await fake.answer(await fake.invoke(mod, "ban", member=target))
        assert r.ephemeral and r.content.endswith(f"cannot be sanctioned ({why}).")
    r = await fake.answer(await fake.invoke(mod, "kick", member=mod))
    assert r.ephemeral and "you cannot sanction yourself" in r.content
    assert sanctions(fake) == [] and await bot.cases() == []


async def test_bad_arguments_answered_ephemerally(
    fake: CommandsFake, bot: Bot, mod: FakeMember
) -> None:
    alice = fake.member("alice")
    r = await fake.answer(await fake.invoke(mod, "mute", member=alice, duration="10 seconds"))
    assert r.ephemeral
    assert r.content == '"10 seconds" is not a duration. Use for example 10m, 1h, 2d or 1w.'
    r = await fake.answer(await fake.invoke(mod, "unban", user="somebody"))
    assert r.ephemeral and r.content.startswith("I could not find the member somebody.")
    r = await fake.answer(await fake.invoke(mod, "pardon", case=99))
    assert r.ephemeral and r.content == "There is no case #99."
    assert sanctions(fake) == []


async def test_purge(fake: CommandsFake, bot: Bot, mod: FakeMember) -> None:
    alice, bob = fake.member("alice"), fake.member("bob")
    ids = [await fake.send_message(a, f"m{i}") for i, a in enumerate((alice, bob, alice))]
    await fake.idle(0.3)
    r = await fake.answer(await fake.invoke(mod, "purge", count=5, member=alice))
    assert r.ephemeral and r.content.startswith("Deleted 2 messages.")
    assert deleted_ids(fake) == {ids[0], ids[2]}


# ---- the record and members ----------------------------------------------------------------


async def test_case_tools_appeal_and_pardon(fake: CommandsFake, bot: Bot, mod: FakeMember) -> None:
    alice = fake.member("alice")
    await fake.send_message(alice, "buy spam")
    await fake.wait_for("DELETE", f"/channels/{GENERAL_ID}/messages/")
    r = await fake.answer(await fake.invoke(mod, "case", case=1))
    assert r.ephemeral and r.content.startswith("Case #1: alice")
    r = await fake.answer(await fake.invoke(mod, "note", member=alice, text="watch her"))
    assert r.content == "Note added for alice (@alice)."
    r = await fake.answer(await fake.invoke(mod, "cases", member=alice))
    assert r.content.startswith("alice (@alice): 1 active strike(s)") and "watch her" in r.content
    r = await fake.answer(await fake.invoke(mod, "why", case=1))
    assert "rule no-spam" in r.content and "words matched" in r.content
    r = await fake.answer(await fake.invoke(alice, "mycases"))
    assert r.ephemeral and r.content.startswith("Your active strikes: 1")
    r = await fake.answer(await fake.invoke(alice, "appeal", case=1, text="it was a joke"))
    assert r.content == "Your appeal for case #1 has been sent to the moderators."
    r = await fake.answer(await fake.invoke(mod, "pardon", case=1))
    assert not r.ephemeral and "alice, your case #1 has been pardoned" in r.content
    (case,) = await bot.cases()
    assert await case_store.active_strikes(bot.db, case.member_pk, datetime.now(UTC)) == 0
    titles = [
        e["title"]
        for c in fake.calls_of("POST", f"/channels/{LOG_ID}/messages")
        for e in c.json["embeds"]
    ]
    assert "Appeal" in titles and "Pardon" in titles


async def test_timed_out_member_appeals_from_a_dm(
    fake: CommandsFake, bot: Bot, mod: FakeMember
) -> None:
    """A timed-out member cannot use commands in the server; in a DM with the bot /appeal takes
    the community from the case, recorded and posted to the log channel; only their own cases."""
    alice, bob = fake.member("alice"), fake.member("bob")
    r = await fake.answer(await fake.invoke(mod, "mute", member=alice, duration="1h"))
    assert r.content == "alice (@alice) is muted for 1 hour (case #1)."
    r = await fake.answer(await fake.invoke(mod, "warn", member=bob, reason="rude"))
    assert "case #2" in r.content
    with pytest.raises(NotAllowed):
        await fake.invoke(alice, "appeal", case=1, text="in the server")
    r = await fake.answer(await fake.invoke_dm(alice, "appeal", case=1, text="I was quoting"))
    assert r.ephemeral and r.content == "Your appeal for case #1 has been sent to the moderators."
    assert [a.text for a in await appeal_store.appeals_of(bot.db, 1)] == ["I was quoting"]
    (post,) = await fake.wait_for(
        "POST",
        f"/channels/{LOG_ID}/messages",
        where=lambda c: any(e["title"] == "Appeal" for e in c.json["embeds"]),
    )
    (embed,) = [e for e in post.json["embeds"] if e["title"] == "Appeal"]
    assert "I was quoting" in json.dumps(embed, ensure_ascii=False)
    # Someone else's case, a case that does not exist: refused, nothing recorded.
    r = await fake.answer(await fake.invoke_dm(alice, "appeal", case=2, text="not mine"))
    assert r.ephemeral and r.content == "Case #2 is not one of your cases."
    r = await fake.answer(await fake.invoke_dm(alice, "appeal", case=9, text="nothing"))
    assert r.ephemeral and r.content == "There is no case #9."
    assert await appeal_store.appeals_of(bot.db, 2) == []
    # /mycases in the DM: her cases under the server's name.
    r = await fake.answer(await fake.invoke_dm(alice, "mycases"))
    assert r.ephemeral and r.content.startswith("Test guild: your active strikes:")
    assert "#1 " in r.content and "#2 " not in r.content
    # The server's commands are not offered in the DM at all.
    with pytest.raises(NotAllowed):
        await fake.invoke_dm(alice, "rules")


async def test_pardon_lifts_the_cases_running_mute(
    fake: CommandsFake, bot: Bot, mod: FakeMember
) -> None:
    alice = fake.member("alice")
    r = await fake.answer(await fake.invoke(mod, "mute", member=alice, duration="1h"))
    assert r.content == "alice (@alice) is muted for 1 hour (case #1)."
    assert alice.timeout_until is not None
    r = await fake.answer(await fake.invoke(mod, "pardon", case=1, reason="wrong person"))
    assert not r.ephemeral and "Its mute is lifted (case #2)." in r.content
    assert alice.timeout_until is None
    patches = fake.calls_of("PATCH", f"/guilds/{GUILD_ID}/members/{alice.user.id}")
    assert [p.json["communication_disabled_until"] is None for p in patches] == [False, True]
    mute, lift = await bot.cases()
    assert mute.pardoned_at is not None and [a.kind for a in lift.actions] == ["unmute"]


async def test_rules_and_report(fake: CommandsFake, bot: Bot) -> None:
    alice = fake.member("alice")
    r = await fake.answer(await fake.invoke(alice, "rules"))
    assert r.content == "Rules of Test guild:\n1. Be kind.\n2. No spam."
    link = f"https://discord.com/channels/{GUILD_ID}/{GENERAL_ID}/123"
    r = await fake.answer(await fake.invoke(alice, "report", message=link))
    assert r.ephemeral and r.content == "Thanks, the moderators have been told."
    (post,) = await fake.wait_for("POST", f"/channels/{LOG_ID}/messages")
    assert post.json["embeds"][0]["title"] == "Report #1"
    (report,) = await report_store.list_reports(bot.db)
    assert (report.channel_id, report.message_id, report.link) == (str(GENERAL_ID), "123", link)
    assert report.member_pk is None  # a message the bot never saw: its author is unknown


async def test_report_message_from_the_context_menu(fake: CommandsFake, bot: Bot) -> None:
    alice, bob = fake.member("alice"), fake.member("bob")
    target = fake.message_payload(bob, "you are all idiots, send me your passwords")
    r = await fake.answer(await fake.invoke_on_message(alice, "Report message", target))
    assert r.ephemeral and r.content == "Thanks, the moderators have been told."
    (post,) = await fake.wait_for("POST", f"/channels/{LOG_ID}/messages")
    (embed,) = post.json["embeds"]
    link = f"https://discord.com/channels/{GUILD_ID}/{GENERAL_ID}/{target['id']}"
    assert embed["title"] == "Report #1" and embed["url"] == link
    assert embed["description"] == (
        "Report by alice (@alice) about a message by bob (@bob): "
        "you are all idiots, send me your passwords"
    )
    fields = {f["name"]: f["value"] for f in embed["fields"]}
    assert fields["Member"] == f"<@{bob.user.id}> (bob)"
    assert fields["Message"] == "```you are all idiots, send me your passwords```"
    assert fields["Jump"] == f"[to the message]({link})"
    assert sanctions(fake) == [] and await bot.cases() == []
    # Stored before the post, with the number the post carries.
    (report,) = await report_store.list_reports(bot.db)
    assert report.id == 1 and report.reporter_user_id == str(alice.user.id)
    assert report.member_user_id == str(bob.user.id)
    assert (report.channel_id, report.message_id) == (str(GENERAL_ID), str(target["id"]))
    assert report.excerpt == "you are all idiots, send me your passwords"
    # The same message again, from the menu or by its link: refused, nothing stored or posted.
    r = await fake.answer(await fake.invoke_on_message(alice, "Report message", target))
    assert (
        r.ephemeral
        and r.content == "You have already reported this (report #1); the moderators have it."
    )
    r = await fake.answer(await fake.invoke(alice, "report", message=link))
    assert r.content.startswith("You have already reported this (report #1)")
    await fake.idle()
    assert len(fake.calls_of("POST", f"/channels/{LOG_ID}/messages")) == 1
    assert len(await report_store.list_reports(bot.db)) == 1


async def test_a_moderator_lists_the_open_reports_and_dismisses_one(
    fake: CommandsFake, bot: Bot, mod: FakeMember
) -> None:
    dismiss = {c["name"]: c for c in fake.commands["global"]}["dismiss"]
    assert int(dismiss["default_member_permissions"]) == MANAGE_MESSAGES
    options = {o["name"]: o for o in dismiss["options"]}
    assert options["report"]["type"] == 4 and options["report"]["required"] is True
    assert options["report"]["min_value"] == 1 and not options["reason"].get("required")
    alice, bob = fake.member("alice"), fake.member("bob")
    target = fake.message_payload(bob, "you all owe me a pizza")
    await fake.answer(await fake.invoke_on_message(alice, "Report message", target))
    # A member is refused both, ephemerally, and nothing changes.
    r = await fake.answer(await fake.invoke(alice, "reports"))
    assert r.ephemeral and r.content == "Sorry, only moderators can use /reports."
    r = await fake.answer(await fake.invoke(alice, "dismiss", report=1, reason="no"))
    assert r.ephemeral and r.content == "Sorry, only moderators can use /dismiss."
    r = await fake.answer(await fake.invoke(mod, "reports"))
    assert r.ephemeral and r.content.splitlines()[:2] == [
        "Open reports: 1",
        "#1 · 1 minute ago · by alice (@alice) · about bob · “you all owe me a pizza”",
    ]
    r = await fake.answer(await fake.invoke(mod, "dismiss", report=1, reason="a pizza joke"))
    assert r.ephemeral and r.content == "Report #1 is dismissed."
    posts = await fake.wait_for("POST", f"/channels/{LOG_ID}/messages", count=2)
    embed = posts[-1].json["embeds"][0]
    assert embed["title"] == "Report #1 dismissed"
    fields = {f["name"]: f["value"] for f in embed["fields"]}
    assert fields["Reason"] == "a pizza joke"
    (report,) = await report_store.list_reports(bot.db)
    assert (report.outcome, report.resolved_by) == ("dismissed", str(mod.user.id))
    assert report.resolution_reason == "a pizza joke"
    r = await fake.answer(await fake.invoke(mod, "dismiss", report=1))
    assert r.content == "Report #1 is already closed (dismissed); nothing changed."
    r = await fake.answer(await fake.invoke(mod, "dismiss", report=7))
    assert r.ephemeral and r.content == "There is no report #7."
    r = await fake.answer(await fake.invoke(mod, "reports"))
    assert r.content == "No open reports."
    assert sanctions(fake) == []


async def test_why_on_a_message_explains_the_rules_to_a_moderator(
    fake: CommandsFake, bot: Bot, mod: FakeMember
) -> None:
    alice = fake.member("alice")
    target = fake.message_payload(alice, "cheap SPAM here")
    r = await fake.answer(await fake.invoke_on_message(mod, "Why? (rules)", target))
    assert r.ephemeral
    lines = r.content.splitlines()
    assert lines[0] == "message:    cheap SPAM here"
    assert any(line.startswith("rule no-spam: words matched 'spam'") for line in lines)
    assert "  why: No spam." in lines
    assert lines[-1].startswith("would do: delete")
    # Explaining is read-only: no case, no sanction, nothing posted.
    assert sanctions(fake) == [] and await bot.cases() == []
    assert fake.calls_of("POST", "/channels/") == []


async def test_why_on_a_message_explains_a_harmless_one_too(
    fake: CommandsFake, bot: Bot, mod: FakeMember
) -> None:
    target = fake.message_payload(fake.member("alice"), "")  # an image, say: no text
    r = await fake.answer(await fake.invoke_on_message(mod, "Why? (rules)", target))
    assert r.ephemeral and "no rule matches" in r.content


async def test_why_menu_refused_to_a_member_without_effect(fake: CommandsFake, bot: Bot) -> None:
    alice, bob = fake.member("alice"), fake.member("bob")
    target = fake.message_payload(bob, "spam spam")
    r = await fake.answer(await fake.invoke_on_message(alice, "Why? (rules)", target))
    assert r.ephemeral and r.content == "Sorry, only moderators can use /why."
    await fake.idle()
    assert sanctions(fake) == [] and await bot.cases() == []
    assert fake.calls_of("POST", "/channels/") == []


# ---- administration ------------------------------------------------------------------------


async def test_reload_broken_file_keeps_old_rules(
    fake: CommandsFake, bot: Bot, mod: FakeMember, rules_file: Path
) -> None:
    rules_file.write_text(BROKEN, encoding="utf-8")  # noqa: ASYNC240
    r = await fake.answer(await fake.invoke(mod, "reload"))
    assert r.ephemeral
    assert r.content.startswith("The rules file has problems, so I kept the current rules:")
    assert f"{rules_file}:5:" in r.content and "wordz" in r.content
    mid = await fake.send_message(fake.member("alice"), "spam again")
    await fake.wait_for("DELETE", f"/channels/{GENERAL_ID}/messages/{mid}")


async def test_stats_png(fake: CommandsFake, bot: Bot, mod: FakeMember) -> None:
    from PIL import Image

    await fake.send_message(fake.member("alice"), "spam")
    await fake.wait_for("DELETE", f"/channels/{GENERAL_ID}/messages/")
    r = await fake.answer(await fake.invoke(mod, "stats", days=3), within=10)
    assert r.ephemeral and r.content.startswith("Last 3 days:")
    assert "Messages: 1" in r.content and "Top rules: no-spam (1)" in r.content
    (png,) = r.files
    image = Image.open(io.BytesIO(png))
    assert image.format == "PNG" and image.size == (800, 600)
    lo, hi = image.convert("L").getextrema()
    assert hi - lo > 100
