"""ConsolePlatform: the playground's "platform", which prints what it would do."""

from __future__ import annotations

import sys
from datetime import datetime
from typing import TextIO

from bot.events import Author, Channel, Message, MessageRef, PlatformName
from bot.platforms.base import LogEntry, default_appeal_hint

CONSOLE_COMMUNITY = "console"
CONSOLE_CHANNEL = Channel("console", "console")


def console_message(
    text: str, number: int, author: Author, when: datetime, community_name: str = ""
) -> Message:
    """A line typed at the console (playground, ``modbot explain``) as a message from ``author``."""
    return Message(
        platform=PlatformName.CONSOLE,
        community_id=CONSOLE_COMMUNITY,
        channel=CONSOLE_CHANNEL,
        message_id=str(number),
        author=author,
        text=text,
        timestamp=when,
        community_name=community_name,
    )


class ConsolePlatform:
    """Implements ``Platform`` by printing one ``  -> ...`` line per call to ``out``."""

    name = PlatformName.CONSOLE

    def __init__(self, out: TextIO | None = None) -> None:
        self._out = out

    def _say(self, text: str) -> None:
        out = self._out or sys.stdout
        print(f"  -> {text}", file=out, flush=True)

    async def delete_message(self, ref: MessageRef, reason: str) -> None:
        self._say(f"delete message {ref.message_id} ({reason})")

    async def send_message(
        self,
        community_id: str,
        channel_id: str,
        text: str,
        reply_to: str | None = None,
        thread_id: str | None = None,
    ) -> str | None:
        self._say(f"say: {text}")
        return None

    async def mute(self, community_id: str, user_id: str, until: datetime, reason: str) -> datetime:
        self._say(f"mute {user_id} until {until:%Y-%m-%d %H:%M} UTC ({reason})")
        return until

    async def unmute(self, community_id: str, user_id: str, reason: str) -> None:
        self._say(f"unmute {user_id} ({reason})")

    async def kick(self, community_id: str, user_id: str, reason: str) -> None:
        self._say(f"kick {user_id} ({reason})")

    async def ban(
        self,
        community_id: str,
        user_id: str,
        until: datetime | None,
        reason: str,
        delete_message_seconds: int = 0,
    ) -> None:
        end = "permanently" if until is None else f"until {until:%Y-%m-%d %H:%M} UTC"
        self._say(f"ban {user_id} {end} ({reason})")

    async def unban(self, community_id: str, user_id: str, reason: str) -> None:
        self._say(f"unban {user_id} ({reason})")

    def appeal_hint(self, language: str, case_id: int) -> str:
        return default_appeal_hint(language, case_id)

    async def post_log(self, community_id: str, entry: LogEntry) -> None:
        """Print the entry at once (nothing is queued, so the executor marks it done)."""
        tag = " [shadow]" if entry.shadow else ""
        case = f" case #{entry.case_id}" if entry.case_id is not None else ""
        self._say(f"log{tag}:{case} {entry.title}: {entry.body}".rstrip(": "))
