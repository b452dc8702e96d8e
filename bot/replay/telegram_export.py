"""Telegram Desktop JSON export (``result.json``) message objects -> neutral ``Message``.

Shapes follow Telegram Desktop's ``export_output_json.cpp``:

- a message is ``{"id", "type": "message"|"service"|"unsupported", "date", "date_unixtime", ...}``;
  ``date`` is the exporter's *local* time without an offset, so ``date_unixtime`` is preferred;
- ``text`` is a string, or a list mixing strings and entity objects ``{"type", "text", ...}``
  (``text_link`` has ``href``, ``mention_name`` has ``user_id``); ``text_entities`` is the same as a
  list of objects only. Captions of photos and files are in ``text`` too;
- ``from``/``from_id`` (``"user123"``, ``"channel456"``, ``"chat789"``; ``from`` may be null for a
  deleted account), ``edited``/``edited_unixtime``, ``forwarded_from``, ``reply_to_message_id``,
  ``via_bot``, ``photo``, ``file`` + ``file_name``/``media_type``/``mime_type``, ``poll.question``;
- service messages carry ``actor``/``actor_id`` and ``action`` (``join_group_by_link``,
  ``invite_members`` with member *names*, ``remove_members`` ...).

Telegram exports do not mark bots. A message is treated as a bot's when it comes from the other
side of a ``bot_chat`` or when the sender's display name ends in "bot" (Telegram requires bot
usernames to, and bots' display names nearly always follow): a heuristic, documented as such.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from bot.events import Attachment, Author, Channel, Message, PlatformName
from bot.replay.partition import Elsewhere, Owners, Part
from bot.replay.problems import BadMessage, SkipReason

_MASS_MENTION = re.compile(r"(?<![\w@])@(?:all|everyone|here)\b", re.IGNORECASE)
_NOT_INCLUDED = "("  # exporter placeholders for skipped files start with "(File ..." / "(Photo ..."
# Chat types whose Bot API id is -100<id>; basic groups are -<id>; private chats are the user id.
_CHANNEL_TYPES = frozenset(
    {"private_supergroup", "public_supergroup", "private_channel", "public_channel"}
)
_MEDIA_KINDS = {
    # Names as the Bot API calls these objects, so rules written for the live bot match replay.
    "sticker": "sticker",
    "voice_message": "voice",
    "video_message": "video_note",
    "animation": "animation",
}
_JOIN_ACTIONS = frozenset({"join_group_by_link", "join_group_by_request"})


def bot_api_chat_id(chat_type: str, bare_id: str) -> str:
    """The id the Bot API (and so the live bot and the rules file) uses for an exported chat."""
    if not bare_id or bare_id.startswith("-"):
        return bare_id
    if chat_type in _CHANNEL_TYPES:
        return f"-100{bare_id}"
    if chat_type == "private_group":
        return f"-{bare_id}"
    return bare_id


def peer_id(value: object) -> str:
    """``"user123"`` -> ``"123"``, ``"channel456"`` -> ``"-100456"``, ``"chat7"`` -> ``"-7"``."""
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if not isinstance(value, str):
        raise BadMessage(f"from_id is {type(value).__name__}, expected a string like 'user123'")
    if value.startswith("user"):
        return value[4:]
    if value.startswith("channel"):
        return "-100" + value[7:]
    if value.startswith("chat"):
        return "-" + value[4:]
    return value


def _unixtime(value: object, key: str) -> datetime:
    if isinstance(value, str) and value.isdigit():
        return datetime.fromtimestamp(int(value), UTC)
    if isinstance(value, int) and not isinstance(value, bool):
        return datetime.fromtimestamp(value, UTC)
    raise BadMessage(f"{key} is {value!r}, expected seconds since the epoch")


def _timestamp(raw: dict[str, Any]) -> datetime:
    unix = raw.get("date_unixtime")
    if unix is not None:
        return _unixtime(unix, "date_unixtime")
    date = raw.get("date")
    if isinstance(date, str):
        try:
            parsed = datetime.fromisoformat(date)
        except ValueError:
            raise BadMessage(f"date is {date!r}, expected ISO 8601") from None
        # Old exports have no date_unixtime and ``date`` is local time without an offset: UTC is
        # the only reading that does not depend on the machine replaying it.
        return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)
    raise BadMessage("no date_unixtime or date")


def _flatten(parts: object, key: str, hrefs: list[str], mentions: list[str]) -> str:
    """Text of a ``text``/``text_entities`` value; collects link targets and mentioned members."""
    if isinstance(parts, str):
        return parts
    if not isinstance(parts, list):
        raise BadMessage(f"{key} is {type(parts).__name__}, expected a string or a list")
    out: list[str] = []
    for part in parts:
        if isinstance(part, str):
            out.append(part)
            continue
        if not isinstance(part, dict):
            raise BadMessage(
                f"{key} has a {type(part).__name__} part, expected strings and objects"
            )
        text = part.get("text", "")
        if not isinstance(text, str):
            raise BadMessage(f"{key} part {part.get('type')!r} has non-string text")
        kind = part.get("type")
        if kind == "text_link":
            href = part.get("href")
            if isinstance(href, str) and href:
                hrefs.append(href)
                if href not in text:
                    # Link rules must see the URL behind the link; keep it next to its label.
                    text = f"{text} ({href})"
        elif kind == "mention":
            if text:
                mentions.append(text.casefold())
        elif kind == "mention_name":
            uid = part.get("user_id")
            mentions.append(str(uid) if uid is not None else text.casefold())
        out.append(text)
    return "".join(out)


def _is_plain(entity: object) -> bool:
    return isinstance(entity, dict) and entity.get("type") == "plain"


def _attachments(raw: dict[str, Any]) -> tuple[Attachment, ...]:
    found: list[Attachment] = []
    photo = raw.get("photo")
    if photo is not None:
        if not isinstance(photo, str):
            raise BadMessage(f"photo is {type(photo).__name__}, expected a path string")
        size = raw.get("photo_file_size", 0)
        found.append(
            Attachment(
                filename="" if photo.startswith(_NOT_INCLUDED) else photo,
                kind="photo",
                size=size if isinstance(size, int) else 0,
            )
        )
    file = raw.get("file")
    media_type = raw.get("media_type")
    if file is not None or media_type is not None:
        if file is not None and not isinstance(file, str):
            raise BadMessage(f"file is {type(file).__name__}, expected a path string")
        if media_type is not None and not isinstance(media_type, str):
            raise BadMessage(f"media_type is {type(media_type).__name__}, expected a string")
        name = raw.get("file_name")
        if not isinstance(name, str) or not name:
            name = "" if not file or file.startswith(_NOT_INCLUDED) else file
        size = raw.get("file_size", 0)
        found.append(
            Attachment(
                filename=name,
                kind=_file_kind(name, media_type, raw.get("mime_type")),
                size=size if isinstance(size, int) else 0,
            )
        )
    return tuple(found)


def _file_kind(name: str, media_type: str | None, mime: object) -> str:
    if media_type in _MEDIA_KINDS:
        return _MEDIA_KINDS[media_type]
    base = name.rsplit("/", 1)[-1]
    if "." in base:
        # ``types: [exe, apk]`` in a rule must see a renamed video or audio file's real extension.
        return base.rsplit(".", 1)[-1].lower()
    if media_type == "video_file":
        return "video"
    if media_type == "audio_file":
        return "audio"
    if isinstance(mime, str) and "/" in mime:
        return mime.split("/", 1)[1].split(";", 1)[0].lower()
    return "document"


class TelegramConverter:
    """Converts one Telegram export's messages, remembering joins and first sightings per chat.

    ``member_age`` needs ``joined_at``: service messages (``join_group_by_link``,
    ``join_group_by_request``, ``invite_members``) are remembered so that later messages from that
    member carry it. ``account_age`` on Telegram means "first seen by the bot": replay sets
    ``created_at`` to the member's first appearance in the export.

    With ``part`` (replay split over workers), messages of members of other parts are checked
    but not converted: they come out as ``Elsewhere``.
    """

    def __init__(self, path: str, part: Part | None = None) -> None:
        self.path = path
        self._part = part
        self._owners: Owners | None = None
        # Shared by every message of the file (``Message.extra`` is read-only by convention).
        self._extra = {"file": path}
        self.set_chat({})

    def set_chat(self, meta: dict[str, Any]) -> None:
        """Start a chat (the export's top-level object, or one entry of ``chats.list``)."""
        name = meta.get("name")
        chat_type = meta.get("type")
        bare = meta.get("id")
        self.chat_type = chat_type if isinstance(chat_type, str) else ""
        self.bare_id = (
            str(bare) if isinstance(bare, int | str) and not isinstance(bare, bool) else ""
        )
        self.chat_id = bot_api_chat_id(self.chat_type, self.bare_id)
        self.chat_name = name if isinstance(name, str) else ""
        self.channel = Channel(self.chat_id, self.chat_name)
        self._joined: dict[str, datetime] = {}
        self._joined_names: dict[str, datetime] = {}
        self._first_seen: dict[str, datetime] = {}
        self._authors: dict[str, Author] = {}  # reused while name and join time are unchanged
        self._bot_peer = f"user{self.bare_id}" if self.chat_type == "bot_chat" else None
        # Private supergroups and channels have t.me/c links; others have none without a username.
        self._link_base = (
            f"https://t.me/c/{self.bare_id}/" if self.chat_type in _CHANNEL_TYPES else None
        )
        if self._part is not None:
            self._owners = Owners(self._part, PlatformName.TELEGRAM, self.chat_id)

    def convert(self, raw: object) -> Message | SkipReason | Elsewhere:
        """One message object -> ``Message``, or why it is skipped; ``BadMessage`` if malformed."""
        if not isinstance(raw, dict):
            raise BadMessage(f"message is {type(raw).__name__}, expected an object")
        kind = raw.get("type", "message")
        if kind != "message":
            if kind == "service":
                self._service(raw)
            # "unsupported" (media the exporter could not write) has no content to judge.
            return SkipReason.SERVICE
        when = _timestamp(raw)
        raw_from_id = raw.get("from_id")
        name = raw.get("from")
        if name is not None and not isinstance(name, str):
            raise BadMessage(f"from is {type(name).__name__}, expected a string")
        name = name or ""
        if raw_from_id is None:
            author_id = self.chat_id  # channel posts in old exports have only "from"
        else:
            author_id = peer_id(raw_from_id)
        if raw_from_id == self._bot_peer or name.casefold().endswith("bot"):
            return SkipReason.BOT

        hrefs: list[str] = []
        mentions: list[str] = []
        text = _flatten(raw.get("text", ""), "text", hrefs, mentions)
        entities = raw.get("text_entities")
        if (
            entities
            and isinstance(entities, list)
            and (len(entities) > 1 or not _is_plain(entities[0]))
            and isinstance(raw.get("text"), str)
        ):
            # A plain-string ``text`` with entities alongside: take links and mentions from them.
            extra_hrefs: list[str] = []
            _flatten(entities, "text_entities", extra_hrefs, mentions)
            missing = [h for h in extra_hrefs if h not in text]
            if missing:
                text = " ".join([text, *missing]) if text else " ".join(missing)
        poll = raw.get("poll")
        if poll is not None:
            if not isinstance(poll, dict):
                raise BadMessage(f"poll is {type(poll).__name__}, expected an object")
            question = _flatten(poll.get("question", ""), "poll.question", hrefs, mentions)
            text = f"{text}\n{question}" if text else question

        reply = raw.get("reply_to_message_id")
        if reply is not None and not isinstance(reply, int | str):
            raise BadMessage(f"reply_to_message_id is {type(reply).__name__}, expected a number")
        msg_id = raw.get("id")
        if not isinstance(msg_id, int | str):
            raise BadMessage(f"id is {type(msg_id).__name__}, expected a number")
        has_files = "photo" in raw or "file" in raw or "media_type" in raw
        owners = self._owners
        if owners is not None and not owners.mine(author_id):
            if has_files:
                _attachments(raw)  # a malformed file field is reported as when converted
            return Elsewhere(when)

        joined = self._joined.get(author_id) or self._joined_names.get(name)
        author = self._authors.get(author_id)
        if author is None or author.name != name or author.joined_at != joined:
            author = Author(
                id=author_id,
                name=name,
                joined_at=joined,
                created_at=self._first_seen.setdefault(author_id, when),
            )
            self._authors[author_id] = author
        extra = self._extra
        via = raw.get("via_bot")
        if isinstance(via, str):
            extra = {"file": self.path, "via_bot": via}
        return Message(
            platform=PlatformName.TELEGRAM,
            community_id=self.chat_id,
            channel=self.channel,
            message_id=str(msg_id),
            author=author,
            text=text,
            timestamp=when,
            attachments=_attachments(raw) if has_files else (),
            mentions=tuple(dict.fromkeys(mentions)) if mentions else (),
            mass_mention=bool(text) and "@" in text and _MASS_MENTION.search(text) is not None,
            reply_to=None if reply is None else str(reply),
            edited="edited" in raw or "edited_unixtime" in raw,
            forwarded="forwarded_from" in raw or "forwarded_from_id" in raw,
            link=None if self._link_base is None else f"{self._link_base}{msg_id}",
            community_name=self.chat_name,
            extra=extra,
        )

    def _service(self, raw: dict[str, Any]) -> None:
        """Remember joins and leaves for ``member_age``; service messages are never replayed."""
        action = raw.get("action")
        try:
            when = _timestamp(raw)
        except BadMessage:
            return
        actor = raw.get("actor_id")
        if action in _JOIN_ACTIONS and isinstance(actor, str):
            member = peer_id(actor)
            self._joined[member] = when
            self._first_seen.setdefault(member, when)
        elif action == "invite_members":
            # Only display names are exported for invited members; match later messages by name.
            for member_name in raw.get("members") or ():
                if isinstance(member_name, str):
                    self._joined_names[member_name] = when
        elif action == "remove_members":
            for member_name in raw.get("members") or ():
                if isinstance(member_name, str):
                    self._joined_names.pop(member_name, None)
