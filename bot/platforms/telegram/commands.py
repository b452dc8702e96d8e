"""Telegram binding of COMMANDS: CommandHandlers (target by reply, @username or id), setMyCommands
scopes, and where answers go: ephemeral ones privately to the caller (Telegram has no ephemeral
messages in a group), the others in the group; in a private chat with the bot, ``/start`` and the
``Command.direct`` commands (``/appeal``, ``/mycases``: a muted member cannot post in the group)."""

from __future__ import annotations

import asyncio
from enum import Enum
from html import escape
from typing import TYPE_CHECKING, Any

import structlog
from telegram import (
    BotCommand,
    BotCommandScopeAllChatAdministrators,
    BotCommandScopeAllGroupChats,
    ChatMember,
    ReplyParameters,
    Update,
    User,
)
from telegram import Message as TgMessage
from telegram.constants import ParseMode
from telegram.ext import CommandHandler, ContextTypes, filters

from bot.commands import COMMANDS, CommandContext, Invocation, Reply, dispatch
from bot.commands.spec import mention
from bot.events import Author, MessageRef, PlatformName
from bot.i18n import CATALOGUES, t
from bot.platforms.base import FailureKind, PlatformError
from bot.platforms.telegram.convert import author_of, command_name, topic_of
from bot.platforms.telegram.errors import call
from bot.platforms.telegram.render import APPEAL_PAYLOAD, start_link, text_html
from bot.storage import members as member_store

if TYPE_CHECKING:
    from bot.moderation.pipeline import Pipeline
    from bot.platforms.telegram import TelegramPlatform

log = structlog.get_logger("bot.platforms.telegram.commands")

# Before the adapter's catch-all handler (group 0): PTB runs one handler per group, lowest first.
COMMAND_GROUP = -1
_MAX_TEXT = 4000  # Telegram's limit is 4096 characters after entities
_MAX_CAPTION = 1000
_STAFF = frozenset({ChatMember.ADMINISTRATOR, ChatMember.OWNER})

# An ephemeral answer goes privately to the caller. A ``Command.private`` command's answers hold
# what only the caller may read (moderators' notes and the case record, a member's own history and
# appeals, the community's figures, the rules file's problems): when the caller cannot be written
# to, the group gets a short note saying how to fix that, never the answer. The other ephemeral
# answers (refusals, usage hints, bad arguments, a purge's count, a report's thanks) are harmless:
# then they are posted in the group instead, as a reply to the command, as is the refusal of a
# command the caller may not use at all.
# The deep link's payload (``https://t.me/<bot>?start=<payload>``): /start answers the same hello
# whatever it is; it only tells the logs where the member came from.
START_PAYLOAD = "private"
# A rate limit on the private message is waited out once when it is this short (seconds).
_MAX_RETRY_WAIT = 5.0
_COMMAND_SHOWN = 100  # characters of the command line repeated above a private answer


class Private(Enum):
    """What became of a private answer."""

    SENT = "sent"
    CANNOT = "cannot"  # the caller never pressed Start in a private chat, or blocked the bot
    ANONYMOUS = "anonymous"  # the caller posted as the group or a channel: nobody to write to
    FAILED = "failed"  # Telegram did not take it now (network, rate limit)


def _appeal_case(payload: str) -> int | None:
    """The case number of an appeal hint's deep link (``appeal-12``), else None."""
    number = payload.removeprefix(APPEAL_PAYLOAD)
    if number == payload or not number.isascii() or not number.isdigit():
        return None
    return int(number)


def message_link(msg: TgMessage) -> str | None:
    """``https://t.me/...`` for a message, when the chat has a public or internal link."""
    try:
        return msg.link
    except Exception:  # private groups have no link
        return None


