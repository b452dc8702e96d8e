"""A fake Discord REST API + gateway on 127.0.0.1 that answers discord.py 2.7 like Discord."""

from __future__ import annotations

import asyncio
import itertools
import json
import re
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from aiohttp import WSMsgType, web
from discord.utils import time_snowflake

TOKEN = "MTIzNDU2Nzg5.fake.discord-test-token"
BOT_ID = 900_000_000_000_000_001
APP_ID = BOT_ID
OWNER_ID = 900_000_000_000_000_010
GUILD_ID = 800_000_000_000_000_001
GENERAL_ID = 800_000_000_000_000_100  # #general
LOG_ID = 800_000_000_000_000_101  # #mod-log
# Permission bits (https://discord.com/developers/docs/topics/permissions).
ADMINISTRATOR = 1 << 3
MANAGE_MESSAGES = 1 << 13
MODERATE_MEMBERS = 1 << 40
BASIC = (1 << 10) | (1 << 11) | (1 << 16)  # view channel, send messages, read history
BOT_PERMS = BASIC | MANAGE_MESSAGES | MODERATE_MEMBERS | (1 << 1) | (1 << 2)  # + kick, ban
MAX_TIMEOUT = timedelta(days=28)

_JSON = "application/json"  # exactly: discord.py reads "; charset=utf-8" as text


def snowflake(at: datetime | None = None) -> int:
    """A fresh id whose embedded creation time is ``at`` (now by default)."""
    return time_snowflake(at or datetime.now(UTC), high=False) + next(_low)


_low = itertools.count(1)


def iso(at: datetime) -> str:
    return at.astimezone(UTC).isoformat()


# Discord's limits on one bulk overwrite of application commands, by type (chat input, user,
# message), and its rule for slash-command names (context menus take any 1 to 32 characters).
COMMAND_LIMITS = {1: 100, 2: 15, 3: 15}
_SLASH_NAME = re.compile(r"^[-_'\w]{1,32}$")


def embed_length(embed: dict[str, Any]) -> int:
    """What Discord counts toward the 6,000 characters of a message's embeds."""
    total = len(embed.get("title") or "") + len(embed.get("description") or "")
    total += sum(len(f.get("name", "")) + len(f.get("value", "")) for f in embed.get("fields", []))
    total += len((embed.get("footer") or {}).get("text", ""))
    return total + len((embed.get("author") or {}).get("name", ""))


def message_problem(body: dict[str, Any]) -> str | None:
    """Why Discord would refuse a message body (its embed limits), if it would."""
    embeds = body.get("embeds") or []
    if len(embeds) > 10:
        return f"{len(embeds)} embeds (at most 10)"
    total = sum(embed_length(e) for e in embeds)
    if total > 6000:
        return f"embeds of {total} characters (at most 6000 in all)"
    return None


def command_problems(commands: list[dict[str, Any]]) -> list[str]:
    """What Discord would refuse in a ``PUT .../commands`` body (empty when it is valid)."""
    problems: list[str] = []
    seen: set[tuple[int, str]] = set()
    for c in commands:
        kind, name = c.get("type", 1), str(c.get("name", ""))
        names = [name, *(c.get("name_localizations") or {}).values()]
        if kind == 1:
            if not all(_SLASH_NAME.match(n) and n == n.lower() for n in names):
                problems.append(f"slash command name {name!r}")
        elif kind in (2, 3):
            if not all(1 <= len(n) <= 32 for n in names):
                problems.append(f"context menu name {name!r}")
            if c.get("description") or c.get("options"):
                problems.append(f"context menu {name!r} with a description or options")
        else:
            problems.append(f"command type {kind}")
        if (kind, name) in seen:
            problems.append(f"duplicate command {name!r}")
        seen.add((kind, name))
    for kind, limit in COMMAND_LIMITS.items():
        if sum(c.get("type", 1) == kind for c in commands) > limit:
            problems.append(f"more than {limit} commands of type {kind}")
    return problems


