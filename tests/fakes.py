"""RecordingPlatform: a Platform fake that records every call and fails on demand."""

from __future__ import annotations

from collections import defaultdict, deque
from dataclasses import dataclass, field
from datetime import datetime

from bot.events import MessageRef, PlatformName
from bot.platforms.base import FailureKind, LogEntry, PlatformError, default_appeal_hint


@dataclass
class Call:
    """One recorded platform call: the method name and its arguments."""

    method: str
    args: tuple[object, ...]


@dataclass
class RecordingPlatform:
    """Implements ``Platform``; ``fail(method, kind, times=1)`` makes the next calls raise.

    ``calls`` holds every call, successful or not, in order; ``done`` only those that succeeded.
    """

    name: PlatformName = PlatformName.TELEGRAM
    calls: list[Call] = field(default_factory=list)
    done: list[Call] = field(default_factory=list)
    logs: list[LogEntry] = field(default_factory=list)
    mute_cap: datetime | None = None
    _failures: dict[str, deque[PlatformError]] = field(default_factory=lambda: defaultdict(deque))

    def fail(
        self,
        method: str,
        kind: FailureKind,
        times: int = 1,
        retry_after: float | None = None,
        message: str = "",
    ) -> None:
        """The next ``times`` calls of ``method`` raise PlatformError(kind)."""
        for _ in range(times):
            self._failures[method].append(
                PlatformError(kind, message or f"{method} {kind.value}", retry_after)
            )

    def methods(self) -> list[str]:
        """Names of the successful calls, in order."""
        return [c.method for c in self.done]

    def _record(self, method: str, *args: object) -> None:
        call = Call(method, args)
        self.calls.append(call)
        queue = self._failures.get(method)
        if queue:
            raise queue.popleft()
        self.done.append(call)

    async def delete_message(self, ref: MessageRef, reason: str) -> None:
        self._record("delete_message", ref, reason)

    async def send_message(
        self,
        community_id: str,
        channel_id: str,
        text: str,
        reply_to: str | None = None,
        thread_id: str | None = None,
    ) -> str | None:
        self._record("send_message", community_id, channel_id, text, reply_to, thread_id)
        return str(len(self.calls))

    async def mute(self, community_id: str, user_id: str, until: datetime, reason: str) -> datetime:
        self._record("mute", community_id, user_id, until, reason)
        if self.mute_cap is not None and until > self.mute_cap:
            return self.mute_cap
        return until

    async def unmute(self, community_id: str, user_id: str, reason: str) -> None:
        self._record("unmute", community_id, user_id, reason)

    async def kick(self, community_id: str, user_id: str, reason: str) -> None:
        self._record("kick", community_id, user_id, reason)

    async def ban(
        self,
        community_id: str,
        user_id: str,
        until: datetime | None,
        reason: str,
        delete_message_seconds: int = 0,
    ) -> None:
        self._record("ban", community_id, user_id, until, reason, delete_message_seconds)

    async def unban(self, community_id: str, user_id: str, reason: str) -> None:
        self._record("unban", community_id, user_id, reason)

    async def post_log(self, community_id: str, entry: LogEntry) -> None:
        self._record("post_log", community_id, entry)
        self.logs.append(entry)

    def appeal_hint(self, language: str, case_id: int) -> str:
        """The platform-neutral hint (the executor asks the platform for it)."""
        return default_appeal_hint(language, case_id)