class TelegramCommands:
    """The commands on one TelegramPlatform; ``context`` is shared with the neutral handlers."""

    def __init__(self, platform: TelegramPlatform, pipeline: Pipeline) -> None:
        self.platform = platform
        self.context = CommandContext(
            pipeline,
            platform,
            self.resolve,
            bot_id=lambda: platform.bot_id,
            clock=platform.clock,
        )
        self.handler = CommandHandler(
            list(COMMANDS),
            self._on_command,
            # New group messages only: an edited "/ban" must not ban twice.
            filters=filters.UpdateType.MESSAGE & filters.ChatType.GROUPS,
        )
        platform.app.add_handler(self.handler, group=COMMAND_GROUP)
        # /start in a private chat (the deep link of the "open a private chat" note leads there).
        self.start_handler = CommandHandler(
            "start",
            self._on_start,
            filters=filters.UpdateType.MESSAGE & filters.ChatType.PRIVATE,
        )
        platform.app.add_handler(self.start_handler, group=COMMAND_GROUP)
        # Every other command in a private chat: the ``direct`` ones are answered there, the
        # others get a one-line hint to use them in the group.
        self.private_handler = CommandHandler(
            list(COMMANDS),
            self._on_private_command,
            filters=filters.UpdateType.MESSAGE & filters.ChatType.PRIVATE,
        )
        platform.app.add_handler(self.private_handler, group=COMMAND_GROUP)

    async def publish(self) -> None:
        """``setMyCommands``: members see theirs in every group, administrators see all."""
        lang = self.context.language
        everyone = [BotCommand(c.name, t(c.help_key, lang)[:256]) for c in COMMANDS.values()]
        members = [
            BotCommand(c.name, t(c.help_key, lang)[:256])
            for c in COMMANDS.values()
            if c.for_members
        ]
        bot = self.platform.app.bot
        try:
            await call(bot.set_my_commands(members, scope=BotCommandScopeAllGroupChats()))
            await call(bot.set_my_commands(everyone, scope=BotCommandScopeAllChatAdministrators()))
        except PlatformError as exc:
            # Commands still work when typed; only the menu is missing.
            log.warning("telegram_commands_not_published", error=exc.message)

    # ---- invocation ------------------------------------------------------------------------

    async def _on_command(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        msg = update.message
        if msg is None or msg.text is None:
            return
        try:
            inv = await self._invocation(msg)
            if inv is None:
                return
            reply = await dispatch(self.context, inv)
            await self.answer(msg, inv, reply)
        except Exception:
            # A failing command never stops the bot (nor the moderation of the message).
            log.exception("telegram_command_failed", chat=msg.chat.id, message=msg.message_id)

    async def _invocation(self, msg: TgMessage) -> Invocation | None:
        name = command_name(msg)
        if name is None or name not in COMMANDS:
            return None
        chat = msg.chat
        staff = await self.platform._staff(chat.id)
        if msg.sender_chat is not None:
            # Posted as the group itself: an anonymous administrator; as a channel: nobody special.
            sender = msg.sender_chat
            invoker = Author(
                id=str(sender.id),
                name=sender.title or sender.username or str(sender.id),
                is_moderator=sender.id == chat.id,
                username=sender.username,
            )
        elif msg.from_user is not None:
            invoker = author_of(msg.from_user, staff)
        else:
            return None
        parts = msg.text.split(None, 1) if msg.text else []
        replied = msg.reply_to_message
        if replied is not None and (
            replied.forum_topic_created is not None
            or (msg.is_topic_message and replied.message_id == msg.message_thread_id)
        ):
            replied = None  # in a forum, every message "replies" to its topic's first message
        reply_author: Author | None = None
        if replied is not None and replied.from_user is not None:
            reply_author = author_of(replied.from_user, staff)
        return Invocation(
            command=name,
            platform=PlatformName.TELEGRAM,
            community_id=str(chat.id),
            channel_id=str(chat.id),
            invoker=invoker,
            text=parts[1] if len(parts) > 1 else "",
            thread_id=topic_of(msg),
            message_id=str(msg.message_id),
            reply_to=(
                MessageRef(
                    PlatformName.TELEGRAM, str(chat.id), str(chat.id), str(replied.message_id)
                )
                if replied is not None
                else None
            ),
            reply_author=reply_author,
            reply_text=(replied.text or replied.caption or "") if replied is not None else None,
            reply_link=message_link(replied) if replied is not None else None,
            community_name=chat.title or "",
        )

    async def _on_start(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """A one-line hello in every language, the community's first: the member can now be
        written to, and learns that commands are used in the group."""
        msg = update.message
        if msg is None:
            return
        lang = self.context.language
        langs = [lang, *(other for other in CATALOGUES if other != lang)]
        text = "\n".join(t("tg.start", each) for each in langs)
        payload = " ".join(context.args or [])
        case = _appeal_case(payload)
        if case is not None:
            # Came from an appeal hint's link: say how to appeal that case here.
            text += "\n\n" + t("tg.start_appeal", lang, case=case)
        log.info("telegram_private_started", user=msg.chat.id, payload=payload)
        try:
            await self.platform._send(msg.chat.id, text_html(text))
        except PlatformError as exc:
            log.warning("telegram_start_answer_failed", user=msg.chat.id, error=exc.message)

    async def _on_private_command(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """A command in a private chat with the bot. There is no community here: ``/appeal`` takes
        it from the case (only a case of this platform whose member is the caller's Telegram user
        id), ``/mycases`` lists the caller's cases in every group where the bot has seen them.
        Other commands get a one-line hint to use them in the group."""
        msg = update.message
        user = msg.from_user if msg is not None else None
        if msg is None or msg.text is None or user is None or user.is_bot:
            return
        name = command_name(msg)
        if name is None or name not in COMMANDS:
            return
        try:
            if not COMMANDS[name].direct:
                direct = ", ".join(f"/{c.name}" for c in COMMANDS.values() if c.direct)
                hint = t(
                    "tg.private_group_only", self.context.language, command=name, direct=direct
                )
                await self.platform._send(msg.chat.id, text_html(hint), str(msg.message_id))
                return
            parts = msg.text.split(None, 1)
            inv = Invocation(
                command=name,
                platform=PlatformName.TELEGRAM,
                community_id="",
                channel_id=str(msg.chat.id),
                # Nobody is a moderator here: the direct commands are every member's.
                invoker=Author(id=str(user.id), name=user.full_name, username=user.username),
                text=parts[1] if len(parts) > 1 else "",
                message_id=str(msg.message_id),
                direct=True,
            )
            reply = await dispatch(self.context, inv)
            await self.platform._send(
                msg.chat.id, text_html(reply.text[:_MAX_TEXT]), str(msg.message_id)
            )
        except PlatformError as exc:
            log.warning("telegram_private_command_answer_failed", user=user.id, error=exc.message)
        except Exception:
            log.exception("telegram_private_command_failed", user=user.id, command=name)

    async def answer(self, msg: TgMessage, inv: Invocation, reply: Reply) -> None:
        """Where an answer goes. Not ephemeral: in the group, as a reply to the command. Ephemeral:
        privately to the caller, and the command is deleted from the group; when the caller cannot
        be written to, a harmless answer goes in the group instead, a private one (``Command.private``)
        never: the group gets a note on how to receive it."""
        if not reply.ephemeral:
            await self._answer_in_group(msg, reply)
            return
        outcome = await self._answer_privately(msg, reply)
        if outcome is Private.SENT:
            await self._delete_command(msg)
            return
        log.info(
            "telegram_private_answer_not_sent",
            chat=msg.chat.id,
            command=inv.command,
            invoker=inv.invoker.id,
            outcome=outcome.value,
        )
        if self._harmless(inv):
            await self._answer_in_group(msg, reply)
            return
        await self._answer_in_group(msg, Reply(self._note(inv, outcome)))

    def _harmless(self, inv: Invocation) -> bool:
        """True when the command's ephemeral answers may be shown to the group."""
        command = COMMANDS[inv.command]
        if self.context.privilege(inv.invoker) < command.privilege:
            return True  # "only moderators can use /cases": said to a member, nothing else
        return not command.private

    def deep_link(self) -> str:
        """``https://t.me/<bot>?start=...``: opens the private chat with the bot's Start button."""
        return start_link(self.platform.bot_username, START_PAYLOAD)

    def _note(self, inv: Invocation, outcome: Private) -> str:
        """The group's note, in the community's language, when a private answer did not go out."""
        lang = self.context.language
        params = {"member": mention(inv.invoker), "command": inv.command, "link": self.deep_link()}
        key = {
            Private.CANNOT: "tg.private_start",
            Private.ANONYMOUS: "tg.private_anonymous",
        }.get(outcome, "tg.private_failed")
        return t(key, lang, **params)

    async def _answer_privately(self, msg: TgMessage, reply: Reply) -> Private:
        """Send ``reply`` to the caller's private chat, under the group's name and the command."""
        user = msg.from_user
        if msg.sender_chat is not None or user is None or user.is_bot:
            return Private.ANONYMOUS  # an anonymous administrator or a channel: no private chat
        shown = (msg.text or "")[:_COMMAND_SHOWN]
        header = f"<b>{escape(msg.chat.title or str(msg.chat.id))}</b> · {escape(shown)}\n"
        bot = self.platform.app.bot
        for attempt in (1, 2):
            try:
                if reply.png is not None:
                    await call(
                        bot.send_photo(
                            user.id,
                            photo=reply.png,
                            caption=header + text_html(reply.text[: _MAX_CAPTION - len(header)]),
                            parse_mode=ParseMode.HTML,
                            filename=reply.filename,
                        )
                    )
                else:
                    await self.platform._send(user.id, header + text_html(reply.text[:_MAX_TEXT]))
                return Private.SENT
            except PlatformError as exc:
                if exc.kind is FailureKind.FORBIDDEN or "chat not found" in exc.message.lower():
                    return Private.CANNOT
                wait = exc.retry_after or 0.0
                if (
                    exc.kind is not FailureKind.RATE_LIMITED
                    or wait > _MAX_RETRY_WAIT
                    or attempt > 1
                ):
                    log.warning("telegram_private_answer_failed", user=user.id, error=exc.message)
                    return Private.FAILED
                await asyncio.sleep(wait)
        return Private.FAILED

    async def _delete_command(self, msg: TgMessage) -> None:
        """Take the command out of the group once answered privately (``/cases @bob`` need not
        stay there); without the right to delete messages, it stays."""
        try:
            await call(self.platform.app.bot.delete_message(msg.chat.id, msg.message_id))
        except PlatformError as exc:
            log.info("telegram_command_not_deleted", chat=msg.chat.id, error=exc.message)

    async def _answer_in_group(self, msg: TgMessage, reply: Reply) -> None:
        """Answer in the group, as a reply to the command, in its forum topic if any."""
        chat_id = msg.chat.id
        topic = topic_of(msg)
        bot = self.platform.app.bot
        params = ReplyParameters(msg.message_id, allow_sending_without_reply=True)
        try:
            if reply.png is not None:
                await call(
                    bot.send_photo(
                        chat_id,
                        photo=reply.png,
                        caption=text_html(reply.text[:_MAX_CAPTION]),
                        parse_mode=ParseMode.HTML,
                        reply_parameters=params,
                        message_thread_id=int(topic) if topic else None,
                        filename=reply.filename,
                    )
                )
                return
            await self.platform._send(
                chat_id, text_html(reply.text[:_MAX_TEXT]), str(msg.message_id), topic
            )
        except PlatformError as exc:
            log.warning("telegram_command_answer_failed", chat=chat_id, error=exc.message)

    # ---- targets ---------------------------------------------------------------------------

    async def resolve(self, community_id: str, ref: str) -> Author | None:
        """``@username`` (a member the bot has seen) or a numeric id → the member, with their
        status in the chat; None when Telegram does not know them there."""
        chat_id = int(community_id)
        known: member_store.MemberRecord | None = None
        if ref.startswith("@"):
            name = ref[1:]
            if self.platform.bot_username and name.lower() == self.platform.bot_username.lower():
                bot_id = self.platform.bot_id or "0"
                return Author(bot_id, self.platform.bot_username, is_bot=True, username=name)
            # The Bot API cannot look a username up: only members the bot has seen are known.
            known = await member_store.find_member_by_username(
                self.context.db, "telegram", community_id, name
            )
            if known is None:
                return None
            user_id = int(known.user_id)
        else:
            try:
                user_id = int(ref)
            except ValueError:
                return None
        try:
            member: Any = await call(self.platform.app.bot.get_chat_member(chat_id, user_id))
        except PlatformError as exc:
            if known is None:
                log.info("telegram_member_unknown", chat=chat_id, user=user_id, error=exc.message)
                return None
            staff = await self.platform._staff(chat_id)
            return Author(
                known.user_id,
                known.name,
                is_moderator=staff.is_moderator(user_id),
                is_owner=staff.is_owner(user_id),
                username=known.username,
            )
        user: User = member.user
        return Author(
            id=str(user.id),
            name=user.full_name,
            is_bot=user.is_bot,
            is_moderator=member.status in _STAFF,
            is_owner=member.status == ChatMember.OWNER,
            username=user.username,
        )


def install(platform: TelegramPlatform, pipeline: Pipeline) -> TelegramCommands:
    """Bind the commands to ``platform`` (before it starts polling)."""
    return TelegramCommands(platform, pipeline)
