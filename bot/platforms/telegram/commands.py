"""Telegram binding of COMMANDS: CommandHandlers (target by reply, @username or id), setMyCommands scopes."""

from __future__ import annotations

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
from bot.events import Author, MessageRef, PlatformName
from bot.i18n import t
from bot.platforms.base import PlatformError
from bot.platforms.telegram.convert import author_of, command_name
from bot.platforms.telegram.errors import call
from bot.platforms.telegram.render import text_html
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
            await self.answer(msg, reply)
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

    async def answer(self, msg: TgMessage, reply: Reply) -> None:
        """Answer in the group, as a reply to the command (Telegram has no ephemeral messages)."""
        chat_id = msg.chat.id
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
                        filename=reply.filename,
                    )
                )
                return
            await self.platform._send(
                chat_id, text_html(reply.text[:_MAX_TEXT]), str(msg.message_id)
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
