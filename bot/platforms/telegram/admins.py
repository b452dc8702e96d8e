"""A chat's administrators (Telegram's moderators), cached per chat with a short expiry."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from telegram import ChatMember, ChatMemberUpdated

# Short enough that a promotion made while no chat_member update reached us is seen soon.
DEFAULT_TTL = 300.0
_STAFF = frozenset({ChatMember.ADMINISTRATOR, ChatMember.OWNER})


@dataclass(frozen=True, slots=True)
class ChatStaff:
    """Who runs a chat: its creator and every administrator (the creator included)."""

    owner_id: int | None = None
    admin_ids: frozenset[int] = frozenset()

    def is_moderator(self, user_id: int) -> bool:
        return user_id in self.admin_ids or user_id == self.owner_id

    def is_owner(self, user_id: int) -> bool:
        return user_id == self.owner_id

    @classmethod
    def from_members(cls, members: Sequence[ChatMember]) -> ChatStaff:
        owner = next((m.user.id for m in members if m.status == ChatMember.OWNER), None)
        admins = frozenset(m.user.id for m in members if m.status in _STAFF)
        return cls(owner, admins)


def changes_staff(change: ChatMemberUpdated) -> bool:
    """True when a ``chat_member`` update promotes, demotes or edits an administrator."""
    old, new = change.old_chat_member, change.new_chat_member
    return old.status in _STAFF or new.status in _STAFF


class AdminCache:
    """``getChatAdministrators`` per chat, kept ``ttl`` seconds; concurrent misses share a call."""

    def __init__(
        self,
        fetch: Callable[[int], Awaitable[Sequence[ChatMember]]],
        ttl: float = DEFAULT_TTL,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._fetch = fetch
        self._ttl = ttl
        self._clock = clock
        self._entries: dict[int, tuple[float, ChatStaff]] = {}
        self._inflight: dict[int, asyncio.Future[ChatStaff]] = {}

    async def get(self, chat_id: int) -> ChatStaff:
        """The chat's staff; an error from Telegram propagates (the caller decides the fallback)."""
        entry = self._entries.get(chat_id)
        if entry is not None and self._clock() < entry[0]:
            return entry[1]
        pending = self._inflight.get(chat_id)
        if pending is not None:
            return await asyncio.shield(pending)
        future: asyncio.Future[ChatStaff] = asyncio.get_running_loop().create_future()
        self._inflight[chat_id] = future
        try:
            staff = ChatStaff.from_members(await self._fetch(chat_id))
        except BaseException as exc:
            future.set_exception(exc)
            future.exception()  # mark retrieved: waiters (if any) re-raise it themselves
            raise
        finally:
            self._inflight.pop(chat_id, None)
        self._entries[chat_id] = (self._clock() + self._ttl, staff)
        future.set_result(staff)
        return staff

    def cached(self, chat_id: int) -> ChatStaff | None:
        """The cached staff, even if expired (used when Telegram cannot be asked)."""
        entry = self._entries.get(chat_id)
        return entry[1] if entry else None

    def invalidate(self, chat_id: int) -> None:
        self._entries.pop(chat_id, None)

    def on_member_update(self, change: ChatMemberUpdated) -> None:
        """Forget a chat's staff when an update says an administrator changed."""
        if changes_staff(change):
            self.invalidate(change.chat.id)
