"""Commands that also work on a message picked from a menu instead of a replied-to message.

On Telegram, ``report`` and ``why`` take the message the command replies to. A Discord slash command
cannot reply to a message, so the Discord binding adds a message context menu (right-click a
message → Apps) for each command listed here: its callback fills the Invocation's ``reply_*``
fields from the chosen message and runs the same command through ``dispatch()`` (privilege check,
arguments, errors), exactly as the slash command does. Nothing else differs.
"""

from __future__ import annotations

from dataclasses import dataclass

# Discord's limit for a context menu's name, in every language.
MAX_NAME = 32


@dataclass(frozen=True, slots=True)
class MessageMenu:
    """A command offered on a message: ``name_key`` is the i18n key of the menu's name."""

    command: str
    name_key: str


MESSAGE_MENUS: tuple[MessageMenu, ...] = (
    MessageMenu("report", "menu.report"),
    MessageMenu("why", "menu.why"),
)
