"""DiscordPlatform: a discord.py client in the shared loop, translating events and actions."""

from __future__ import annotations

import asyncio
import contextlib
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Iterable, Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import discord
import structlog
import yarl
from discord import app_commands

from bot.events import Event, MessageRef, PlatformName
from bot.i18n import t
from bot.platforms.base import FailureKind, LogEntry, LogReceipt, PlatformError
from bot.platforms.discord.convert import edit_needs_check, to_join, to_message
from bot.platforms.discord.errors import translated
from bot.platforms.discord.hierarchy import ensure_actionable
from bot.platforms.discord.render import render
from bot.platforms.logbatch import Limits, LogBatcher

if TYPE_CHECKING:
    from bot.config import Settings
    from bot.moderation.pipeline import Pipeline
    from bot.platforms.discord.commands import DiscordCommands

__all__ = ["MAX_TIMEOUT", "DiscordPlatform", "configure_endpoints", "create", "intents"]

log = structlog.get_logger("bot.platforms.discord")

EventHandler = Callable[[Event], Awaitable[object]]
# Discord refuses a timeout ending more than 28 days ahead; a minute of slack absorbs clock skew
# between us and Discord, so a clamped mute never bounces with 400.
MAX_TIMEOUT = timedelta(days=28)
_TIMEOUT_SLACK = timedelta(minutes=1)
_MAX_DELETE_SECONDS = 7 * 24 * 3600  # Discord's limit for delete_message_seconds on a ban
_BULK_MAX = 100  # Discord's bulk-delete takes 2 to 100 messages...
_BULK_MAX_AGE = timedelta(days=13)  # ...younger than 14 days (a day of slack)
_SEEN_EDITS = 10_000  # message ids whose checked text we remember, to skip non-text updates


def intents() -> discord.Intents:
    """Guilds, members (joins, roles), guild messages and message content (privileged)."""
    wanted = discord.Intents.none()
    wanted.guilds = True
    wanted.members = True
    wanted.guild_messages = True
    wanted.message_content = True
    return wanted


def configure_endpoints(api_url: str | None, gateway_url: str | None) -> None:
    """Point discord.py at another REST root / gateway (a proxy, or a test's fake server).

    discord.py has no constructor option for this; ``Route.BASE`` also covers interactions and
    webhooks, and a plain ``Client`` dials ``DEFAULT_GATEWAY`` (it never asks ``/gateway/bot``).
    """
    if api_url:
        discord.http.Route.BASE = api_url.rstrip("/")
    if gateway_url:
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(gateway_url)


# At stop, how long the pipeline's background posts may take before the HTTP session closes (the
# app gives a platform 4 s to stop; what is left stays pending and is replayed at the next start).
DRAIN_TIMEOUT = 2.5
# Then how long the queued log entries may take to go out (bot/platforms/logbatch.py).
LOG_FLUSH_TIMEOUT = 1.0
# One message holds at most 10 embeds, and 6,000 characters across all of them (discord.py's
# ``len(embed)`` counts exactly what Discord counts: title, description, fields, footer, author).
LOG_LIMITS = Limits(entries=10, size=6000)


class _Client(discord.Client):
    """The discord.py client; every event goes straight to the platform."""

    def __init__(self, platform: DiscordPlatform, **options: Any) -> None:
        super().__init__(intents=intents(), **options)
        self.platform = platform

    async def setup_hook(self) -> None:
        await self.platform._sync_commands()

    async def on_ready(self) -> None:
        self.platform._ready.set()
        log.info(
            "discord_ready", guilds=len(self.guilds), user=str(self.user.id if self.user else "")
        )

    async def on_message(self, message: discord.Message) -> None:
        await self.platform._on_message(message)

    async def on_raw_message_edit(self, payload: discord.RawMessageUpdateEvent) -> None:
        await self.platform._on_edit(payload)

    async def on_member_join(self, member: discord.Member) -> None:
        await self.platform._on_join(member)

    async def on_resumed(self) -> None:
        log.info("discord_resumed")

    async def on_error(self, event_method: str, /, *args: Any, **kwargs: Any) -> None:
        log.exception("discord_handler_failed", handler=event_method)


