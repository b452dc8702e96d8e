"""Discord's role hierarchy: who the bot must never act on, and why."""

from __future__ import annotations

import discord

from bot.platforms.base import FailureKind, PlatformError


def refusal(guild: discord.Guild, target_id: int, target: discord.Member | None) -> str | None:
    """Why the bot may not sanction ``target_id`` in ``guild`` (None when it may).

    Never the guild owner, never the bot itself, never a member whose top role is not below the
    bot's top role (Discord would answer 403; refusing first lets the case say why).
    ``target`` is None for someone who is not a member (banning a user who left is fine).
    """
    if target_id == guild.owner_id:
        return "the target is the server owner"
    me = guild.me
    if me is not None and target_id == me.id:
        return "the target is the bot itself"
    if target is None or me is None:
        return None
    if target.top_role >= me.top_role:
        return (
            f"the target's top role {target.top_role.name!r} is not below "
            f"the bot's top role {me.top_role.name!r}"
        )
    return None


def ensure_actionable(guild: discord.Guild, target_id: int, target: discord.Member | None) -> None:
    """Raise ``PlatformError(REFUSED, why)`` when the bot may not act on the target."""
    why = refusal(guild, target_id, target)
    if why is not None:
        raise PlatformError(FailureKind.REFUSED, why)
