"""TelegramPlatform: python-telegram-bot started and stopped by hand so it shares the loop."""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from html import unescape
from typing import TYPE_CHECKING, Any, Protocol, cast

import structlog
from telegram import ChatPermissions, LinkPreviewOptions, ReplyParameters, Update
from telegram.constants import MessageLimit, ParseMode
from telegram.error import TelegramError
from telegram.ext import Application, ContextTypes, ExtBot, TypeHandler

from bot.events import Event, PlatformName
from bot.i18n import t
from bot.platforms.base import FailureKind, LogEntry, LogReceipt, MessageRef, PlatformError
from bot.platforms.logbatch import Limits, LogBatcher
from bot.platforms.telegram.admins import AdminCache, ChatStaff
from bot.platforms.telegram.convert import group_message, member_event, message_event
from bot.platforms.telegram.errors import call
from bot.platforms.telegram.render import APPEAL_PAYLOAD, log_html, start_link, text_html
from bot.platforms.telegram.request import AiohttpRequest

if TYPE_CHECKING:
    from bot.config import Settings
    from bot.moderation.pipeline import Pipeline
    from bot.platforms.telegram.commands import TelegramCommands

log = structlog.get_logger("bot.platforms.telegram")

EventHandler = Callable[[Event], Awaitable[object]]


class _Pipeline(Protocol):
    """What the adapter needs from ``bot.moderation.pipeline.Pipeline``."""

    ruleset: Any

    async def handle(self, event: Event) -> object: ...


TELEGRAM_API = "https://api.telegram.org"
ALLOWED_UPDATES = (
    Update.MESSAGE,
    Update.EDITED_MESSAGE,
    Update.CHANNEL_POST,
    Update.EDITED_CHANNEL_POST,
    Update.CALLBACK_QUERY,
    Update.MY_CHAT_MEMBER,
    Update.CHAT_MEMBER,  # joins arrive only when asked for explicitly
)
# Telegram treats a restriction or ban shorter than 30 s as permanent; the scheduler lifts short
# mutes itself, so the platform-side end only needs to be safely in the future.
_MIN_RESTRICTION = timedelta(seconds=35)
_NO_PERMISSIONS = ChatPermissions.no_permissions()
# At stop, how long the pipeline's background posts may take (the app gives a platform 4 s to stop).
DRAIN_TIMEOUT = 2.5
# Then how long the queued log entries may take to go out (bot/platforms/logbatch.py).
LOG_FLUSH_TIMEOUT = 1.0
# Log entries share a message, a blank line apart, up to Telegram's 4,096 characters of text after
# HTML parsing (``_visible_len``: tags dropped, entities decoded, counted in UTF-16 code units as
# Telegram counts offsets, which is never less than the characters).
LOG_SEPARATOR = "\n\n"
_TAG = re.compile(r"<[^>]*>")
# Telegram's answers when a forum topic cannot be posted in ("message thread not found",
# "TOPIC_CLOSED", "TOPIC_DELETED"...): the post then goes to General.
_TOPIC_GONE = re.compile(r"thread|topic", re.IGNORECASE)
LOG_LIMITS = Limits(entries=50, size=MessageLimit.MAX_TEXT_LENGTH, separator=len(LOG_SEPARATOR))


class _TolerantBot(ExtBot[None]):
    """An ExtBot whose ``getUpdates`` skips updates PTB cannot parse instead of failing the batch.

    PTB 22 parses strictly and, when one update in a batch does not parse, logs and fetches the
    same batch again forever: one malformed update would stop all moderation. The common case
    parses once, as PTB does; only a failing batch is parsed again update by update.
    """

    _raw_updates: list[Any] | None = None

    async def _post(self, endpoint: str, data: dict[str, Any] | None = None, **kwargs: Any) -> Any:
        result = await super()._post(endpoint, data, **kwargs)
        if endpoint == "getUpdates":
            self._raw_updates = result if isinstance(result, list) else None
        return result

    async def get_updates(self, *args: Any, **kwargs: Any) -> tuple[Update, ...]:
        try:
            return await super().get_updates(*args, **kwargs)
        except TelegramError:
            raise  # network errors: PTB's polling loop retries with backoff
        except Exception:
            raw, self._raw_updates = self._raw_updates, None
            if raw is None:
                raise
        updates: list[Update] = []
        for item in raw:
            update_id = item.get("update_id") if isinstance(item, dict) else None
            try:
                updates.append(Update.de_json(item, self))
            except Exception as exc:  # any parse failure: log, skip, go on
                log.warning("update_unparsable", update_id=update_id, error=repr(exc)[:300])
                if isinstance(update_id, int):
                    # An empty update keeps its id, so the next offset confirms it.
                    updates.append(Update(update_id))
        for update in updates:
            self.insert_callback_data(update)
        return tuple(updates)


