"""Discord binding of COMMANDS: app_commands with default_member_permissions, typed described options;
message context menus for the commands in MESSAGE_MENUS (they run the same commands). The
``Command.direct`` commands (``/appeal``, ``/mycases``) also work in a direct message with the bot:
a timed-out member cannot use commands in the server."""

from __future__ import annotations

import dataclasses
import inspect
import io
from typing import TYPE_CHECKING, Any, Optional

import discord
import structlog
from discord import app_commands

from bot.commands import COMMANDS, CommandContext, Invocation, Reply, dispatch
from bot.commands.menus import MESSAGE_MENUS, MessageMenu
from bot.commands.spec import Command, Kind, Param
from bot.events import Author, MemberLeave, MessageRef, PlatformName
from bot.i18n import CATALOGUES, t
from bot.moderation.permissions import Privilege
from bot.platforms.discord.convert import to_author

if TYPE_CHECKING:
    from bot.moderation.pipeline import Pipeline
    from bot.platforms.discord import DiscordPlatform

log = structlog.get_logger("bot.platforms.discord.commands")

# What Discord shows moderator commands to by default; the bot checks privilege itself anyway,
# so a server that grants the commands to another role cannot widen who may act.
MODERATOR_PERMISSIONS = discord.Permissions(manage_messages=True)
# Where the direct commands may be used (Discord's interaction contexts; BOT_DM is the member's
# DM with the bot). Only global commands can be used in a DM: with DISCORD_GUILD_IDS the guild copy
# stays guild-only and a DM-only global copy is added, so the server shows no duplicate.
IN_GUILD_AND_DM = app_commands.AppCommandContext(guild=True, dm_channel=True)
DM_ONLY = app_commands.AppCommandContext(dm_channel=True)
_MAX_CONTENT = 2000
_DESCRIPTION = 100
# The menus' default names are English; the catalogue's other languages that Discord has a locale
# for become name_localizations (Discord's "vi" is Vietnamese).
_MENU_DEFAULT = "en"
_MENU_LOCALES: dict[discord.Locale, str] = {
    discord.Locale(lang): lang
    for lang in CATALOGUES
    if lang != _MENU_DEFAULT and lang in {loc.value for loc in discord.Locale}
}


class MenuNames(app_commands.Translator):
    """The message menus' names in the catalogue's other languages (``name_localizations``).

    discord.py asks the tree's translator for every string it registers; anything that is not a
    menu name is left alone (None), so slash commands register as before.
    """

    async def translate(
        self,
        string: app_commands.locale_str,
        locale: discord.Locale,
        context: app_commands.TranslationContextTypes,
    ) -> str | None:
        key = string.extras.get("menu_key")
        lang = _MENU_LOCALES.get(locale)
        if key is None or lang is None:
            return None
        return t(key, lang)


def _annotation(param: Param) -> Any:
    if param.kind is Kind.MEMBER:
        return discord.Member
    if param.kind is Kind.INT:
        if param.minimum is not None and param.maximum is not None:
            return app_commands.Range[int, param.minimum, param.maximum]
        if param.minimum is not None:
            return app_commands.Range[int, param.minimum, None]
        return int
    if param.kind in (Kind.CASE_ID, Kind.REPORT_ID):
        return app_commands.Range[int, 1, None]
    return str  # durations, text, user ids: parsed by dispatch() with its clear errors


