"""Pure conversion of discord.py messages and members into neutral events."""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import PurePosixPath

import discord

from bot.events import Attachment, Author, Channel, MemberJoin, Message, PlatformName, Role

# Manage Messages, Moderate Members or Administrator make a member a platform-level moderator.
_MODERATOR_PERMISSIONS = discord.Permissions(
    manage_messages=True, moderate_members=True, administrator=True
)
_MASS_MENTION = re.compile(r"@(?:everyone|here)\b")
# Only ordinary messages and replies are members' words; joins, pins, boosts are system messages.
_USER_TYPES = frozenset({discord.MessageType.default, discord.MessageType.reply})


def _role_keys(moderator_roles: Iterable[str]) -> frozenset[str]:
    return frozenset(r.casefold() for r in moderator_roles)


def roles_of(member: discord.Member | discord.User) -> tuple[Role, ...]:
    """A member's roles, highest first, without @everyone (every member has it)."""
    if not isinstance(member, discord.Member):
        return ()
    ordered = sorted((r for r in member.roles if not r.is_default()), reverse=True)
    return tuple(Role(str(r.id), r.name) for r in ordered)


def is_moderator(
    member: discord.Member | discord.User, moderator_roles: Iterable[str] = ()
) -> bool:
    """Manage Messages / Moderate Members / Administrator, or a role named (or id'd) in
    ``roles.moderators``."""
    if not isinstance(member, discord.Member):
        return False
    perms = member.guild_permissions
    if perms.value & _MODERATOR_PERMISSIONS.value:
        return True
    keys = _role_keys(moderator_roles)
    return bool(keys) and any(
        str(r.id) in keys or r.name.casefold() in keys for r in member.roles if not r.is_default()
    )


def to_author(
    member: discord.Member | discord.User,
    guild: discord.Guild | None = None,
    moderator_roles: Iterable[str] = (),
) -> Author:
    """The neutral author: ``created_at`` from the snowflake, ``joined_at`` from the member."""
    guild = guild if guild is not None else getattr(member, "guild", None)
    return Author(
        id=str(member.id),
        name=member.display_name,
        roles=roles_of(member),
        is_bot=member.bot,
        is_moderator=is_moderator(member, moderator_roles),
        is_owner=guild is not None and guild.owner_id == member.id,
        joined_at=member.joined_at if isinstance(member, discord.Member) else None,
        created_at=member.created_at,
        username=member.name,
    )


def to_attachment(a: discord.Attachment) -> Attachment:
    """An attachment with its lower-case extension as ``kind`` (``png``, ``exe``)."""
    suffix = PurePosixPath(a.filename).suffix.lower().lstrip(".")
    return Attachment(filename=a.filename, kind=suffix, size=a.size, url=a.url)


def mentioned_ids(msg: discord.Message) -> tuple[str, ...]:
    """Distinct mentioned user ids, in order: parsed mentions and raw ``<@id>`` in the text."""
    ids = [m.id for m in msg.mentions] + list(msg.raw_mentions)
    return tuple(str(i) for i in dict.fromkeys(ids))


def skip_reason(msg: discord.Message) -> str | None:
    """Why a message is not moderated (None when it is): bots, webhooks, DMs, system messages."""
    if msg.guild is None:
        return "direct message"
    if msg.author.bot or msg.webhook_id is not None:
        return "bot"
    if msg.type not in _USER_TYPES:
        return "system message"
    return None


def to_message(
    msg: discord.Message, moderator_roles: Iterable[str] = (), edited: bool = False
) -> Message | None:
    """A guild message as a neutral ``Message``; None for messages that are never moderated."""
    if skip_reason(msg) is not None:
        return None
    guild = msg.guild
    assert guild is not None  # skip_reason returns a reason for DMs
    channel = msg.channel
    attachments = tuple(to_attachment(a) for a in msg.attachments) + tuple(
        Attachment(filename=s.name, kind="sticker") for s in msg.stickers
    )
    reply_to = msg.reference.message_id if msg.reference is not None else None
    return Message(
        platform=PlatformName.DISCORD,
        community_id=str(guild.id),
        channel=Channel(str(channel.id), getattr(channel, "name", None) or ""),
        message_id=str(msg.id),
        author=to_author(msg.author, guild, moderator_roles),
        text=msg.content,
        timestamp=msg.created_at,
        attachments=attachments,
        mentions=mentioned_ids(msg),
        mass_mention=msg.mention_everyone or bool(_MASS_MENTION.search(msg.content)),
        reply_to=str(reply_to) if reply_to is not None else None,
        edited=edited,
        link=msg.jump_url,
        community_name=guild.name,
    )


def edit_needs_check(before_content: str | None, after: discord.Message) -> bool:
    """Re-check an edit only when its text changed: pins and embed unfurls also arrive as
    MESSAGE_UPDATE (python-discord re-ran its filters on those). ``before_content`` is None when
    the earlier text is unknown; then only a real edit (an ``edited_at``) counts."""
    if before_content is not None:
        return before_content != after.content
    return after.edited_at is not None


def to_join(member: discord.Member, moderator_roles: Iterable[str] = ()) -> MemberJoin:
    """A member joined the guild."""
    joined = member.joined_at or discord.utils.utcnow()
    return MemberJoin(
        platform=PlatformName.DISCORD,
        community_id=str(member.guild.id),
        member=to_author(member, member.guild, moderator_roles),
        timestamp=joined,
        community_name=member.guild.name,
        channel_id=str(member.guild.system_channel.id) if member.guild.system_channel else "",
    )
