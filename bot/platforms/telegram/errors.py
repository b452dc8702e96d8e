"""python-telegram-bot exceptions → ``PlatformError`` kinds the executor understands."""

from __future__ import annotations

import warnings
from collections.abc import Awaitable
from datetime import timedelta
from typing import TypeVar

from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TelegramError,
    TimedOut,
)
from telegram.warnings import PTBDeprecationWarning

from bot.platforms.base import FailureKind, PlatformError

T = TypeVar("T")

# Descriptions (lower case, PTB strips the "Bad Request: " prefix) meaning the target is gone:
# the action's purpose is already achieved.
_GONE = (
    "message to delete not found",
    "message can't be deleted",  # too old for a bot, or already gone; nothing left to do
    "message identifier is not specified",
    "message_id_invalid",
    "user not found",
    "participant_id_invalid",
    "user_not_participant",
    "member not found",
)
# Descriptions meaning the bot lacks a right (it is not an administrator, or lacks the permission).
_NO_RIGHTS = (
    "not enough rights",
    "chat_admin_required",
    "have no rights",
    "need administrator rights",
    "not an administrator",
    "method is available only for supergroups",
)
# The target may not be acted on at all (the owner, another administrator, the bot itself).
_REFUSED = (
    "user is an administrator",
    "can't remove chat owner",
    "can't restrict self",
    "can't demote chat creator",
)


def classify(exc: TelegramError) -> PlatformError:
    """The ``PlatformError`` for one PTB exception."""
    text = exc.message
    low = text.lower()
    if isinstance(exc, RetryAfter):
        with warnings.catch_warnings():
            # PTB 22.2+ warns that ``retry_after`` will become a timedelta; both are handled.
            warnings.simplefilter("ignore", PTBDeprecationWarning)
            wait = exc.retry_after
        seconds = wait.total_seconds() if isinstance(wait, timedelta) else float(wait)
        return PlatformError(FailureKind.RATE_LIMITED, text, retry_after=seconds)
    if isinstance(exc, Forbidden):
        return PlatformError(FailureKind.FORBIDDEN, text)
    if isinstance(exc, InvalidToken):
        return PlatformError(FailureKind.FORBIDDEN, "invalid token")
    if isinstance(exc, ChatMigrated):
        return PlatformError(FailureKind.INVALID, f"chat migrated to {exc.new_chat_id}")
    if isinstance(exc, BadRequest):
        if any(s in low for s in _REFUSED):
            return PlatformError(FailureKind.REFUSED, text)
        if any(s in low for s in _NO_RIGHTS):
            return PlatformError(FailureKind.FORBIDDEN, text)
        if any(s in low for s in _GONE):
            return PlatformError(FailureKind.NOT_FOUND, text)
        return PlatformError(FailureKind.INVALID, text)
    if isinstance(exc, TimedOut | NetworkError):
        # TimedOut is a NetworkError; so are 5xx answers and dropped connections.
        return PlatformError(FailureKind.TRANSIENT, text)
    return PlatformError(FailureKind.INVALID, text)


async def call(awaitable: Awaitable[T]) -> T:
    """Await a PTB call, turning its errors into ``PlatformError``."""
    try:
        return await awaitable
    except TelegramError as exc:
        raise classify(exc) from exc
