"""Pure translation of python-telegram-bot updates into the bot's neutral events."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import UTC, datetime

from telegram import (
    Animation,
    Audio,
    Chat,
    ChatMember,
    Document,
    MessageEntity,
    PhotoSize,
    Sticker,
    Update,
    User,
    Video,
    VideoNote,
    Voice,
)
from telegram import Message as TgMessage

from bot.events import Attachment, Author, Channel, Event, MemberJoin, MemberLeave, Message
from bot.events import PlatformName as P
from bot.platforms.telegram.admins import ChatStaff

GROUP_TYPES = frozenset({Chat.GROUP, Chat.SUPERGROUP})
_MASS_MENTION = re.compile(r"(?<![\w@])@(?:all|everyone|here)\b", re.IGNORECASE)
_PRESENT = frozenset({ChatMember.MEMBER, ChatMember.ADMINISTRATOR, ChatMember.OWNER})


def group_message(update: Update) -> TgMessage | None:
    """The new or edited group/supergroup message of an update (never a channel post)."""
    msg = update.message or update.edited_message
    if msg is None or msg.chat.type not in GROUP_TYPES:
        return None
    return msg


def topic_of(msg: TgMessage) -> str | None:
    """The forum topic a message was written in (its ``message_thread_id``), so answers stay
    there; None in the General topic and outside forums (where ``message_thread_id`` may name a
    reply thread, which is not a place to post in)."""
    if msg.is_topic_message and msg.message_thread_id:
        return str(msg.message_thread_id)
    return None


def command_name(msg: TgMessage) -> str | None:
    """``"ban"`` for ``/ban@modbot x``: a bot command at the very start of the text."""
    if not msg.text or not msg.entities:
        return None
    first = msg.entities[0]
    if first.type != MessageEntity.BOT_COMMAND or first.offset != 0:
        return None
    return msg.text[1 : first.length].split("@", 1)[0].lower()


def to_event(update: Update, bot_id: int, staff: ChatStaff | None = None) -> Event | None:
    """The neutral event of an update, or None for what is not moderated."""
    if update.chat_member is not None:
        return member_event(update)
    msg = group_message(update)
    if msg is None:
        return None
    return message_event(
        msg, bot_id, staff or ChatStaff(), edited=update.edited_message is not None
    )


def message_event(
    msg: TgMessage, bot_id: int, staff: ChatStaff, edited: bool = False
) -> Message | None:
    """A group message as the engine sees it; None for service messages and the bot's own."""
    user = msg.from_user
    if user is not None and user.id == bot_id:
        return None
    if msg.is_automatic_forward:
        return None  # a linked channel's post mirrored into its discussion group: a channel post
    attachments = _attachments(msg)
    text, mentions = _text(msg)
    if not text and not attachments:
        return None  # service message (joins, pins, title changes...) or unknown content
    chat = msg.chat
    sender_chat = msg.sender_chat
    if sender_chat is not None:
        # Posted as a chat: the group itself (an anonymous administrator) or the member's channel.
        author = Author(
            id=str(sender_chat.id),
            name=sender_chat.title or sender_chat.username or str(sender_chat.id),
            is_moderator=sender_chat.id == chat.id,
            username=sender_chat.username,
        )
    elif user is not None:
        author = author_of(user, staff)
    else:
        return None
    when = msg.edit_date if edited and msg.edit_date else msg.date
    extra: dict[str, str] = {}
    command = command_name(msg)
    if command:
        extra["command"] = command
    if msg.sticker is not None and msg.sticker.emoji:
        extra["sticker_emoji"] = msg.sticker.emoji
    return Message(
        platform=P.TELEGRAM,
        community_id=str(chat.id),
        channel=Channel(str(chat.id), chat.title or "", topic_of(msg)),
        message_id=str(msg.message_id),
        author=author,
        text=text,
        timestamp=_utc(when),
        attachments=attachments,
        mentions=mentions,
        mass_mention=bool(text) and "@" in text and _MASS_MENTION.search(text) is not None,
        reply_to=str(msg.reply_to_message.message_id) if msg.reply_to_message else None,
        edited=edited,
        forwarded=msg.forward_origin is not None,
        link=_link(msg),
        community_name=chat.title or "",
        extra=extra,
    )