@dataclass(frozen=True)
class Fault:
    """An error answer, as Discord sends it."""

    status: int
    code: int = 0
    message: str = ""
    retry_after: float | None = None
    via: bool = True  # discord.py retries a 429 only behind a proxy-ish ``Via`` header

    def body(self) -> dict[str, Any]:
        data: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.retry_after is not None:
            data.update(retry_after=self.retry_after, **{"global": False})
        return data


FORBIDDEN = Fault(403, 50013, "Missing Permissions")
UNKNOWN_MESSAGE = Fault(404, 10008, "Unknown Message")
SERVER_ERROR = Fault(500, 0, "500: Internal Server Error")


def rate_limited(retry_after: float = 0.2, via: bool = True) -> Fault:
    return Fault(429, 0, "You are being rate limited.", retry_after, via)


@dataclass
class Call:
    """One REST request the bot made (``path`` is relative to ``/api/v10``)."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    json: Any
    at: float  # time.monotonic() when received
    status: int = 200

    @property
    def reason(self) -> str | None:
        from urllib.parse import unquote

        value = self.headers.get("X-Audit-Log-Reason")
        return unquote(value) if value is not None else None


@dataclass
class FakeUser:
    id: int
    name: str
    bot: bool = False

    def payload(self) -> dict[str, Any]:
        return {
            "id": str(self.id),
            "username": self.name,
            "global_name": self.name,
            "discriminator": "0",
            "avatar": None,
            "bot": self.bot,
            "public_flags": 0,
        }


@dataclass
class FakeMember:
    user: FakeUser
    roles: list[int] = field(default_factory=list)
    joined_at: datetime = field(default_factory=lambda: datetime.now(UTC) - timedelta(days=30))
    timeout_until: str | None = None

    def payload(self, with_user: bool = True) -> dict[str, Any]:
        data: dict[str, Any] = {
            "roles": [str(r) for r in self.roles],
            "joined_at": iso(self.joined_at),
            "deaf": False,
            "mute": False,
            "flags": 0,
            "nick": None,
            "avatar": None,
            "premium_since": None,
            "pending": False,
            "communication_disabled_until": self.timeout_until,
        }
        if with_user:
            data["user"] = self.user.payload()
        return data


@dataclass
class FakeGuild:
    id: int
    name: str
    owner_id: int
    roles: dict[int, dict[str, Any]] = field(default_factory=dict)
    channels: dict[int, dict[str, Any]] = field(default_factory=dict)
    members: dict[int, FakeMember] = field(default_factory=dict)
    bans: dict[int, dict[str, Any]] = field(default_factory=dict)
    kicked: list[int] = field(default_factory=list)

    def add_role(
        self, name: str, position: int, permissions: int = BASIC, role_id: int | None = None
    ) -> int:
        rid = role_id if role_id is not None else snowflake()
        self.roles[rid] = {
            "id": str(rid),
            "name": name,
            "permissions": str(permissions),
            "position": position,
            "color": 0,
            "colors": {"primary_color": 0, "secondary_color": None, "tertiary_color": None},
            "hoist": False,
            "managed": False,
            "mentionable": False,
            "flags": 0,
            "icon": None,
            "unicode_emoji": None,
        }
        return rid

    def payload(self, members: list[FakeMember] | None = None) -> dict[str, Any]:
        shown = self.members.values() if members is None else members
        return {
            "id": str(self.id),
            "name": self.name,
            "owner_id": str(self.owner_id),
            "icon": None,
            "splash": None,
            "discovery_splash": None,
            "banner": None,
            "description": None,
            "features": [],
            "verification_level": 0,
            "default_message_notifications": 0,
            "explicit_content_filter": 0,
            "mfa_level": 0,
            "nsfw_level": 0,
            "premium_tier": 0,
            "premium_subscription_count": 0,
            "preferred_locale": "en-US",
            "system_channel_id": None,
            "system_channel_flags": 0,
            "rules_channel_id": None,
            "public_updates_channel_id": None,
            "afk_channel_id": None,
            "afk_timeout": 300,
            "vanity_url_code": None,
            "application_id": None,
            "max_members": 500000,
            "max_video_channel_users": 25,
            "roles": list(self.roles.values()),
            "emojis": [],
            "stickers": [],
            "channels": list(self.channels.values()),
            "threads": [],
            "members": [m.payload() for m in shown],
            "member_count": len(self.members),
            "large": False,
            "unavailable": False,
            "joined_at": iso(datetime.now(UTC) - timedelta(days=1)),
            "presences": [],
            "voice_states": [],
            "stage_instances": [],
            "guild_scheduled_events": [],
            "soundboard_sounds": [],
            "premium_progress_bar_enabled": False,
        }


class FakeDiscord:
    """REST under ``/api/v10`` and the gateway at ``/`` (and ``/resume``) on one port.

    ``calls`` records every REST request; ``fail`` queues one-shot faults per
    ``METHOD path-prefix``;
    ``dispatch`` sends a gateway event to every connected client.
    """

    def __init__(
        self, token: str = TOKEN, bucket_limit: int = 50, bucket_window: float = 1.0
    ) -> None:
        self.token = token
        # Per-route buckets like Discord's: ``bucket_limit`` requests per ``bucket_window`` s,
        # announced in X-RateLimit-* headers (without them discord.py sends one request per
        # bucket at a time); going over is answered 429 with ``Via`` so discord.py waits.
        self.bucket_limit = bucket_limit
        self.bucket_window = bucket_window
        self._buckets: dict[str, tuple[float, int]] = {}
        self.me = FakeUser(BOT_ID, "Modbot", bot=True)
        self.owner = FakeUser(OWNER_ID, "Owner")
        self.users: dict[int, FakeUser] = {BOT_ID: self.me, OWNER_ID: self.owner}
        self.guild = FakeGuild(GUILD_ID, "Test guild", OWNER_ID)
        self.everyone = self.guild.add_role("@everyone", 0, BASIC, role_id=GUILD_ID)
        self.mod_role = self.guild.add_role("Moderator", 5, BASIC | MANAGE_MESSAGES)
        self.bot_role = self.guild.add_role("Modbot", 10, BOT_PERMS)
        self.vip_role = self.guild.add_role("VIP", 15)  # above the bot's role, no rights
        self.admin_role = self.guild.add_role("Admins", 20, BASIC | ADMINISTRATOR)
        for cid, name in ((GENERAL_ID, "general"), (LOG_ID, "mod-log")):
            self.add_channel(cid, name)
        self.guild.members[BOT_ID] = FakeMember(self.me, [self.bot_role])
        self.guild.members[OWNER_ID] = FakeMember(self.owner, [])
        self.calls: list[Call] = []
        self.sent: list[dict[str, Any]] = []  # messages the bot posted
        self.deleted: set[tuple[int, int]] = set()
        self.commands: dict[str, list[dict[str, Any]]] = {}  # "global" or guild id -> commands
        self.gateway_log: list[tuple[str, int | None, str | None]] = []  # (path, op, t) received
        self.identified = 0
        self.resumed = 0
        self.violations: list[str] = []
        self.rate_limited = 0  # requests answered 429 by the buckets
        self._faults: dict[str, deque[Fault]] = {}
        self._sockets: list[web.WebSocketResponse] = []
        self._seq = itertools.count(1)
        self._session = "fake-session-1"
        self._changed = asyncio.Condition()
        self._runner: web.AppRunner | None = None
        self.port = 0
        self.api_url = ""
        self.gateway_url = ""
        self.dispatched_at: dict[str, float] = {}  # message id -> monotonic time dispatched

    # ---- lifecycle -------------------------------------------------------------------------

    async def start(self) -> FakeDiscord:
        app = web.Application()
        app.router.add_get("/", self._gateway)
        app.router.add_get("/resume", self._gateway)
        app.router.add_route("*", "/api/v10/{tail:.*}", self._rest)
        self._runner = web.AppRunner(app, handler_cancellation=True, shutdown_timeout=0.5)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", self.port)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.api_url = f"http://127.0.0.1:{self.port}/api/v10"
        self.gateway_url = f"ws://127.0.0.1:{self.port}/"
        return self

    async def stop(self) -> None:
        for ws in list(self._sockets):
            await ws.close()
        if self._runner is not None:
            await self._runner.cleanup()

    async def __aenter__(self) -> FakeDiscord:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    def env(self) -> dict[str, str]:
        """The environment that points a bot at this fake."""
        return {
            "DISCORD_TOKEN": self.token,
            "DISCORD_API_URL": self.api_url,
            "DISCORD_GATEWAY_URL": self.gateway_url,
        }

    # ---- test controls: members ------------------------------------------------------------

    def add_channel(self, channel_id: int, name: str) -> None:
        """A text channel (add before the bot connects: it arrives with GUILD_CREATE)."""
        self.guild.channels[channel_id] = {
            "id": str(channel_id),
            "type": 0,
            "name": name,
            "position": len(self.guild.channels),
            "permission_overwrites": [],
            "parent_id": None,
            "topic": None,
            "nsfw": False,
            "rate_limit_per_user": 0,
            "last_message_id": None,
        }

    def member(
        self,
        name: str,
        roles: list[int] | None = None,
        created: datetime | None = None,
        joined: datetime | None = None,
    ) -> FakeMember:
        """A new member of the guild (account created ``created``, default a year ago)."""
        uid = snowflake(created or datetime.now(UTC) - timedelta(days=365))
        user = FakeUser(uid, name)
        self.users[uid] = user
        m = FakeMember(user, list(roles or []))
        if joined is not None:
            m.joined_at = joined
        self.guild.members[uid] = m
        return m

    # ---- test controls: REST ---------------------------------------------------------------

    def fail(self, route: str, fault: Fault, times: int = 1) -> None:
        """The next ``times`` requests matching ``route`` (``"DELETE /channels/"``) fail."""
        self._faults.setdefault(route, deque()).extend([fault] * times)

    def deletions(self) -> dict[int, Call]:
        """Message id -> the answered request that deleted it (single or bulk)."""
        out: dict[int, Call] = {}
        for c in self.calls:
            if c.status >= 400 or not c.path.startswith("/channels/"):
                continue
            if c.method == "DELETE" and "/messages/" in c.path:
                out.setdefault(int(c.path.rsplit("/", 1)[1]), c)
            elif c.method == "POST" and c.path.endswith("/messages/bulk-delete"):
                for m in (c.json or {}).get("messages", []):
                    out.setdefault(int(m), c)
        return out

    async def wait_deleted(self, ids: set[int], within: float = 5.0) -> dict[int, Call]:
        """Wait until every message in ``ids`` was deleted, singly or in bulk."""
        async with self._changed:
            await asyncio.wait_for(
                self._changed.wait_for(lambda: ids <= self.deletions().keys()), within
            )
        return {m: c for m, c in self.deletions().items() if m in ids}

    def calls_of(self, method: str, prefix: str = "") -> list[Call]:
        return [c for c in self.calls if c.method == method and c.path.startswith(prefix)]

    async def wait_for(
        self,
        method: str,
        prefix: str = "",
        where: Callable[[Call], bool] = lambda c: True,
        count: int = 1,
        within: float = 5.0,
        status: int | None = None,
    ) -> list[Call]:
        """Wait until ``count`` requests ``method prefix...`` matching ``where`` were answered."""

        def found() -> list[Call]:
            return [
                c
                for c in self.calls_of(method, prefix)
                if (c.status < 400 if status is None else c.status == status) and where(c)
            ]

        async with self._changed:
            await asyncio.wait_for(self._changed.wait_for(lambda: len(found()) >= count), within)
        return found()

    async def idle(self, seconds: float = 0.3) -> None:
        """Let the bot work for a moment (to show that something did NOT happen)."""
        await asyncio.sleep(seconds)

    # ---- test controls: gateway ------------------------------------------------------------

    async def wait_connected(self, count: int = 1, within: float = 5.0) -> None:
        """Wait until the bot has IDENTIFYed (``count`` sessions) and received GUILD_CREATE."""
        async with self._changed:
            await asyncio.wait_for(
                self._changed.wait_for(lambda: self.identified >= count and self._sockets), within
            )

    async def wait_resumed(self, count: int = 1, within: float = 10.0) -> None:
        async with self._changed:
            await asyncio.wait_for(self._changed.wait_for(lambda: self.resumed >= count), within)

    async def dispatch(self, event: str, data: dict[str, Any]) -> None:
        """Send a DISPATCH (op 0) to every connected client."""
        payload = {"op": 0, "t": event, "s": next(self._seq), "d": data}
        await self._broadcast(payload)

    async def send_op(self, op: int, d: Any = None) -> None:
        await self._broadcast({"op": op, "d": d})

    async def reconnect(self) -> None:
        """op 7: Discord asks the client to reconnect and RESUME."""
        await self.send_op(7)

    async def _broadcast(self, payload: dict[str, Any]) -> None:
        text = json.dumps(payload)
        for ws in list(self._sockets):
            if not ws.closed:
                await ws.send_str(text)

    def message_payload(
        self,
        author: FakeMember,
        content: str,
        channel_id: int = GENERAL_ID,
        message_id: int | None = None,
        mentions: list[FakeMember] | None = None,
        mention_everyone: bool = False,
        attachments: list[dict[str, Any]] | None = None,
        reply_to: int | None = None,
        edited: datetime | None = None,
    ) -> dict[str, Any]:
        """A full MESSAGE_CREATE / MESSAGE_UPDATE payload, as Discord sends it."""
        mid = message_id if message_id is not None else snowflake()
        data: dict[str, Any] = {
            "id": str(mid),
            "channel_id": str(channel_id),
            "guild_id": str(self.guild.id),
            "author": author.user.payload(),
            "member": author.payload(with_user=False),
            "content": content,
            "timestamp": iso(datetime.now(UTC)),
            "edited_timestamp": iso(edited) if edited else None,
            "tts": False,
            "mention_everyone": mention_everyone,
            "mentions": [
                {**m.user.payload(), "member": m.payload(with_user=False)} for m in mentions or []
            ],
            "mention_roles": [],
            "mention_channels": [],
            "attachments": attachments or [],
            "embeds": [],
            "reactions": [],
            "pinned": False,
            "type": 19 if reply_to else 0,
            "flags": 0,
            "components": [],
            "nonce": None,
        }
        if reply_to is not None:
            data["message_reference"] = {
                "type": 0,
                "message_id": str(reply_to),
                "channel_id": str(channel_id),
                "guild_id": str(self.guild.id),
            }
            data["referenced_message"] = None
        return data

    async def send_message(self, author: FakeMember, content: str, **kw: Any) -> int:
        """Dispatch MESSAGE_CREATE; returns the message id."""
        data = self.message_payload(author, content, **kw)
        self.dispatched_at[data["id"]] = time.monotonic()
        await self.dispatch("MESSAGE_CREATE", data)
        return int(data["id"])

    async def edit_message(self, author: FakeMember, message_id: int, content: str) -> None:
        """Dispatch a full MESSAGE_UPDATE for an edit of ``message_id``."""
        data = self.message_payload(
            author, content, message_id=message_id, edited=datetime.now(UTC)
        )
        await self.dispatch("MESSAGE_UPDATE", data)

    async def member_join(self, member: FakeMember) -> None:
        await self.dispatch(
            "GUILD_MEMBER_ADD", {**member.payload(), "guild_id": str(self.guild.id)}
        )

    # ---- gateway -----------------------------------------------------------------------------

    async def _gateway(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(autoping=True)
        await ws.prepare(request)
        if request.query.get("v") != "10" or request.query.get("encoding") != "json":
            self.violations.append(f"gateway query {dict(request.query)}")
        await ws.send_str(json.dumps({"op": 10, "d": {"heartbeat_interval": 41250}}))
        self._sockets.append(ws)
        try:
            async for msg in ws:
                if msg.type != WSMsgType.TEXT:
                    continue
                data = json.loads(msg.data)
                op = data.get("op")
                self.gateway_log.append((request.path, op, data.get("t")))
                await self._on_op(ws, request.path, op, data.get("d"))
        finally:
            if ws in self._sockets:
                self._sockets.remove(ws)
        return ws

    async def _send(self, ws: web.WebSocketResponse, event: str, data: Any) -> None:
        await ws.send_str(json.dumps({"op": 0, "t": event, "s": next(self._seq), "d": data}))

    async def _on_op(self, ws: web.WebSocketResponse, path: str, op: int, d: Any) -> None:
        if op == 1:  # heartbeat
            await ws.send_str(json.dumps({"op": 11}))
        elif op == 2:  # IDENTIFY
            if d.get("token") != self.token:
                await ws.close(code=4004, message=b"Authentication failed.")
                return
            if not d.get("intents", 0) & (1 << 15):
                self.violations.append("IDENTIFY without the message content intent")
            ready = {
                "v": 10,
                "user": {**self.me.payload(), "verified": True, "mfa_enabled": False, "flags": 0},
                "guilds": [{"id": str(self.guild.id), "unavailable": True}],
                "session_id": self._session,
                "resume_gateway_url": self.gateway_url + "resume",
                "application": {"id": str(APP_ID), "flags": 0},
                "private_channels": [],
                "relationships": [],
            }
            await self._send(ws, "READY", ready)
            # Like a large guild: only the bot and the owner in GUILD_CREATE, the rest on request.
            shown = [self.guild.members[BOT_ID], self.guild.members[OWNER_ID]]
            await self._send(ws, "GUILD_CREATE", self.guild.payload(shown))
            self.identified += 1
            async with self._changed:
                self._changed.notify_all()
        elif op == 6:  # RESUME
            if d.get("session_id") != self._session or d.get("token") != self.token:
                await ws.send_str(json.dumps({"op": 9, "d": False}))
                return
            await self._send(ws, "RESUMED", {})
            self.resumed += 1
            async with self._changed:
                self._changed.notify_all()
        elif op == 8:  # REQUEST_GUILD_MEMBERS
            chunk = {
                "guild_id": str(self.guild.id),
                "members": [m.payload() for m in self.guild.members.values()],
                "chunk_index": 0,
                "chunk_count": 1,
                "not_found": [],
            }
            if d.get("nonce"):
                chunk["nonce"] = d["nonce"]
            await self._send(ws, "GUILD_MEMBERS_CHUNK", chunk)

    # ---- REST --------------------------------------------------------------------------------

    def _json(self, data: Any, status: int = 200, **headers: str) -> web.Response:
        return web.Response(
            body=json.dumps(data).encode(),
            status=status,
            headers={"Content-Type": _JSON, **headers},
        )

    async def _rest(self, request: web.Request) -> web.StreamResponse:
        path = "/" + request.match_info["tail"]
        body: Any = None
        if request.can_read_body:
            raw = await request.read()
            if raw:
                try:
                    body = json.loads(raw)
                except ValueError:
                    body = raw.decode(errors="replace")
        call = Call(
            request.method,
            path,
            dict(request.query),
            dict(request.headers),
            body,
            time.monotonic(),
        )
        self.calls.append(call)
        limited, headers = self._ratelimit(call)
        try:
            response = limited or await self._route(call)
        except Exception as exc:  # a fake bug should read as a 500 in the test, not hang it
            self.violations.append(f"fake crashed on {call.method} {path}: {exc!r}")
            response = self._json({"code": 0, "message": str(exc)}, 500)
        if response.status != 429 or limited is not None:
            response.headers.update(headers)
        call.status = response.status
        async with self._changed:
            self._changed.notify_all()
        return response

    def _ratelimit(self, call: Call) -> tuple[web.Response | None, dict[str, str]]:
        """Count the request in its bucket; a 429 when the bucket is empty."""
        parts = call.path.strip("/").split("/")
        major = (
            parts[1] if parts[0] in ("channels", "guilds", "webhooks") and len(parts) > 1 else ""
        )
        template = "/".join("{id}" if p.isdigit() else p for p in parts)
        key = f"{call.method} {template} {major}"
        now = time.monotonic()
        start, count = self._buckets.get(key, (now, 0))
        if now - start >= self.bucket_window:
            start, count = now, 0
        count += 1
        self._buckets[key] = (start, count)
        reset_after = max(self.bucket_window - (now - start), 0.001)
        headers = {
            "X-RateLimit-Limit": str(self.bucket_limit),
            "X-RateLimit-Remaining": str(max(self.bucket_limit - count, 0)),
            "X-RateLimit-Reset-After": f"{reset_after:.3f}",
            "X-RateLimit-Reset": f"{time.time() + reset_after:.3f}",
            "X-RateLimit-Bucket": f"{abs(hash((call.method, template))):x}",
        }
        if count <= self.bucket_limit:
            return None, headers
        self.rate_limited += 1
        body = {"message": "You are being rate limited.", "retry_after": reset_after}
        body["global"] = False
        return self._json(body, 429, Via="1.1 google", **headers), headers

    async def _route(self, call: Call) -> web.Response:
        path, method = call.path, call.method
        open_route = path.startswith(("/interactions/", "/webhooks/"))
        if not open_route and call.headers.get("Authorization") != f"Bot {self.token}":
            return self._json({"code": 0, "message": "401: Unauthorized"}, 401)
        for route, faults in self._faults.items():
            m, _, prefix = route.partition(" ")
            if faults and m == method and path.startswith(prefix):
                fault = faults.popleft()
                headers = {"Via": "1.1 google"} if fault.via else {}
                if fault.retry_after is not None:
                    headers["Retry-After"] = str(fault.retry_after)
                return self._json(fault.body(), fault.status, **headers)
        parts = path.strip("/").split("/")
        g = self.guild
        if method == "GET" and path == "/users/@me":
            return self._json({**self.me.payload(), "verified": True, "flags": 0})
        if method == "GET" and path == "/oauth2/applications/@me":
            return self._json(
                {
                    "id": str(APP_ID),
                    "name": "Modbot",
                    "description": "",
                    "icon": None,
                    "bot_public": True,
                    "bot_require_code_grant": False,
                    "owner": self.owner.payload(),
                    "verify_key": "0" * 64,
                    "flags": 0,
                    "team": None,
                }
            )
        if method == "GET" and path in ("/gateway", "/gateway/bot"):
            return self._json(
                {
                    "url": self.gateway_url,
                    "shards": 1,
                    "session_start_limit": {
                        "total": 1000,
                        "remaining": 999,
                        "reset_after": 0,
                        "max_concurrency": 1,
                    },
                }
            )
        if parts[0] == "channels" and len(parts) >= 3 and parts[2] == "messages":
            cid = int(parts[1])
            if cid not in g.channels:
                return self._json({"code": 10003, "message": "Unknown Channel"}, 404)
            if method == "POST" and parts[3:] == ["bulk-delete"]:
                ids = [int(m) for m in (call.json or {}).get("messages", [])]
                if not 2 <= len(ids) <= 100:
                    return self._json({"code": 50016, "message": "2 to 100 messages"}, 400)
                self.deleted.update((cid, m) for m in ids)
                return web.Response(status=204)
            if method == "POST" and len(parts) == 3:
                problem = message_problem(call.json or {})
                if problem:
                    self.violations.append(f"POST {path}: {problem}")
                    return self._json(
                        {"code": 50035, "message": f"Invalid Form Body: {problem}"}, 400
                    )
                return self._json(self._post_message(cid, call.json or {}))
            if method == "DELETE" and len(parts) == 4:
                key = (cid, int(parts[3]))
                if key in self.deleted:
                    return self._json(UNKNOWN_MESSAGE.body(), 404)
                self.deleted.add(key)
                return web.Response(status=204)
        if parts[0] == "guilds" and len(parts) >= 2 and int(parts[1]) == g.id:
            return self._guild_route(call, parts[2:])
        if parts[0] == "applications" and method == "PUT" and parts[-1] == "commands":
            scope = parts[3] if len(parts) == 5 else "global"
            problems = command_problems(call.json or [])
            if problems:
                self.violations.extend(problems)
                return self._json(
                    {"code": 50035, "message": "Invalid Form Body", "errors": problems}, 400
                )
            # Discord answers with every field set: context menus get an empty description.
            saved = [
                {
                    "type": 1,
                    "description": "",
                    **c,
                    "id": str(snowflake()),
                    "application_id": str(APP_ID),
                    "version": "1",
                }
                for c in call.json or []
            ]
            self.commands[scope] = saved
            return self._json(saved)
        if parts[0] == "applications" and method == "GET" and parts[-1] == "commands":
            scope = parts[3] if len(parts) == 5 else "global"
            return self._json(self.commands.get(scope, []))
        if parts[0] == "interactions" and parts[-1] == "callback":
            return web.Response(status=204)
        return self._json({"code": 0, "message": f"404: Not Found ({method} {path})"}, 404)

    def _post_message(self, channel_id: int, body: dict[str, Any]) -> dict[str, Any]:
        bot = self.guild.members[BOT_ID]
        data = self.message_payload(bot, body.get("content") or "", channel_id=channel_id)
        data["embeds"] = body.get("embeds") or []
        if body.get("message_reference"):
            data["message_reference"] = body["message_reference"]
            data["type"] = 19
            data["referenced_message"] = None
        self.sent.append({**data, "request": body})
        return data

    def _guild_route(self, call: Call, rest: list[str]) -> web.Response:
        g, method = self.guild, call.method
        if len(rest) == 2 and rest[0] == "members":
            uid = int(rest[1])
            member = g.members.get(uid)
            if member is None:
                return self._json({"code": 10007, "message": "Unknown Member"}, 404)
            if method == "GET":
                return self._json(member.payload())
            if method == "PATCH":
                body = call.json or {}
                if "communication_disabled_until" in body:
                    until = body["communication_disabled_until"]
                    if until is not None:
                        end = datetime.fromisoformat(until)
                        if end.tzinfo is None:
                            self.violations.append(f"naive timeout end {until}")
                            end = end.replace(tzinfo=UTC)
                        now = datetime.now(UTC)
                        if end > now + MAX_TIMEOUT + timedelta(seconds=5):
                            return self._json(
                                {
                                    "code": 50035,
                                    "message": "Invalid Form Body",
                                    "errors": {"communication_disabled_until": {}},
                                },
                                400,
                            )
                    member.timeout_until = until
                return self._json(member.payload())
            if method == "DELETE":
                g.kicked.append(uid)
                del g.members[uid]
                return web.Response(status=204)
        if len(rest) == 2 and rest[0] == "bans":
            uid = int(rest[1])
            if method == "PUT":
                if call.json:
                    self.violations.append("ban with a JSON body (discord.py sends a query)")
                g.bans[uid] = dict(call.query)
                g.members.pop(uid, None)
                return web.Response(status=204)
            if method == "DELETE":
                if g.bans.pop(uid, None) is None:
                    return self._json({"code": 10026, "message": "Unknown Ban"}, 404)
                return web.Response(status=204)
        if rest == ["commands"] or (len(rest) == 0):
            return self._json(g.payload())
        return self._json({"code": 0, "message": "404: Not Found"}, 404)