class DiscordPlatform:
    """Implements ``Platform`` for Discord and feeds gateway events to ``handler``.

    ``log_channel`` and ``moderator_roles`` are read at each use so a /reload of the rules file
    takes effect at once. Start with ``await start()`` in the running loop (never ``run()``, which
    would own the loop), stop with ``await close()``.
    """

    name = PlatformName.DISCORD

    def __init__(
        self,
        token: str,
        handler: EventHandler | None = None,
        *,
        api_url: str | None = None,
        gateway_url: str | None = None,
        guild_ids: Sequence[int] = (),
        log_channel: Callable[[], str | None] = lambda: None,
        moderator_roles: Callable[[], Iterable[str]] = lambda: (),
        guild_ready_timeout: float = 2.0,
    ) -> None:
        self._token = token
        self.handler = handler
        self.api_url = api_url
        self.gateway_url = gateway_url
        self.guild_ids = tuple(guild_ids)
        self.log_channel = log_channel
        self.moderator_roles = moderator_roles
        self.client = _Client(
            self,
            guild_ready_timeout=guild_ready_timeout,
            max_messages=1000,
            allowed_mentions=discord.AllowedMentions(everyone=False, roles=False, users=True),
        )
        self.tree = app_commands.CommandTree(self.client)
        self._guard_parsers()
        self._ready = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._checked: OrderedDict[int, str] = OrderedDict()
        self.skipped_events = 0
        self._locks: dict[tuple[int, int], asyncio.Lock] = {}
        self.commands: DiscordCommands | None = None
        self._delete_queue: dict[int, list[tuple[int, str, asyncio.Future[None]]]] = {}
        self._deleting: set[int] = set()
        self._drains: set[asyncio.Task[None]] = set()
        self._drain_pipeline: Callable[[], Awaitable[None]] | None = None
        self._language: Callable[[], str] = lambda: "en"
        self.logs: LogBatcher[discord.Embed] = LogBatcher(
            self._post_embeds,
            lambda entry: render(entry, discord.utils.utcnow()),
            len,
            LOG_LIMITS,
            language=lambda: self._language(),
        )

    # ---- lifecycle ---------------------------------------------------------------------------

    @property
    def bot_id(self) -> str | None:
        """The bot's own user id once logged in."""
        user = self.client.user
        return str(user.id) if user is not None else None

    async def start(self, pipeline: Pipeline | None = None) -> None:
        """Log in (raises on a bad token), then keep the gateway connection in a background task.

        With a ``pipeline`` (the app's registration point), events go to ``pipeline.handle`` and
        the log channel and moderator roles are read from its current rules.
        """
        if pipeline is not None:
            self._drain_pipeline = pipeline.drain
            self.handler = pipeline.handle
            self.log_channel = lambda: pipeline.ruleset.channels.log.get("discord")
            self.moderator_roles = lambda: pipeline.ruleset.roles.moderators
            self._language = lambda: pipeline.ruleset.community.language
            if self.commands is None:
                from bot.platforms.discord.commands import MenuNames, install

                # Added before login: setup_hook syncs the tree. The activity the commands keep
                # (purge, stats) sees every event first.
                self.commands = install(self, pipeline)
                # The message menus' names in other languages (name_localizations) at sync.
                await self.tree.set_translator(MenuNames())
            self.handler = self.commands.context.observing(pipeline.handle)
        configure_endpoints(self.api_url, self.gateway_url)
        await self.client.login(self._token)
        self._task = asyncio.create_task(self._connect(), name="discord-gateway")
        log.info("discord_started", bot=self.bot_id, guild_ids=[str(g) for g in self.guild_ids])

    async def _connect(self) -> None:
        try:
            await self.client.connect(reconnect=True)
        except asyncio.CancelledError:
            raise
        except discord.PrivilegedIntentsRequired:
            log.error(
                "discord_intents_missing",
                fix="enable the Server Members and Message Content intents in the developer portal",
            )
        except Exception:
            log.exception("discord_connection_lost")

    async def wait_ready(self, timeout: float | None = None) -> None:  # noqa: ASYNC109
        """Wait for discord.py's ``on_ready`` (guilds received and members chunked)."""
        await asyncio.wait_for(self._ready.wait(), timeout)

    async def stop(self) -> None:
        """The app's name for ``close``."""
        await self.close()

    async def close(self) -> None:
        """Close the gateway and the HTTP session."""
        if self.commands is not None:
            await self.commands.context.flush()
        if self._drain_pipeline is not None and not self.client.is_closed():
            # Warnings and log entries the pipeline still sends in the background go out first.
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(DRAIN_TIMEOUT):
                    await self._drain_pipeline()
        # The entries the drain queued included; what cannot go out in time is counted in the log.
        await self.logs.close(LOG_FLUSH_TIMEOUT)
        await self.client.close()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task
        log.info("discord_stopped")

    async def _sync_commands(self) -> None:
        """Register the slash-command tree: per guild when ``guild_ids`` is set (shown at once),
        plus the global commands: every command without ``guild_ids``, else only the DM copies of
        ``/appeal`` and ``/mycases`` (only global commands work in a DM with the bot). Discord
        clients may take a while (up to an hour) to show changed global commands."""
        try:
            for gid in self.guild_ids:
                synced = await self.tree.sync(guild=discord.Object(id=gid))
                log.info("discord_commands_synced", guild=str(gid), commands=len(synced))
            synced = await self.tree.sync()
            log.info("discord_commands_synced", guild=None, commands=len(synced))
        except discord.HTTPException as exc:
            # Without the applications.commands scope the bot still moderates; say how to fix it.
            log.warning("discord_commands_sync_failed", status=exc.status, error=exc.text)

    def _guard_parsers(self) -> None:
        """Make every gateway parser survive a malformed payload.

        discord.py calls its parsers without a try: one bad event (a partial MESSAGE_UPDATE, an
        INTERACTION_CREATE without ``attachment_size_limit``) raises out of the gateway task and
        ends the connection. The parsers dict is shared with every websocket the client opens.
        """
        parsers: dict[str, Callable[[Any], None]] = self.client._connection.parsers

        def guarded(event: str, parse: Callable[[Any], None]) -> Callable[[Any], None]:
            def run(data: Any) -> None:
                try:
                    parse(data)
                except Exception as exc:
                    self.skipped_events += 1
                    keys = sorted(data)[:20] if isinstance(data, dict) else type(data).__name__
                    log.warning(
                        "discord_event_malformed", gateway_event=event, error=repr(exc), keys=keys
                    )

            return run

        for event, parse in list(parsers.items()):
            parsers[event] = guarded(event, parse)

    # ---- events in ---------------------------------------------------------------------------

    async def _emit(self, event: Event, key: tuple[int, int] | None = None) -> None:
        if self.handler is None:
            return
        try:
            if key is None:
                await self.handler(event)
                return
            # discord.py runs each event in its own task: keep one member's messages in order
            # (history, strikes) while different members are handled concurrently.
            lock = self._locks.get(key)
            if lock is None:
                if len(self._locks) > 10_000:
                    self._locks = {k: v for k, v in self._locks.items() if v.locked()}
                lock = self._locks[key] = asyncio.Lock()
            async with lock:
                await self.handler(event)
        except Exception:
            # One failing event must not stop the next; the pipeline logs its own details.
            log.exception("discord_event_failed", kind=type(event).__name__)

    def _remember(self, message_id: int, content: str) -> None:
        self._checked[message_id] = content
        self._checked.move_to_end(message_id)
        while len(self._checked) > _SEEN_EDITS:
            self._checked.popitem(last=False)

    async def _on_message(self, message: discord.Message) -> None:
        event = to_message(message, self.moderator_roles())
        if event is None:
            return
        self._remember(message.id, message.content)
        await self._emit(event, _member_key(message))

    async def _on_edit(self, payload: discord.RawMessageUpdateEvent) -> None:
        after = payload.message
        before = self._checked.get(after.id)
        if before is None and payload.cached_message is not None:
            before = payload.cached_message.content
        if not edit_needs_check(before, after):
            return
        event = to_message(after, self.moderator_roles(), edited=True)
        if event is None:
            return
        self._remember(after.id, after.content)
        await self._emit(event, _member_key(after))

    async def _on_join(self, member: discord.Member) -> None:
        if member.bot:
            return
        await self._emit(to_join(member, self.moderator_roles()))

    # ---- actions out ---------------------------------------------------------------------------

    async def _check_target(self, community_id: str, user_id: str) -> None:
        """Refuse the owner, the bot and members whose top role is not below the bot's."""
        guild = self.client.get_guild(int(community_id))
        uid = int(user_id)
        if guild is None:
            if self.bot_id == user_id:
                raise PlatformError(FailureKind.REFUSED, "the target is the bot itself")
            return  # not in our cache: Discord's own hierarchy check still applies
        member = guild.get_member(uid)
        if member is None and uid != guild.owner_id:
            try:
                with translated("fetch member"):
                    member = await guild.fetch_member(uid)
            except PlatformError as exc:
                if exc.kind is not FailureKind.NOT_FOUND:
                    raise
                member = None  # not a member (a ban of someone who left)
        ensure_actionable(guild, uid, member)

    async def delete_message(self, ref: MessageRef, reason: str) -> None:
        """Delete one message; deletes queued in a channel meanwhile go out as one bulk delete.

        Discord's per-channel delete bucket is small: during a raid, one request per message
        would queue behind the rate limit for seconds. While a delete is in flight, later ones
        for the same channel wait and are then sent together (``bulk-delete``, up to 100).
        """
        channel_id = int(ref.channel_id)
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._delete_queue.setdefault(channel_id, []).append((int(ref.message_id), reason, future))
        if channel_id not in self._deleting:
            self._deleting.add(channel_id)
            task = asyncio.create_task(
                self._drain_deletes(channel_id), name=f"discord-deletes-{channel_id}"
            )
            self._drains.add(task)  # a reference, so the task is not collected mid-flight
            task.add_done_callback(self._drains.discard)
        await future

    async def _drain_deletes(self, channel_id: int) -> None:
        queue = self._delete_queue[channel_id]
        try:
            while queue:
                batch, queue[:] = queue[:_BULK_MAX], queue[_BULK_MAX:]
                fresh = discord.utils.utcnow() - _BULK_MAX_AGE
                bulk = [d for d in batch if discord.utils.snowflake_time(d[0]) > fresh]
                single = [d for d in batch if d not in bulk]
                if len(bulk) >= 2:
                    single.extend(await self._bulk_delete(channel_id, bulk))
                else:
                    single.extend(bulk)
                for item in single:
                    await self._delete_one(channel_id, *item)
        finally:
            self._deleting.discard(channel_id)
            if not queue:
                self._delete_queue.pop(channel_id, None)

    async def _delete_one(
        self, channel_id: int, message_id: int, reason: str, future: asyncio.Future[None]
    ) -> None:
        try:
            with translated("delete message"):
                await self.client.http.delete_message(
                    channel_id, message_id, reason=_reason(reason)
                )
        except PlatformError as exc:
            _settle(future, exc)
        except Exception as exc:  # the waiting executor records it; the drain goes on
            _settle(future, exc)
        else:
            _settle(future, None)

    async def _bulk_delete(
        self, channel_id: int, batch: list[tuple[int, str, asyncio.Future[None]]]
    ) -> list[tuple[int, str, asyncio.Future[None]]]:
        """One bulk delete; returns what must be retried one by one (when Discord refused it)."""
        reasons = "; ".join(dict.fromkeys(r for _, r, _ in batch))
        try:
            with translated("bulk delete messages"):
                await self.client.http.delete_messages(
                    channel_id, [m for m, _, _ in batch], reason=_reason(reasons)
                )
        except PlatformError as exc:
            if exc.kind in (FailureKind.INVALID, FailureKind.NOT_FOUND):
                return batch  # e.g. one message too old or gone: fall back to single deletes
            for _, _, future in batch:
                _settle(future, exc)
            return []
        log.info("discord_bulk_delete", channel=str(channel_id), messages=len(batch))
        for _, _, future in batch:
            _settle(future, None)
        return []

    async def send_message(
        self,
        community_id: str,
        channel_id: str,
        text: str,
        reply_to: str | None = None,
        thread_id: str | None = None,
    ) -> str | None:
        # ``thread_id`` is Telegram's forum topic; a Discord thread is a channel of its own.
        channel = self.client.get_partial_messageable(int(channel_id), guild_id=int(community_id))
        reference = None
        if reply_to is not None:
            # The replied-to message may be deleted meanwhile: post anyway, without the reply.
            reference = discord.MessageReference(
                message_id=int(reply_to),
                channel_id=int(channel_id),
                guild_id=int(community_id),
                fail_if_not_exists=False,
            )
        with translated("send message"):
            sent = await channel.send(text[:2000], reference=reference)  # type: ignore[arg-type]
        return str(sent.id)

    async def mute(self, community_id: str, user_id: str, until: datetime, reason: str) -> datetime:
        """Time the member out until ``until`` (clamped to 28 days); returns the real end."""
        await self._check_target(community_id, user_id)
        now = discord.utils.utcnow()
        end = min(until, now + MAX_TIMEOUT - _TIMEOUT_SLACK)
        if end < until:
            log.info(
                "discord_timeout_clamped",
                member=user_id,
                wanted=until.isoformat(),
                until=end.isoformat(),
            )
        with translated("timeout member"):
            await self.client.http.edit_member(
                int(community_id),
                int(user_id),
                reason=_reason(reason),
                communication_disabled_until=end.isoformat(),
            )
        return end

    async def unmute(self, community_id: str, user_id: str, reason: str) -> None:
        with translated("remove timeout"):
            await self.client.http.edit_member(
                int(community_id),
                int(user_id),
                reason=_reason(reason),
                communication_disabled_until=None,
            )

    async def kick(self, community_id: str, user_id: str, reason: str) -> None:
        await self._check_target(community_id, user_id)
        with translated("kick member"):
            await self.client.http.kick(int(user_id), int(community_id), reason=_reason(reason))

    async def ban(
        self,
        community_id: str,
        user_id: str,
        until: datetime | None,
        reason: str,
        delete_message_seconds: int = 0,
    ) -> None:
        """Ban (Discord bans are permanent; a temporary ban is lifted by the scheduler)."""
        await self._check_target(community_id, user_id)
        seconds = max(0, min(int(delete_message_seconds), _MAX_DELETE_SECONDS))
        with translated("ban member"):
            await self.client.http.ban(
                int(user_id), int(community_id), seconds, reason=_reason(reason)
            )

    async def unban(self, community_id: str, user_id: str, reason: str) -> None:
        with translated("unban member"):
            await self.client.http.unban(int(user_id), int(community_id), reason=_reason(reason))

    def appeal_hint(self, language: str, case_id: int) -> str:
        """/appeal in the server or in a DM with the bot: a timed-out member cannot use commands
        in the server, only in the DM."""
        return t("auto.appeal_hint_discord", language, case=case_id)

    async def post_log(self, community_id: str, entry: LogEntry) -> LogReceipt | None:
        """Queue ``entry`` for ``channels.log.discord`` (None when none is set); it goes out as
        an embed, up to 10 to a message (``self.logs``). Never blocks, never raises."""
        if not self.log_channel():
            log.debug("discord_no_log_channel", community=community_id)
            return None
        return self.logs.submit(community_id, entry)

    async def _post_embeds(self, community_id: str, embeds: list[discord.Embed]) -> None:
        """One message of log embeds in the log channel (the batcher's sender)."""
        channel_id = self.log_channel()
        if not channel_id:
            return  # unset by a /reload meanwhile
        channel = self.client.get_partial_messageable(int(channel_id), guild_id=int(community_id))
        with translated("post to the log channel"):
            await channel.send(embeds=embeds)


def create(settings: Settings) -> DiscordPlatform:
    """The app's constructor (``bot.app.ADAPTERS``): token, endpoints, guild ids."""
    assert settings.discord_token is not None  # the app only creates platforms with a token
    return DiscordPlatform(
        settings.discord_token,
        api_url=settings.discord_api_url,
        gateway_url=settings.discord_gateway_url,
        guild_ids=settings.discord_guild_ids,
    )


def _settle(future: asyncio.Future[None], error: BaseException | None) -> None:
    if future.done():
        return  # the waiting executor was cancelled (shutdown)
    if error is None:
        future.set_result(None)
    else:
        future.set_exception(error)


def _member_key(message: discord.Message) -> tuple[int, int]:
    return (message.guild.id if message.guild else 0, message.author.id)


def _reason(reason: str) -> str | None:
    # The audit-log header holds at most 512 characters; discord.py URL-encodes it.
    return reason[:512] or None