def member_event(update: Update) -> MemberJoin | MemberLeave | None:
    """A ``chat_member`` update as a join or a leave; None for other changes (promotions...)."""
    change = update.chat_member
    if change is None or change.chat.type not in GROUP_TYPES:
        return None
    was = _is_present(change.old_chat_member)
    now = _is_present(change.new_chat_member)
    member = author_of(change.new_chat_member.user, ChatStaff())
    community = str(change.chat.id)
    if now and not was:
        return MemberJoin(
            P.TELEGRAM, community, member, _utc(change.date), change.chat.title or "", community
        )
    if was and not now:
        return MemberLeave(P.TELEGRAM, community, member, _utc(change.date))
    return None


def _is_present(member: ChatMember) -> bool:
    if member.status in _PRESENT:
        return True
    # A restricted member is still in the chat when ``is_member`` says so.
    return member.status == ChatMember.RESTRICTED and bool(getattr(member, "is_member", False))


def author_of(user: User, staff: ChatStaff) -> Author:
    """A Telegram user as a neutral author, with the chat's staff flags."""
    return Author(
        id=str(user.id),
        name=user.full_name,
        is_bot=user.is_bot,
        is_moderator=staff.is_moderator(user.id),
        is_owner=staff.is_owner(user.id),
        username=user.username,
    )


def _text(msg: TgMessage) -> tuple[str, tuple[str, ...]]:
    """Text or caption, poll question, and the URLs behind text links; mentioned members."""
    body = msg.text if msg.text is not None else (msg.caption or "")
    entities = msg.parse_entities() if msg.text is not None else msg.parse_caption_entities()
    mentions: list[str] = []
    hrefs: list[str] = []
    for entity, fragment in entities.items():
        if entity.type == MessageEntity.MENTION:
            mentions.append(fragment.casefold())
        elif entity.type == MessageEntity.TEXT_MENTION and entity.user is not None:
            mentions.append(str(entity.user.id))
        elif entity.type == MessageEntity.TEXT_LINK and entity.url and entity.url not in body:
            hrefs.append(entity.url)  # link rules must see the URL, not only its label
    parts = [body] if body else []
    if msg.poll is not None:
        parts.append(msg.poll.question)
    if hrefs:
        parts.append(" ".join(dict.fromkeys(hrefs)))
    return "\n".join(parts), tuple(dict.fromkeys(mentions))


def _attachments(msg: TgMessage) -> tuple[Attachment, ...]:
    found = msg.effective_attachment
    if found is None:
        return ()
    if isinstance(found, Sequence) and not isinstance(found, str):
        photos = [p for p in found if isinstance(p, PhotoSize)]
        if not photos:
            return ()
        biggest = max(photos, key=lambda p: p.width * p.height)
        return (Attachment(kind="photo", size=biggest.file_size or 0),)
    if isinstance(found, Sticker):
        return (
            Attachment(filename=found.set_name or "", kind="sticker", size=found.file_size or 0),
        )
    if isinstance(found, Document | Audio | Video | Animation):
        name = found.file_name or ""
        return (Attachment(filename=name, kind=_file_kind(found, name), size=found.file_size or 0),)
    if isinstance(found, Voice):
        return (Attachment(kind="voice", size=found.file_size or 0),)
    if isinstance(found, VideoNote):
        return (Attachment(kind="video_note", size=found.file_size or 0),)
    # Polls, dice, locations, contacts, stories...: content, but not a file.
    return ()


def _file_kind(found: Document | Audio | Video | Animation, name: str) -> str:
    base = name.rsplit("/", 1)[-1]
    if "." in base:
        # A rule's ``types: [exe, apk]`` must see the real extension of a renamed file.
        return base.rsplit(".", 1)[-1].lower()
    if isinstance(found, Animation):
        return "animation"
    if isinstance(found, Video):
        return "video"
    if isinstance(found, Audio):
        return "audio"
    mime = found.mime_type or ""
    return mime.split("/", 1)[1].split(";", 1)[0].lower() if "/" in mime else "document"


def _link(msg: TgMessage) -> str | None:
    try:
        return msg.link
    except Exception:
        return None


def _utc(when: datetime) -> datetime:
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)
