"""The COMMANDS table: every chat command, defined once; both platform bindings read it."""

from __future__ import annotations

from bot.commands import admin, cases, members, moderation, reports
from bot.commands.spec import Command, CommandContext, Invocation, Reply, dispatch

COMMANDS: dict[str, Command] = {
    c.name: c
    for c in (
        *moderation.COMMANDS,
        *cases.COMMANDS,
        *reports.COMMANDS,
        *members.COMMANDS,
        *admin.COMMANDS,
    )
}

__all__ = ["COMMANDS", "Command", "CommandContext", "Invocation", "Reply", "dispatch"]
