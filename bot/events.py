"""Platform-neutral events: the only shapes the engine and the moderation layer ever see."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum


class PlatformName(StrEnum):
    """Where an event came from."""

    DISCORD = "discord"
    TELEGRAM = "telegram"
    CONSOLE = "console"


@dataclass(frozen=True, slots=True)
class Role:
    """A member's role (Discord role; Telegram has none besides administrator)."""

    id: str
    name: str


@dataclass(frozen=True, slots=True)
class Author:
    """The member who sent a message or joined.

    ``is_moderator`` is set by the adapter for platform-level moderators (Telegram chat administrators,
    Discord members with Manage Messages / Moderate Members / Administrator); roles named in
    ``roles.moderators`` are recognised by the engine itself. ``is_owner`` marks the community's owner.
    """

    id: str
    name: str
    roles: tuple[Role, ...] = ()
    is_bot: bool = False
    is_moderator: bool = False
    is_owner: bool = False
    joined_at: datetime | None = None
    created_at: datetime | None = None
    username: str | None = None

    def has_role(self, names_or_ids: frozenset[str]) -> bool:
        """True when one of the member's roles is named, or has an id, in ``names_or_ids``."""
        return any(
            r.id.casefold() in names_or_ids or r.name.casefold() in names_or_ids for r in self.roles
        )


@dataclass(frozen=True, slots=True)
class Channel:
    """A Discord channel or a Telegram chat (``id`` as a string, ``name`` as shown).

    ``thread_id`` is the Telegram forum topic the message was written in (``message_thread_id``
    of a topic message), so the bot's answers stay in that topic; None in a chat without topics,
    in the General topic, and on Discord (where a thread is a channel of its own).
    """

    id: str
    name: str = ""
    thread_id: str | None = None


@dataclass(frozen=True, slots=True)
class Attachment:
    """A file on a message; ``kind`` is the lower-case extension or a media kind (``photo``, ``sticker``)."""

    filename: str = ""
    kind: str = ""
    size: int = 0
    url: str = ""


@dataclass(frozen=True, slots=True)
class MessageRef:
    """Enough to find a message again on its platform."""

    platform: PlatformName
    community_id: str
    channel_id: str
    message_id: str


@dataclass(frozen=True, slots=True)
class Message:
    """A message (or an edit of one) from a member, as the engine sees it.

    ``timestamp`` is timezone-aware UTC. ``mentions`` are the distinct member ids mentioned.
    ``text`` includes captions and the URLs behind text links, as the adapter sees fit.
    """

    platform: PlatformName
    community_id: str
    channel: Channel
    message_id: str
    author: Author
    text: str
    timestamp: datetime
    attachments: tuple[Attachment, ...] = ()
    mentions: tuple[str, ...] = ()
    mass_mention: bool = False
    reply_to: str | None = None
    edited: bool = False
    forwarded: bool = False
    link: str | None = None
    community_name: str = ""
    extra: dict[str, str] = field(default_factory=dict, compare=False, hash=False)

    @property
    def ref(self) -> MessageRef:
        """This message's platform reference."""
        return MessageRef(self.platform, self.community_id, self.channel.id, self.message_id)


@dataclass(frozen=True, slots=True)
class MemberJoin:
    """A member joined a community; ``channel_id`` is where to welcome them ("" for nowhere)."""

    platform: PlatformName
    community_id: str
    member: Author
    timestamp: datetime
    community_name: str = ""
    channel_id: str = ""


@dataclass(frozen=True, slots=True)
class MemberLeave:
    """A member left (or was removed from) a community; counted by stats."""

    platform: PlatformName
    community_id: str
    member: Author
    timestamp: datetime


Event = Message | MemberJoin | MemberLeave