class DiscordCommands:
    """The slash commands of one DiscordPlatform, built from COMMANDS and added to its tree."""

    def __init__(self, platform: DiscordPlatform, pipeline: Pipeline) -> None:
        self.platform = platform
        self.context = CommandContext(
            pipeline, platform, self.resolve, bot_id=lambda: platform.bot_id
        )
        tree = platform.tree
        guilds = [discord.Object(id=gid) for gid in platform.guild_ids]
        for command in COMMANDS.values():
            if guilds:
                tree.add_command(self.build(command), guilds=guilds, override=True)
                if command.direct:
                    tree.add_command(self.build(command, DM_ONLY), override=True)
            else:
                contexts = IN_GUILD_AND_DM if command.direct else None
                tree.add_command(self.build(command, contexts), override=True)
        for menu in MESSAGE_MENUS:
            if guilds:
                tree.add_command(self.build_menu(menu), guilds=guilds, override=True)
            else:
                tree.add_command(self.build_menu(menu), override=True)

    def build(
        self, command: Command, contexts: app_commands.AppCommandContext | None = None
    ) -> app_commands.Command[Any, Any, Any]:
        """One app command: options typed and described, the target first and named ``member``.
        Guild-only unless ``contexts`` says where else it may be used (a ``direct`` command)."""
        lang = self.context.language
        params = [
            inspect.Parameter(
                "interaction",
                inspect.Parameter.POSITIONAL_OR_KEYWORD,
                annotation=discord.Interaction,
            )
        ]
        for p in command.params:
            annotation = _annotation(p)
            if p.required:
                params.append(
                    inspect.Parameter(p.name, inspect.Parameter.KEYWORD_ONLY, annotation=annotation)
                )
            else:
                params.append(
                    inspect.Parameter(
                        p.name,
                        inspect.Parameter.KEYWORD_ONLY,
                        annotation=Optional[annotation],  # noqa: UP045 - discord.py reads typing.Optional
                        default=None,
                    )
                )

        async def callback(interaction: discord.Interaction, **values: Any) -> None:
            await self.invoke(command, interaction, values)

        callback.__signature__ = inspect.Signature(params)  # type: ignore[attr-defined]
        callback.__name__ = command.name
        callback.__qualname__ = command.name  # no dot: discord.py would take it for a method
        described = app_commands.describe(
            **{p.name: t(p.help_key, lang)[:_DESCRIPTION] for p in command.params}
        )(callback)
        cmd: app_commands.Command[Any, Any, Any] = app_commands.Command(
            name=command.name,
            description=t(command.help_key, lang)[:_DESCRIPTION],
            callback=described,
        )
        if contexts is None:
            cmd.guild_only = True
        else:
            cmd.allowed_contexts = contexts
        if command.privilege >= Privilege.MODERATOR:
            cmd.default_permissions = MODERATOR_PERMISSIONS
        return cmd

    def build_menu(self, menu: MessageMenu) -> app_commands.ContextMenu:
        """A message context menu that runs ``menu.command`` on the chosen message, with the same
        default permissions as its slash command (the bot checks privilege itself anyway)."""
        command = COMMANDS[menu.command]

        async def on_message(interaction: discord.Interaction, message: discord.Message) -> None:
            await self.invoke(command, interaction, {}, target=message)

        ctx = app_commands.ContextMenu(
            name=app_commands.locale_str(t(menu.name_key, _MENU_DEFAULT), menu_key=menu.name_key),
            callback=on_message,
            type=discord.AppCommandType.message,
        )
        ctx.guild_only = True
        if command.privilege >= Privilege.MODERATOR:
            ctx.default_permissions = MODERATOR_PERMISSIONS
        return ctx

    async def invoke(
        self,
        command: Command,
        interaction: discord.Interaction,
        values: dict[str, Any],
        target: discord.Message | None = None,
    ) -> None:
        """Turn the interaction into a neutral Invocation, dispatch, answer. ``target``: the
        message a context menu was used on, given to the command as the replied-to message."""
        guild = interaction.guild
        deferred = False
        try:
            if guild is None and not command.direct:
                # Registered guild-only: Discord should never send one; answer rather than fail.
                await interaction.response.send_message(
                    t("cmd.failed", self.context.language, error="guild only"), ephemeral=True
                )
                return
            if command.slow:
                # Discord wants an answer within 3 s; stats and purge may take longer.
                await interaction.response.defer(ephemeral=True, thinking=True)
                deferred = True
            if guild is None:
                inv = direct_invocation(command, interaction.user, interaction.channel_id, values)
                reply = await dispatch(self.context, inv)
                await self.answer(interaction, reply, deferred)
                return
            roles = list(self.platform.moderator_roles())
            options: dict[str, object] = {}
            for p in command.params:
                value = values.get(p.name)
                if isinstance(value, discord.Member | discord.User):
                    value = to_author(value, guild, roles)
                options[p.name] = value
            inv = Invocation(
                command=command.name,
                platform=PlatformName.DISCORD,
                community_id=str(guild.id),
                channel_id=str(interaction.channel_id or ""),
                invoker=to_author(interaction.user, guild, roles),
                options=options,
                community_name=guild.name,
            )
            if target is not None:
                inv = self.on_target(inv, target, guild, roles)
            reply = await dispatch(self.context, inv)
            await self.answer(interaction, reply, deferred)
        except Exception:
            log.exception("discord_command_failed", command=command.name)

    @staticmethod
    def on_target(
        inv: Invocation, target: discord.Message, guild: discord.Guild, roles: list[str]
    ) -> Invocation:
        """``inv`` about ``target``, as a Telegram command replying to it would be."""
        # Messages in an interaction's resolved data carry the author as a user: the cached member
        # gives the roles, join date and moderator flag.
        author = guild.get_member(target.author.id) or target.author
        return dataclasses.replace(
            inv,
            reply_to=MessageRef(
                PlatformName.DISCORD, str(guild.id), str(target.channel.id), str(target.id)
            ),
            reply_author=to_author(author, guild, roles),
            reply_text=target.content,
            reply_link=target.jump_url,
        )

    async def answer(self, interaction: discord.Interaction, reply: Reply, deferred: bool) -> None:
        """Refusals and errors ephemeral; a PNG as an attachment."""
        content = reply.text[:_MAX_CONTENT]
        files = [discord.File(io.BytesIO(reply.png), reply.filename)] if reply.png else []
        if deferred:
            await interaction.followup.send(content, ephemeral=reply.ephemeral, files=files)
        else:
            await interaction.response.send_message(content, ephemeral=reply.ephemeral, files=files)

    async def resolve(self, community_id: str, ref: str) -> Author | None:
        """A user id or mention (the ``user`` option of ``unban``) → the member, if present."""
        guild = self.platform.client.get_guild(int(community_id))
        ident = ref.strip("<@!>")
        if guild is None or not ident.isdigit():
            return None
        member = guild.get_member(int(ident))
        if member is None:
            try:
                member = await guild.fetch_member(int(ident))
            except discord.HTTPException:
                return None
        return to_author(member, guild, list(self.platform.moderator_roles()))

    async def on_member_remove(self, member: discord.Member) -> None:
        """Leaves count in /stats."""
        if member.bot:
            return
        event = MemberLeave(
            PlatformName.DISCORD,
            str(member.guild.id),
            to_author(member, member.guild, list(self.platform.moderator_roles())),
            discord.utils.utcnow(),
        )
        await self.platform._emit(event)


def direct_invocation(
    command: Command,
    user: discord.User | discord.Member,
    channel_id: int | None,
    values: dict[str, Any],
) -> Invocation:
    """A ``direct`` command used in a DM with the bot: no community (the case gives it, as on
    Telegram), and nobody is a moderator there (the direct commands are every member's)."""
    options: dict[str, object] = {}
    for p in command.params:
        value = values.get(p.name)
        if isinstance(value, discord.Member | discord.User):
            value = to_author(value)
        options[p.name] = value
    return Invocation(
        command=command.name,
        platform=PlatformName.DISCORD,
        community_id="",
        channel_id=str(channel_id or ""),
        invoker=Author(id=str(user.id), name=user.display_name, username=user.name),
        options=options,
        direct=True,
    )


def install(platform: DiscordPlatform, pipeline: Pipeline) -> DiscordCommands:
    """Bind the commands to ``platform`` (before login: the tree is synced in ``setup_hook``)."""
    commands = DiscordCommands(platform, pipeline)
    # discord.py looks ``on_<event>`` up on the client at dispatch time.
    platform.client.on_member_remove = commands.on_member_remove  # type: ignore[attr-defined]
    return commands
