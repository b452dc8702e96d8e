"""What export readers report besides messages: problems with a position, and skip counts."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class ExportFormat(StrEnum):
    """The export formats the readers understand, detected from the content."""

    TELEGRAM = "telegram"  # Telegram Desktop, one chat: {"name", "type", "id", "messages": [...]}
    TELEGRAM_ACCOUNT = (
        "telegram-account"  # Telegram Desktop, whole account: {"chats": {"list": [...]}}
    )
    DISCORD = "discord"  # DiscordChatExporter JSON: {"guild", "channel", "messages": [...]}


class SkipReason(StrEnum):
    """Why a well-formed message is not replayed (the counting rules of ``modbot replay``)."""

    SERVICE = "service"  # Telegram service message, Discord system message (join, pin, ...)
    BOT = "bot"  # sent by a bot (Discord ``isBot``, webhooks; Telegram: see telegram_export)


@dataclass(frozen=True, slots=True)
class ReadProblem:
    """Something in an export that could not be read, with where it is.

    ``index`` is the 1-based position of the message in its ``messages`` array (``chat`` names the
    Telegram chat in a whole-account export); ``offset`` is the byte offset the parser had reached,
    exact for a truncated file and within one read buffer otherwise. ``fatal`` means the rest of
    the file was abandoned (invalid JSON cannot be resynchronised); otherwise only that message was
    skipped.
    """

    path: str
    reason: str
    index: int | None = None
    message_id: str | None = None
    offset: int | None = None
    chat: str | None = None
    fatal: bool = False

    def __str__(self) -> str:
        where = [self.path]
        if self.chat is not None:
            where.append(f"chat {self.chat!r}")
        if self.index is not None:
            where.append(
                f"message #{self.index}" + (f" (id {self.message_id})" if self.message_id else "")
            )
        if self.offset is not None:
            where.append(f"byte {self.offset}")
        return f"{': '.join(where)}: {self.reason}"


@dataclass(slots=True)
class ReadStats:
    """Running counts for one or more exports; updated as the stream is consumed."""

    messages: int = 0  # replayed (yielded) messages
    service: int = 0
    bots: int = 0
    problems: int = 0
    files: int = 0
    formats: dict[str, str] = field(default_factory=dict)  # path -> ExportFormat value
    # path -> bytes parsed so far, updated every few thousand messages (for progress bars)
    positions: dict[str, int] = field(default_factory=dict)

    @property
    def skipped(self) -> int:
        """Messages skipped by the counting rules (service/system messages and bots)."""
        return self.service + self.bots

    def count_skip(self, reason: SkipReason) -> None:
        if reason is SkipReason.SERVICE:
            self.service += 1
        else:
            self.bots += 1


class BadMessage(ValueError):
    """A message object whose fields do not have the types the format promises."""
