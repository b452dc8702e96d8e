"""The seam between moderation and a chat platform: the Platform protocol and its error kinds."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Protocol, runtime_checkable

from bot.events import MessageRef, PlatformName
from bot.i18n import t


class FailureKind(StrEnum):
    """Why a platform call failed; the executor decides what each means."""

    NOT_FOUND = "not_found"  # message/member already gone: the action counts as done
    FORBIDDEN = "forbidden"  # the bot lacks a right: failed, one alert to the log channel
    REFUSED = "refused"  # the target may not be acted on (owner, higher role, the bot itself)
    RATE_LIMITED = "rate_limited"  # retry after ``retry_after`` seconds
    TRANSIENT = "transient"  # network or 5xx: retry with backoff
    INVALID = "invalid"  # the request itself was wrong: failed, no retry


class PlatformError(Exception):
    """A platform call that did not succeed, classified for the executor."""

    def __init__(self, kind: FailureKind, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message
        self.retry_after = retry_after


@dataclass(frozen=True, slots=True)
class LogEntry:
    """One post to a community's log channel (rendered as an embed on Discord, HTML on Telegram)."""

    title: str
    body: str
    case_id: int | None = None
    rule_ids: tuple[str, ...] = ()
    member_id: str = ""
    member_name: str = ""
    excerpt: str = ""
    link: str | None = None
    shadow: bool = False
    fields: tuple[tuple[str, str], ...] = field(default=())
    # What the entry is about, whatever the title's language: a sanction (warn, mute, kick, ban),
    # delete or alert; renderers colour by it ("" for the others: reports, pardons...).
    kind: str = ""


@dataclass(frozen=True, slots=True)
class LogResult:
    """How a queued log entry ended: ``posted`` (in a post of its own or shared, or counted in the
    queue's summary line, which ``note`` then says), or given up (``note`` says why)."""

    posted: bool
    note: str | None = None


# What ``post_log`` returns for an entry it queued: resolved with the entry's LogResult once its post
# went out or was given up, cancelled when the process stops first (the entry was never posted).
LogReceipt = asyncio.Future[LogResult]


@runtime_checkable
class Platform(Protocol):
    """What the executor and the commands need from a chat platform.

    Every method raises ``PlatformError`` on failure. ``mute`` returns the time the restriction
    really ends (Discord caps timeouts at 28 days). ``send_message``'s ``thread_id`` is the
    channel's topic (``Channel.thread_id``: Telegram forum topics; platforms without them ignore it).

    ``post_log`` never waits for the log channel: it returns a ``LogReceipt`` for an entry it
    queued, or None when it dealt with the entry before returning (posted it, or there is no log
    channel to post to). ``appeal_hint`` is the line added under a warning or a mute notice: how
    the member appeals the case on this platform, in ``language``.
    """

    name: PlatformName

    async def delete_message(self, ref: MessageRef, reason: str) -> None: ...

    async def send_message(
        self,
        community_id: str,
        channel_id: str,
        text: str,
        reply_to: str | None = None,
        thread_id: str | None = None,
    ) -> str | None: ...

    async def mute(
        self, community_id: str, user_id: str, until: datetime, reason: str
    ) -> datetime: ...

    async def unmute(self, community_id: str, user_id: str, reason: str) -> None: ...

    async def kick(self, community_id: str, user_id: str, reason: str) -> None: ...

    async def ban(
        self,
        community_id: str,
        user_id: str,
        until: datetime | None,
        reason: str,
        delete_message_seconds: int = 0,
    ) -> None: ...

    async def unban(self, community_id: str, user_id: str, reason: str) -> None: ...

    async def post_log(self, community_id: str, entry: LogEntry) -> LogReceipt | None: ...

    def appeal_hint(self, language: str, case_id: int) -> str: ...


def default_appeal_hint(language: str, case_id: int) -> str:
    """The appeal hint of a platform whose members can still use /appeal where they were told."""
    return t("auto.appeal_hint", language, case=case_id)