def _visible_len(html: str) -> int:
    text = unescape(_TAG.sub("", html))
    return len(text.encode("utf-16-le")) // 2


def _aware(when: datetime) -> datetime:
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when


class TelegramPlatform:
    """The Telegram side of the bot: updates in (as neutral events), moderation actions out."""

    name = PlatformName.TELEGRAM

    def __init__(
        self,
        token: str,
        api_url: str | None = None,
        *,
        on_event: EventHandler | None = None,
        log_chat: str | None = None,
        poll_timeout: float = 10.0,
        admin_ttl: float = 300.0,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        root = (api_url or TELEGRAM_API).rstrip("/")
        self.on_event = on_event
        self.log_chat = log_chat
        self.poll_timeout = poll_timeout
        self.clock = clock
        self.bot_id: str | None = None
        self.bot_username = ""
        self._pipeline: _Pipeline | None = None
        self.stopped = asyncio.Event()
        bot = _TolerantBot(
            token,
            base_url=f"{root}/bot",
            base_file_url=f"{root}/file/bot",
            request=AiohttpRequest(pool_size=8, read_timeout=15.0, connect_timeout=10.0),
            get_updates_request=AiohttpRequest(pool_size=1, read_timeout=10.0),
        )
        # Concurrent across members, in order per member (see _on_update).
        self.app: Application[Any, Any, Any, Any, Any, Any] = (
            Application.builder().bot(bot).concurrent_updates(64).build()
        )
        self.app.add_handler(TypeHandler(Update, self._on_update))
        self.app.add_error_handler(self._on_error)
        self.admins = AdminCache(self._fetch_admins, ttl=admin_ttl)
        self._locks: dict[tuple[int, int], asyncio.Lock] = {}
        self._started = False
        self.commands: TelegramCommands | None = None
        self.logs: LogBatcher[str] = LogBatcher(
            self._post_html, log_html, _visible_len, LOG_LIMITS, language=self._language
        )

    # ---- lifecycle -----------------------------------------------------------------------

    async def start(self, pipeline: _Pipeline | None = None) -> None:
        """Connect (getMe), then long-poll in the background; returns once polling runs.

        With a pipeline, every event goes to ``pipeline.handle`` and the log chat is read from
        its current rules (``channels.log.telegram``), so ``/reload`` moves it.
        """
        if pipeline is not None:
            self._pipeline = pipeline
            from bot.platforms.telegram.commands import install

            # Commands are bound once; the activity they keep (purge, stats) sees every event.
            self.commands = install(self, cast("Pipeline", pipeline))
            self.on_event = self.commands.context.observing(pipeline.handle)
        await self.app.initialize()
        me = self.app.bot.bot
        self.bot_id, self.bot_username = str(me.id), me.username or ""
        await self.app.start()
        if self.commands is not None:
            await self.commands.publish()
        assert self.app.updater is not None
        await self.app.updater.start_polling(
            poll_interval=0.0,
            timeout=timedelta(seconds=self.poll_timeout),
            allowed_updates=list(ALLOWED_UPDATES),
            error_callback=self._on_poll_error,
        )
        self._started = True
        log.info("telegram_started", bot=self.bot_id, username=self.bot_username)

    async def stop(self) -> None:
        """Stop polling, let in-flight updates and actions finish, close the HTTP clients."""
        if not self._started:
            return
        self._started = False
        try:
            if self.commands is not None:
                await self.commands.context.flush()
            if self.app.updater is not None and self.app.updater.running:
                await self.app.updater.stop()
            if self.app.running:
                await self.app.stop()
            drain = getattr(self._pipeline, "drain", None)
            if drain is not None:
                # Warnings and log entries still going out in the background are sent before the
                # HTTP clients close; what is left stays pending and is replayed at the next start.
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(DRAIN_TIMEOUT):
                        await drain()
            # The entries the drain queued included; what cannot go out in time is logged.
            await self.logs.close(LOG_FLUSH_TIMEOUT)
        finally:
            await self.app.shutdown()
            self.stopped.set()
            log.info("telegram_stopped")

    # ---- updates in ----------------------------------------------------------------------

    async def _on_update(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        if not isinstance(update, Update):
            return
        try:
            await self._route(update)
        except Exception:
            # A bad update or a bug in one handler never stops the bot.
            log.exception("update_failed", update_id=update.update_id)

    async def _route(self, update: Update) -> None:
        if update.my_chat_member is not None:
            # The bot's own rights changed: forget what we knew about the chat's staff.
            self.admins.invalidate(update.my_chat_member.chat.id)
            return
        if update.chat_member is not None:
            self.admins.on_member_update(update.chat_member)
            joined = member_event(update)
            if joined is not None:
                await self._deliver(joined, update.chat_member.chat.id, joined.member.id)
            return
        msg = group_message(update)
        if msg is None:
            return  # channel posts, private chats, callback queries: not moderated here
        if msg.from_user is not None and str(msg.from_user.id) == self.bot_id:
            return
        staff = await self._staff(msg.chat.id)
        event = message_event(
            msg, int(self.bot_id or 0), staff, edited=update.edited_message is not None
        )
        if event is None:
            return
        if event.extra.get("command") and event.author.is_moderator:
            return  # a moderator's command is not chat to moderate (commands are bound elsewhere)
        await self._deliver(event, msg.chat.id, event.author.id)

    async def _deliver(self, event: Event, chat_id: int, member_id: str) -> None:
        if self.on_event is None:
            return
        # Per member, events are handled in arrival order (strikes and the ladder depend on it).
        key = (chat_id, int(member_id) if member_id.lstrip("-").isdigit() else hash(member_id))
        lock = self._locks.get(key)
        if lock is None:
            lock = self._locks[key] = asyncio.Lock()
        try:
            async with lock:
                await self.on_event(event)
        finally:
            if not lock.locked() and not getattr(lock, "_waiters", None):
                self._locks.pop(key, None)

    async def _staff(self, chat_id: int) -> ChatStaff:
        try:
            return await self.admins.get(chat_id)
        except Exception as exc:
            log.warning("admins_unavailable", chat=chat_id, error=str(exc)[:200])
            return self.admins.cached(chat_id) or ChatStaff()

    async def _fetch_admins(self, chat_id: int) -> Any:
        return await call(self.app.bot.get_chat_administrators(chat_id))

    async def _on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        log.error("handler_error", error=repr(context.error)[:500])

    def _on_poll_error(self, exc: Exception) -> None:
        # PTB retries getUpdates forever with backoff; a line per failure is enough.
        log.warning("polling_error", error=repr(exc)[:300])

    # ---- actions out (Platform) ----------------------------------------------------------

    async def delete_message(self, ref: MessageRef, reason: str) -> None:
        await call(self.app.bot.delete_message(int(ref.channel_id), int(ref.message_id)))

    async def send_message(
        self,
        community_id: str,
        channel_id: str,
        text: str,
        reply_to: str | None = None,
        thread_id: str | None = None,
    ) -> str | None:
        return await self._send(
            int(channel_id or community_id), text_html(text), reply_to, thread_id
        )

    async def _send(
        self, chat_id: int, html: str, reply_to: str | None = None, thread_id: str | None = None
    ) -> str:
        """Post ``html`` in ``chat_id``, in forum topic ``thread_id`` when given (the member's
        topic: without it, a post whose replied-to message is gone lands in General). A topic
        that is gone or closed to the bot gets the post in General rather than nowhere."""
        reply = (
            ReplyParameters(int(reply_to), allow_sending_without_reply=True) if reply_to else None
        )
        topic = int(thread_id) if thread_id and thread_id.lstrip("-").isdigit() else None
        try:
            sent = await self._post(chat_id, html, reply, topic)
        except PlatformError as exc:
            if (
                topic is None
                or exc.kind is not FailureKind.INVALID
                or not _TOPIC_GONE.search(exc.message)
            ):
                raise
            log.info("topic_unavailable", chat=chat_id, topic=topic, error=exc.message[:200])
            sent = await self._post(chat_id, html, reply, None)
        return str(sent.message_id)

    async def _post(
        self, chat_id: int, html: str, reply: ReplyParameters | None, topic: int | None
    ) -> Any:
        return await call(
            self.app.bot.send_message(
                chat_id,
                html,
                parse_mode=ParseMode.HTML,
                reply_parameters=reply,
                message_thread_id=topic,
                link_preview_options=LinkPreviewOptions(is_disabled=True),
            )
        )

    def _restriction_end(self, until: datetime) -> datetime:
        return max(_aware(until), self.clock() + _MIN_RESTRICTION)

    async def mute(self, community_id: str, user_id: str, until: datetime, reason: str) -> datetime:
        """Restrict everything until ``until`` (an aware datetime: PTB sends it as a Unix time)."""
        await call(
            self.app.bot.restrict_chat_member(
                int(community_id),
                int(user_id),
                _NO_PERMISSIONS,
                until_date=self._restriction_end(until),
                use_independent_chat_permissions=True,
            )
        )
        # The scheduler lifts the mute at ``until`` even when Telegram's own end is later.
        return _aware(until)

    async def unmute(self, community_id: str, user_id: str, reason: str) -> None:
        """Give back the chat's default permissions (what every member has)."""
        chat = await call(self.app.bot.get_chat(int(community_id)))
        permissions = chat.permissions or ChatPermissions.all_permissions()
        await call(
            self.app.bot.restrict_chat_member(
                int(community_id),
                int(user_id),
                permissions,
                use_independent_chat_permissions=True,
            )
        )

    async def kick(self, community_id: str, user_id: str, reason: str) -> None:
        """Remove the member but let them come back: ban, then lift the ban at once."""
        await call(
            self.app.bot.ban_chat_member(
                int(community_id), int(user_id), until_date=self.clock() + _MIN_RESTRICTION
            )
        )
        await call(self.app.bot.unban_chat_member(int(community_id), int(user_id), True))

    async def ban(
        self,
        community_id: str,
        user_id: str,
        until: datetime | None,
        reason: str,
        delete_message_seconds: int = 0,
    ) -> None:
        await call(
            self.app.bot.ban_chat_member(
                int(community_id),
                int(user_id),
                until_date=None if until is None else self._restriction_end(until),
                revoke_messages=delete_message_seconds > 0,
            )
        )

    async def unban(self, community_id: str, user_id: str, reason: str) -> None:
        await call(
            self.app.bot.unban_chat_member(int(community_id), int(user_id), only_if_banned=True)
        )

    def appeal_hint(self, language: str, case_id: int) -> str:
        """A muted member cannot post in the group, and a removed one is not in it: the hint says
        /appeal also works in a private chat with the bot, and links there (the username is
        learnt from getMe at start; without it, the hint names no link)."""
        if not self.bot_username:
            return t("auto.appeal_hint_telegram", language, case=case_id)
        link = start_link(self.bot_username, f"{APPEAL_PAYLOAD}{case_id}")
        return t("auto.appeal_hint_telegram_link", language, case=case_id, link=link)

    async def post_log(self, community_id: str, entry: LogEntry) -> LogReceipt | None:
        """Queue ``entry`` for the rules' ``channels.log.telegram`` chat (None when none is set);
        entries share messages (``self.logs``). Never blocks, never raises."""
        if self.log_chat_id() is None:
            log.debug("log_chat_unset", community=community_id, title=entry.title)
            return None
        return self.logs.submit(community_id, entry)

    async def _post_html(self, community_id: str, parts: list[str]) -> None:
        """One message of rendered log entries in the log chat (the batcher's sender)."""
        chat = self.log_chat_id()
        if chat is not None:
            await self._send(chat, LOG_SEPARATOR.join(parts))

    def _language(self) -> str:
        if self._pipeline is None:
            return "en"
        return str(self._pipeline.ruleset.community.language)

    def log_chat_id(self) -> int | None:
        """The log chat: the one given explicitly, else the current rules' ``channels.log``."""
        chat = self.log_chat
        if chat is None and self._pipeline is not None:
            chat = self._pipeline.ruleset.channels.log.get("telegram")
        if not chat:
            return None
        try:
            return int(chat)
        except ValueError:
            log.warning("log_chat_invalid", chat=chat)
            return None


def create(settings: Settings) -> TelegramPlatform:
    """The app's entry point (``bot.app.ADAPTERS``): a platform from the settings."""
    assert settings.telegram_token, "create() is called only when TELEGRAM_TOKEN is set"
    return TelegramPlatform(settings.telegram_token, settings.telegram_api_url)


__all__ = ["ALLOWED_UPDATES", "TelegramPlatform", "create"]
