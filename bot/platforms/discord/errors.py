"""discord.py exceptions → PlatformError kinds the executor understands."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import aiohttp
import discord

from bot.platforms.base import FailureKind, PlatformError


def classify(exc: BaseException, action: str = "") -> PlatformError:
    """One exception as a ``PlatformError`` (403 FORBIDDEN, 404 NOT_FOUND, 429 RATE_LIMITED,
    5xx and network TRANSIENT, other 4xx INVALID)."""
    where = f"{action}: " if action else ""
    if isinstance(exc, PlatformError):
        return exc
    if isinstance(exc, discord.Forbidden):
        return PlatformError(FailureKind.FORBIDDEN, f"{where}{_text(exc)}")
    if isinstance(exc, discord.NotFound):
        return PlatformError(FailureKind.NOT_FOUND, f"{where}{_text(exc)}")
    if isinstance(exc, discord.HTTPException):
        if exc.status == 429:
            return PlatformError(
                FailureKind.RATE_LIMITED, f"{where}{_text(exc)}", retry_after=_retry_after(exc)
            )
        if exc.status >= 500:
            return PlatformError(FailureKind.TRANSIENT, f"{where}{_text(exc)}")
        return PlatformError(FailureKind.INVALID, f"{where}{_text(exc)}")
    if isinstance(exc, aiohttp.ClientError | TimeoutError | OSError):
        return PlatformError(FailureKind.TRANSIENT, f"{where}{type(exc).__name__}: {exc}")
    raise TypeError(f"not a platform error: {exc!r}")


@contextmanager
def translated(action: str) -> Iterator[None]:
    """Run a REST call, re-raising discord.py and network errors as ``PlatformError``."""
    try:
        yield
    except PlatformError:
        raise
    except (TimeoutError, discord.HTTPException, aiohttp.ClientError, OSError) as exc:
        raise classify(exc, action) from exc


def _text(exc: discord.HTTPException) -> str:
    code = f" (code {exc.code})" if exc.code else ""
    return f"{exc.status} {exc.text or exc.response.reason}{code}"


def _retry_after(exc: discord.HTTPException) -> float | None:
    value = exc.response.headers.get("Retry-After")
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None
