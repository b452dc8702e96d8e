"""Plain-value builders for neutral events, shared by tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import count
from typing import Any

from bot.events import Attachment, Author, Channel, Message, PlatformName, Role

T0 = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
_ids = count(1)


def author(
    id: str = "42",
    name: str = "member",
    roles: tuple[str, ...] = (),
    **kwargs: Any,
) -> Author:
    """A member; ``roles`` are names (ids are ``role-<name>``)."""
    return Author(id=id, name=name, roles=tuple(Role(f"role-{r}", r) for r in roles), **kwargs)


def message(
    text: str = "hello",
    *,
    at: datetime | None = None,
    seconds: float = 0,
    who: Author | None = None,
    channel: str = "general",
    platform: PlatformName = PlatformName.DISCORD,
    attachments: tuple[Attachment, ...] = (),
    **kwargs: Any,
) -> Message:
    """A message in community "c1" from ``who`` (an ordinary member by default)."""
    when = (at or T0) + timedelta(seconds=seconds)
    return Message(
        platform=platform,
        community_id="c1",
        channel=Channel(f"id-{channel}", channel),
        message_id=str(next(_ids)),
        author=who or author(),
        text=text,
        timestamp=when,
        attachments=attachments,
        **kwargs,
    )
