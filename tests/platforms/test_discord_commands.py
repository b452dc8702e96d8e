"""The Discord binding offline: where the commands are registered (server, DM with the bot) and
what a command used in a DM becomes (a direct Invocation, dispatched without a community)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import discord
import pytest

from bot.commands import COMMANDS, dispatch
from bot.events import Author, PlatformName
from bot.moderation.executor import Executor
from bot.moderation.pipeline import Pipeline
from bot.platforms.discord import DiscordPlatform, intents
from bot.platforms.discord.commands import DiscordCommands, direct_invocation, install
from bot.rules import load_rules
from bot.storage import Database
from tests.e2e.fake_discord import GUILD_ID, FakeUser

RULES = """
version: 1
community: {name: "Test guild", language: en}
rules: []
"""
GUILD, BOT_DM = 0, 1  # Discord's interaction contexts
DIRECT = {name for name, command in COMMANDS.items() if command.direct}


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    database = await Database.open(tmp_path / "modbot.db")
    yield database
    await database.close()


def _bind(db: Database, tmp_path: Path, guild_ids: list[int]) -> DiscordCommands:
    """The commands installed on a platform that never logs in."""
    rules = tmp_path / "rules.yaml"
    rules.write_text(RULES, encoding="utf-8")
    pipeline = Pipeline(db, Executor(db), load_rules(rules))
    return install(DiscordPlatform("token", guild_ids=guild_ids), pipeline)


def _payloads(commands: list[Any], tree: discord.app_commands.CommandTree) -> dict[str, Any]:
    """What discord.py would send for each slash command, by name."""
    return {
        c.name: c.to_dict(tree) for c in commands if isinstance(c, discord.app_commands.Command)
    }


def test_the_direct_commands_are_every_members() -> None:
    assert DIRECT == {"appeal", "mycases"}
    assert all(COMMANDS[name].for_members for name in DIRECT)


async def test_global_registration_offers_the_direct_commands_in_the_dm_too(
    db: Database, tmp_path: Path
) -> None:
    tree = _bind(db, tmp_path, []).platform.tree
    sent = _payloads(tree.get_commands(), tree)
    assert set(sent) == set(COMMANDS)
    for name, payload in sent.items():
        if name in DIRECT:
            assert payload["dm_permission"] is True and payload["contexts"] == [GUILD, BOT_DM]
        else:
            assert payload["dm_permission"] is False and payload["contexts"] is None
    menus = [c for c in tree.get_commands() if isinstance(c, discord.app_commands.ContextMenu)]
    assert len(menus) == 2 and all(m.guild_only for m in menus)


async def test_per_guild_registration_adds_dm_only_global_copies(
    db: Database, tmp_path: Path
) -> None:
    """Guild commands cannot be used in a DM: the guild keeps every command guild-only (listed
    once in the server), and the direct ones get a global copy offered only in the bot DM."""
    tree = _bind(db, tmp_path, [GUILD_ID]).platform.tree
    guild = tree.get_commands(guild=discord.Object(id=GUILD_ID))
    in_guild = _payloads(guild, tree)
    assert set(in_guild) == set(COMMANDS)
    assert all(p["dm_permission"] is False and p["contexts"] is None for p in in_guild.values())
    assert len(guild) == len(COMMANDS) + 2  # and the two message menus
    in_dm = _payloads(tree.get_commands(), tree)
    assert set(in_dm) == DIRECT
    assert all(p["dm_permission"] is True and p["contexts"] == [BOT_DM] for p in in_dm.values())
    # The same options either way: the DM copy is the same command.
    assert in_dm["appeal"]["options"] == in_guild["appeal"]["options"]


def _user(fake: FakeUser) -> discord.User:
    client = discord.Client(intents=intents())
    return discord.User(state=client._connection, data=fake.payload())  # type: ignore[arg-type]


async def test_a_dm_command_is_a_direct_invocation(db: Database, tmp_path: Path) -> None:
    """No guild: no community, nobody a moderator; the case number decides the rest."""
    commands = _bind(db, tmp_path, [])
    user = _user(FakeUser(4242, "alice"))
    inv = direct_invocation(COMMANDS["appeal"], user, 77, {"case": 5, "text": "I was quoting"})
    assert inv.direct and inv.community_id == "" and inv.channel_id == "77"
    assert inv.platform is PlatformName.DISCORD and inv.command == "appeal"
    assert inv.invoker == Author(id="4242", name="alice", username="alice")
    assert inv.options == {"case": 5, "text": "I was quoting"}
    reply = await dispatch(commands.context, inv)
    assert reply.ephemeral and reply.text == "There is no case #5."
    inv = direct_invocation(COMMANDS["mycases"], user, None, {})
    assert inv.channel_id == "" and inv.options == {}
    reply = await dispatch(commands.context, inv)
    assert reply.ephemeral and reply.text == "No cases."
