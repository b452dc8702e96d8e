"""The COMMANDS table: every command documented in both languages, names as interfaces.md lists them."""

from __future__ import annotations

from bot.commands import COMMANDS
from bot.commands.spec import Kind
from bot.i18n import CATALOGUES
from bot.moderation.permissions import Privilege

INTERFACE = {
    "warn", "mute", "unmute", "kick", "ban", "unban", "purge", "case", "cases", "pardon", "note",
    "why", "reload", "stats", "rules", "report", "appeal", "mycases",
}  # fmt: skip
FOR_EVERYONE = {"rules", "report", "appeal", "mycases"}
# Added after the interface: moderators reviewing reports (docs/commands.md, "Reviewing reports").
ADDED = {"reports", "dismiss"}


def test_the_table_is_the_interface_and_the_additions() -> None:
    assert set(COMMANDS) == INTERFACE | ADDED
    assert {n for n, c in COMMANDS.items() if c.privilege is Privilege.MEMBER} == FOR_EVERYONE


def test_every_command_and_parameter_is_described_in_both_languages() -> None:
    for lang in ("en", "vi"):
        catalogue = CATALOGUES[lang]
        for command in COMMANDS.values():
            assert len(catalogue[command.help_key]) <= 100, command.name
            for p in command.params:
                assert len(catalogue[p.help_key]) <= 100, p.name
                assert f"what.{p.name}" in catalogue


def test_targets_come_first_and_are_named_member() -> None:
    for command in COMMANDS.values():
        if command.sanction:
            assert command.params[0].name == "member" and command.params[0].kind is Kind.MEMBER


def test_private_commands_are_the_ones_holding_private_answers() -> None:
    """Telegram never posts these answers in the group (notes, cases, a member's history...)."""
    from bot.commands import COMMANDS

    private = {name for name, command in COMMANDS.items() if command.private}
    assert private == {
        "case", "cases", "note", "why", "mycases", "appeal", "stats", "reload", "reports", "dismiss",
    }  # fmt: skip
