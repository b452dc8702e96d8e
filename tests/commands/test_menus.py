"""The MESSAGE_MENUS table: commands offered on a message (Discord's message context menus)."""

from __future__ import annotations

from bot.commands import COMMANDS
from bot.commands.menus import MAX_NAME, MESSAGE_MENUS
from bot.i18n import CATALOGUES, t


def test_every_menu_runs_a_command_that_needs_no_option() -> None:
    assert [m.command for m in MESSAGE_MENUS] == ["report", "why"]
    for menu in MESSAGE_MENUS:
        command = COMMANDS[menu.command]
        # A menu gives no options, only the message: every parameter must be optional (a
        # MEMBER parameter would take the message's author, as on Telegram).
        assert not any(p.required for p in command.params), menu.command


def test_menu_names_fit_discords_limit_in_every_language_and_differ() -> None:
    for lang in CATALOGUES:
        names = [t(m.name_key, lang) for m in MESSAGE_MENUS]
        assert all(1 <= len(n) <= MAX_NAME for n in names), (lang, names)
        assert len(set(names)) == len(names), lang
