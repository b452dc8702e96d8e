"""DiscordChatExporter JSON message objects -> neutral ``Message``.

Shapes follow DiscordChatExporter's ``JsonMessageWriter``: a file is one channel,
``{"guild": {"id", "name"}, "channel": {"id", "type", "category", "name", ...},
"messages": [...]}``; a message is ``{"id", "type", "timestamp", "timestampEdited", "content",
"author": {"id", "name", "nickname", "isBot", "roles": [{"id", "name", ...}]},
"attachments": [{"fileName", "url", "fileSizeBytes"}], "stickers", "mentions": [{"id", ...}],
"reference": {"messageId", ...}, "forwardedMessage": {"content", "attachments", ...}}``.
``type`` is the message kind's name (``Default``, ``Reply``, ``GuildMemberJoin``,
``ChannelPinnedMessage`` ...) or, for kinds the exporter has no name for, the number as a string.
Timestamps are ISO 8601 with an offset (the exporter's local zone unless exported in UTC).
Mentions in ``content`` are rendered as ``@name``, so ``@everyone`` and ``@here`` appear literally.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from bot.events import Attachment, Author, Channel, Message, PlatformName, Role
from bot.replay.partition import Elsewhere, Owners, Part
from bot.replay.problems import BadMessage, SkipReason

# Kinds a member types: default, reply, slash-command and context-menu invocations (by number too,
# as the exporter writes kinds it has no name for). Everything else is a system message.
_ORDINARY = frozenset({"Default", "Reply", "0", "19", "20", "23"})
_JOIN = frozenset({"GuildMemberJoin", "7"})
_MASS_MENTION = re.compile(r"(?<![\w@])@(?:everyone|here)\b")
_DISCORD_EPOCH_MS = 1_420_070_400_000


def snowflake_time(snowflake: str) -> datetime | None:
    """When a Discord id was created (a user id: when the account was)."""
    try:
        ms = (int(snowflake) >> 22) + _DISCORD_EPOCH_MS
    except ValueError:
        return None
    return datetime.fromtimestamp(ms / 1000, UTC)


def parse_time(value: object, key: str) -> datetime:
    """An exporter timestamp -> aware UTC (naive ones are taken as UTC)."""
    if not isinstance(value, str):
        raise BadMessage(f"{key} is {type(value).__name__}, expected an ISO 8601 string")
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise BadMessage(f"{key} is {value!r}, expected ISO 8601") from None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def _str_field(obj: dict[str, Any], key: str, where: str) -> str:
    value = obj.get(key)
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    raise BadMessage(f"{where}{key} is {type(value).__name__}, expected a string")


def _list_field(obj: dict[str, Any], key: str, where: str = "") -> list[Any]:
    value = obj.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        raise BadMessage(f"{where}{key} is {type(value).__name__}, expected a list")
    return value


def _attachments(obj: dict[str, Any], where: str, out: list[Attachment]) -> None:
    for item in _list_field(obj, "attachments", where):
        if not isinstance(item, dict):
            raise BadMessage(f"{where}attachments has a {type(item).__name__}, expected objects")
        name = _str_field(item, "fileName", f"{where}attachments[].")
        size = item.get("fileSizeBytes", 0)
        base = name.rsplit("/", 1)[-1]
        out.append(
            Attachment(
                filename=name,
                kind=base.rsplit(".", 1)[-1].lower() if "." in base else "",
                size=size if isinstance(size, int) and not isinstance(size, bool) else 0,
                url=_str_field(item, "url", f"{where}attachments[]."),
            )
        )
    for item in _list_field(obj, "stickers", where):
        if isinstance(item, dict):
            out.append(Attachment(filename=_str_field(item, "name", "sticker."), kind="sticker"))


class DiscordConverter:
    """Converts one DiscordChatExporter file's messages; remembers joins for ``member_age``.

    ``created_at`` comes from the author's id (a snowflake), so ``account_age`` works in replay;
    ``joined_at`` from ``GuildMemberJoin`` system messages seen earlier in the stream.

    With ``part`` (replay split over workers), messages of members of other parts are checked
    but not converted: they come out as ``Elsewhere``.
    """

    def __init__(self, path: str, part: Part | None = None) -> None:
        self.path = path
        self._part = part
        self._owners: Owners | None = None
        self._extra = {"file": path}  # shared by every message (``Message.extra`` is read-only)
        self._joined: dict[str, datetime] = {}
        self._authors: dict[tuple[Any, ...], Author] = {}
        self.set_header({}, {})

    def set_header(self, guild: object, channel: object) -> None:
        """The file's ``guild`` and ``channel`` objects."""
        g = guild if isinstance(guild, dict) else {}
        c = channel if isinstance(channel, dict) else {}
        self.guild_id = _str_field(g, "id", "guild.")
        self.guild_name = _str_field(g, "name", "guild.")
        self.channel = Channel(_str_field(c, "id", "channel."), _str_field(c, "name", "channel."))
        self._link_base = (
            f"https://discord.com/channels/{self.guild_id or '@me'}/{self.channel.id}/"
        )
        if self._part is not None:
            self._owners = Owners(self._part, PlatformName.DISCORD, self.guild_id)

    def _author(self, raw: object, joined: datetime | None) -> Author:
        if not isinstance(raw, dict):
            raise BadMessage(f"author is {type(raw).__name__}, expected an object")
        # ``type(x) is str``: the common case without a call; anything else goes through the check.
        author_id = raw.get("id")
        if type(author_id) is not str:
            author_id = _str_field(raw, "id", "author.")
        roles_raw = raw.get("roles")
        if type(roles_raw) is not list:
            roles_raw = _list_field(raw, "roles", "author.")
        name = raw.get("name")
        if type(name) is not str:
            name = _str_field(raw, "name", "author.")
        nick = raw.get("nickname")
        if type(nick) is not str:
            nick = _str_field(raw, "nickname", "author.")
        nick = nick or name
        role_key = tuple(
            (r.get("id"), r.get("name")) if isinstance(r, dict) else None for r in roles_raw
        )
        key = (author_id, name, nick, role_key, joined)
        cached = self._authors.get(key)
        if cached is not None:
            return cached
        roles: list[Role] = []
        for r in roles_raw:
            if not isinstance(r, dict):
                raise BadMessage(f"author.roles has a {type(r).__name__}, expected objects")
            roles.append(Role(_str_field(r, "id", "role."), _str_field(r, "name", "role.")))
        author = Author(
            id=author_id,
            name=nick,
            roles=tuple(roles),
            username=name or None,
            joined_at=joined,
            created_at=snowflake_time(author_id),
        )
        if len(self._authors) > 100_000:
            self._authors.clear()  # bounded memory on huge exports; only a cache
        self._authors[key] = author
        return author

    def convert(self, raw: object) -> Message | SkipReason | Elsewhere:
        """One message object -> ``Message``, or why it is skipped; ``BadMessage`` if malformed."""
        if not isinstance(raw, dict):
            raise BadMessage(f"message is {type(raw).__name__}, expected an object")
        kind = raw.get("type")
        if type(kind) is not str:
            kind = _str_field(raw, "type", "")
        kind = kind or "Default"
        author_raw = raw.get("author")
        if not isinstance(author_raw, dict):
            raise BadMessage(f"author is {type(author_raw).__name__}, expected an object")
        if kind not in _ORDINARY:
            if kind in _JOIN:
                author_id = author_raw.get("id")
                if isinstance(author_id, str):
                    self._joined[author_id] = parse_time(raw.get("timestamp"), "timestamp")
            return SkipReason.SERVICE
        if author_raw.get("isBot") is True:
            return SkipReason.BOT
        when = parse_time(raw.get("timestamp"), "timestamp")
        msg_id = raw.get("id")
        if type(msg_id) is not str:
            msg_id = _str_field(raw, "id", "")
        author_id = author_raw.get("id")
        author = self._author(
            author_raw, self._joined.get(author_id) if isinstance(author_id, str) else None
        )
        text = raw.get("content")
        if type(text) is not str:
            text = _str_field(raw, "content", "")
        attachments: list[Attachment] = []
        files, stickers = raw.get("attachments"), raw.get("stickers")
        if not ((files is None or files == []) and (stickers is None or stickers == [])):
            _attachments(raw, "", attachments)

        forwarded = False
        fwd = raw.get("forwardedMessage")
        if fwd is not None:
            if not isinstance(fwd, dict):
                raise BadMessage(f"forwardedMessage is {type(fwd).__name__}, expected an object")
            forwarded = True
            fwd_text = _str_field(fwd, "content", "forwardedMessage.")
            text = f"{text}\n{fwd_text}" if text and fwd_text else text or fwd_text
            _attachments(fwd, "forwardedMessage.", attachments)

        reply_to: str | None = None
        ref = raw.get("reference")
        if ref is not None:
            if not isinstance(ref, dict):
                raise BadMessage(f"reference is {type(ref).__name__}, expected an object")
            if ref.get("type") == "Forward":
                forwarded = True
            else:
                reply_to = _str_field(ref, "messageId", "reference.") or None

        mentions: list[str] = []
        listed = raw.get("mentions")
        for m in listed if type(listed) is list else _list_field(raw, "mentions"):
            if not isinstance(m, dict):
                raise BadMessage(f"mentions has a {type(m).__name__}, expected objects")
            mid = _str_field(m, "id", "mentions[].")
            if mid:
                mentions.append(mid)

        owners = self._owners
        if owners is not None and not owners.mine(author.id):
            return Elsewhere(when)
        edited = raw.get("timestampEdited")
        return Message(
            platform=PlatformName.DISCORD,
            community_id=self.guild_id,
            channel=self.channel,
            message_id=msg_id,
            author=author,
            text=text,
            timestamp=when,
            attachments=tuple(attachments),
            mentions=tuple(dict.fromkeys(mentions)) if mentions else (),
            mass_mention="@" in text and _MASS_MENTION.search(text) is not None,
            reply_to=reply_to,
            edited=edited is not None and edited != "",
            forwarded=forwarded,
            link=self._link_base + msg_id,
            community_name=self.guild_name,
            extra=self._extra,
        )
