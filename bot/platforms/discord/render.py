"""Log-channel entries as Discord embeds."""

from __future__ import annotations

from datetime import datetime

import discord

from bot.platforms.base import LogEntry

_SANCTION_COLOURS = {
    "ban": discord.Colour.dark_red(),
    "kick": discord.Colour.red(),
    "mute": discord.Colour.orange(),
    "warn": discord.Colour.gold(),
}
_EXCERPT = 1000  # embed field values are capped at 1024 characters


def colour_of(entry: LogEntry) -> discord.Colour:
    """Grey for shadow rules, by sanction otherwise, blurple for plain deletes and alerts."""
    if entry.shadow:
        return discord.Colour.light_grey()
    # Entries recorded before ``kind`` existed carry the sanction as the title's first word.
    word = entry.kind or entry.title.split(" ", 1)[0].lower()
    return _SANCTION_COLOURS.get(word, discord.Colour.blurple())


def render(entry: LogEntry, at: datetime | None = None) -> discord.Embed:
    """The embed: title, reason, rule(s), member, case id, excerpt and a jump link."""
    title = entry.title[:1].upper() + entry.title[1:] if entry.title else "Moderation"
    if entry.shadow:
        title = f"[shadow] {title}"
    embed = discord.Embed(
        title=title[:256],
        description=entry.body[:4000] or None,
        colour=colour_of(entry),
        url=entry.link or None,
        timestamp=at,
    )
    if entry.rule_ids:
        embed.add_field(name="Rule", value=", ".join(entry.rule_ids)[:1024], inline=True)
    if entry.member_id:
        member = f"<@{entry.member_id}>"
        if entry.member_name:
            member += f" ({discord.utils.escape_markdown(entry.member_name)})"
        embed.add_field(name="Member", value=member[:1024], inline=True)
    if entry.case_id is not None:
        embed.add_field(name="Case", value=f"#{entry.case_id}", inline=True)
    if entry.excerpt:
        excerpt = (
            entry.excerpt if len(entry.excerpt) <= _EXCERPT else entry.excerpt[:_EXCERPT] + "…"
        )
        embed.add_field(name="Message", value=f"```{_fence_safe(excerpt)}```", inline=False)
    if entry.link:
        embed.add_field(name="Jump", value=f"[to the message]({entry.link})", inline=False)
    for name, value in entry.fields:
        embed.add_field(name=name[:256], value=value[:1024] or "-", inline=False)
    if entry.case_id is not None:
        embed.set_footer(text=f"case {entry.case_id}")
    return embed


def _fence_safe(text: str) -> str:
    # A ``` inside the excerpt would close the code block early and let the text format itself.
    return text.replace("```", "`\u200b``")
