"""End to end on Discord: the real discord.py stack against the fake REST API and gateway."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import structlog

from bot.moderation.executor import Executor
from bot.moderation.pipeline import Pipeline
from bot.moderation.scheduler import Scheduler
from bot.platforms.base import LogEntry
from bot.platforms.discord import DiscordPlatform
from bot.rules import load_rules
from bot.storage import Database
from bot.storage import cases as case_store
from tests.e2e.fake_discord import (
    APP_ID,
    FORBIDDEN,
    GENERAL_ID,
    GUILD_ID,
    LOG_ID,
    OWNER_ID,
    SERVER_ERROR,
    TOKEN,
    UNKNOWN_MESSAGE,
    FakeDiscord,
    FakeMember,
    rate_limited,
)
from tests.e2e.logposts import assert_once_in_order

RULES = f"""
version: 1
community: {{name: "Test guild", language: en}}
roles: {{moderators: ["Moderator"]}}
channels: {{log: {{discord: "{LOG_ID}"}}}}
escalation:
  strikes_expire: 30d
  ladder:
    - {{strikes: 2, action: mute, duration: 1h}}
    - {{strikes: 3, action: ban}}
rules:
  - id: swearing
    description: "No swearing."
    match: {{words: ["fuck*", "shit"]}}
    actions: [delete, strike]
  - id: slurs
    description: "Never, from anyone."
    exempt_moderators: false
    match: {{words: ["slurword"]}}
    actions: [delete, ban]
  - id: cool-down
    description: "Cool down."
    match: {{words: ["cooldown"]}}
    actions: [delete, {{mute: 2s}}]
"""


@dataclass
class Bot:
    """The bot as ``modbot run`` assembles it, in this loop, against the fake."""

    db: Database
    executor: Executor
    pipeline: Pipeline
    scheduler: Scheduler
    platform: DiscordPlatform

    async def stop(self) -> None:
        await self.platform.stop()
        await self.executor.drain()  # as the app does: what the stop posted is recorded
        await self.scheduler.stop()
        await self.db.close()

    async def cases(self, count: int | None = None) -> list[case_store.CaseRecord]:
        """The cases, oldest first, once ``count`` exist and none has an action in flight."""
        deadline = time.monotonic() + 5
        while True:
            found = list(reversed(await case_store.list_cases(self.db, limit=100)))
            settled = all(a.status != "pending" for c in found for a in c.actions)
            if (count is None or len(found) >= count) and settled:
                return found
            if time.monotonic() > deadline:
                return found
            await asyncio.sleep(0.02)


async def start_bot(fake: FakeDiscord, rules: Path, db: Path, sessions: int = 1) -> Bot:
    database = await Database.open(db)
    executor = Executor(database, backoff=0.05)
    pipeline = Pipeline(database, executor, load_rules(rules))
    scheduler = Scheduler(database, executor)
    executor.on_schedule = scheduler.wake
    platform = DiscordPlatform(TOKEN, api_url=fake.api_url, gateway_url=fake.gateway_url)
    executor.add_platform(platform)
    left = await executor.left_pending()
    scheduler.start()
    await platform.start(pipeline)
    assert platform.bot_id is not None
    executor.bot_ids["discord"] = platform.bot_id
    await executor.replay_pending(left)
    await fake.wait_connected(sessions)
    return Bot(database, executor, pipeline, scheduler, platform)


@pytest.fixture
def rules_file(tmp_path: Path) -> Path:
    path = tmp_path / "rules.yaml"
    path.write_text(RULES, encoding="utf-8")
    return path


@pytest.fixture
async def fake() -> AsyncIterator[FakeDiscord]:
    async with FakeDiscord() as server:
        yield server
    assert server.violations == []


@pytest.fixture
async def bot(fake: FakeDiscord, rules_file: Path, tmp_path: Path) -> AsyncIterator[Bot]:
    running = await start_bot(fake, rules_file, tmp_path / "modbot.db")
    yield running
    await running.stop()


def deleted(mid: int) -> str:
    return f"/channels/{GENERAL_ID}/messages/{mid}"


def member_path(m: FakeMember) -> str:
    return f"/guilds/{GUILD_ID}/members/{m.user.id}"


def embeds(fake: FakeDiscord, title: str) -> list[dict[str, object]]:
    return [
        e
        for c in fake.calls_of("POST", f"/channels/{LOG_ID}/messages")
        if c.status < 400
        for e in (c.json or {}).get("embeds", [])
        if e.get("title") == title
    ]


async def test_bad_word_deleted_with_reason_and_logged(fake: FakeDiscord, bot: Bot) -> None:
    alice = fake.member("alice")
    mid = await fake.send_message(alice, "well shit happens")
    (call,) = await fake.wait_for("DELETE", deleted(mid))
    assert call.reason == "No swearing."  # the audit log says why
    (log_post,) = await fake.wait_for("POST", f"/channels/{LOG_ID}/messages")
    embed = log_post.json["embeds"][0]
    fields = {f["name"]: f["value"] for f in embed["fields"]}
    (case,) = await bot.cases(1)
    assert fields["Rule"] == "swearing" and fields["Case"] == f"#{case.id}"
    assert fields["Member"].startswith(f"<@{alice.user.id}>")
    assert "well shit happens" in fields["Message"]
    assert embed["url"] == f"https://discord.com/channels/{GUILD_ID}/{GENERAL_ID}/{mid}"
    assert case.platform == "discord" and case.rule_ids == ("swearing",)
    assert case.link == embed["url"] and case.strikes_after == 1


async def test_evasion_deleted_clean_untouched(fake: FakeDiscord, bot: Bot) -> None:
    alice, bob = fake.member("alice"), fake.member("bob")
    clean = await fake.send_message(bob, "hello friends, what a nice day")
    evasion = await fake.send_message(alice, "f.u.c.k this")
    await fake.wait_for("DELETE", deleted(evasion))
    await fake.idle(0.3)
    assert fake.calls_of("DELETE", deleted(clean)) == []
    assert [c.user_id for c in await bot.cases()] == [str(alice.user.id)]


async def test_ladder_times_out_then_bans(fake: FakeDiscord, bot: Bot) -> None:
    alice = fake.member("alice")
    await fake.send_message(alice, "shit")
    await fake.wait_for("DELETE", "/channels/")
    assert fake.calls_of("PATCH") == []  # one strike: delete only
    await fake.send_message(alice, "fuck")
    (patch,) = await fake.wait_for("PATCH", member_path(alice))
    until = datetime.fromisoformat(patch.json["communication_disabled_until"])
    assert abs(until - (datetime.now(UTC) + timedelta(hours=1))) < timedelta(seconds=10)
    assert patch.reason == "No swearing."
    await fake.send_message(alice, "shit again")
    (ban,) = await fake.wait_for("PUT", f"/guilds/{GUILD_ID}/bans/{alice.user.id}")
    assert ban.json is None and ban.query.get("delete_message_seconds") == "0"
    assert ban.reason == "No swearing."
    cases = await bot.cases(3)
    assert [(c.sanction, c.strikes_after) for c in cases] == [(None, 1), ("mute", 2), ("ban", 3)]
    assert {a.kind: a.status for a in cases[1].actions}["mute"] == "done"
    assert {a.kind: a.status for a in cases[2].actions}["ban"] == "done"


async def test_strikes_survive_a_restart(
    fake: FakeDiscord, rules_file: Path, tmp_path: Path
) -> None:
    db = tmp_path / "restart.db"
    alice = fake.member("alice")
    first = await start_bot(fake, rules_file, db)
    await fake.send_message(alice, "shit")
    await fake.wait_for("POST", f"/channels/{LOG_ID}/messages")
    await first.stop()
    second = await start_bot(fake, rules_file, db, sessions=2)
    try:
        await fake.send_message(alice, "shit")
        (patch,) = await fake.wait_for("PATCH", member_path(alice))  # 2nd strike: timeout
        assert patch.json["communication_disabled_until"] is not None
        assert [c.strikes_after for c in await second.cases(2)] == [1, 2]
    finally:
        await second.stop()


async def test_timeout_lifted_when_due(fake: FakeDiscord, bot: Bot) -> None:
    # Decision: the scheduler lifts a timeout at its end (PATCH null) rather than leaving it to
    # expire on Discord: the mute may have been clamped or changed, and the case must be closed.
    alice = fake.member("alice")
    await fake.send_message(alice, "cooldown please")
    (mute,) = await fake.wait_for("PATCH", member_path(alice))
    until = datetime.fromisoformat(mute.json["communication_disabled_until"])
    assert abs(until - (datetime.now(UTC) + timedelta(seconds=2))) < timedelta(seconds=2)
    calls = await fake.wait_for(
        "PATCH",
        member_path(alice),
        where=lambda c: c.json == {"communication_disabled_until": None},
        within=6,
    )
    assert calls[0].at - mute.at >= 1.5
    assert calls[0].reason == "mute ended"
    assert fake.guild.members[alice.user.id].timeout_until is None


async def test_long_mute_clamped_to_28_days(fake: FakeDiscord, bot: Bot) -> None:
    alice = fake.member("alice")
    end = await bot.platform.mute(
        str(GUILD_ID), str(alice.user.id), datetime.now(UTC) + timedelta(days=60), "long"
    )
    (patch,) = await fake.wait_for("PATCH", member_path(alice))
    sent = datetime.fromisoformat(patch.json["communication_disabled_until"])
    assert sent == end
    assert timedelta(days=27, hours=23) < end - datetime.now(UTC) <= timedelta(days=28)


async def test_owner_and_higher_role_refused_and_recorded(fake: FakeDiscord, bot: Bot) -> None:
    vip = fake.member("vip", roles=[fake.vip_role])  # above the bot's role, not a moderator
    owner = fake.guild.members[OWNER_ID]
    ids = {await fake.send_message(owner, "slurword"), await fake.send_message(vip, "slurword")}
    await fake.wait_deleted(ids)  # messages still go (one by one or as a bulk delete)
    await fake.idle(0.3)
    assert fake.calls_of("PUT", f"/guilds/{GUILD_ID}/bans/") == []
    by_user = {c.user_id: c for c in await bot.cases(2)}
    owner_ban = {a.kind: a for a in by_user[str(OWNER_ID)].actions}["ban"]
    vip_ban = {a.kind: a for a in by_user[str(vip.user.id)].actions}["ban"]
    assert owner_ban.status == "refused" and "OWNER" in (owner_ban.error or "")
    assert vip_ban.status == "refused"
    assert "top role 'VIP' is not below the bot's top role 'Modbot'" in (vip_ban.error or "")


async def test_forbidden_produces_one_alert(fake: FakeDiscord, bot: Bot) -> None:
    alice, bob = fake.member("alice"), fake.member("bob")
    fake.fail("DELETE /channels/", FORBIDDEN, times=2)
    await fake.send_message(alice, "shit")
    await fake.wait_for("DELETE", "/channels/", status=403)
    await fake.send_message(bob, "shit")
    await fake.wait_for("DELETE", "/channels/", status=403, count=2)
    # 2 case logs + the alert, as embeds: they may share messages (bot/platforms/logbatch.py).
    async with asyncio.timeout(5):
        while len(embeds(fake, "Message deleted") + embeds(fake, "Missing permission")) < 3:
            await fake.idle(0.05)
    await fake.idle(0.3)
    alerts = embeds(fake, "Missing permission")
    assert len(alerts) == 1
    assert "delete messages" in str(alerts[0]["description"])
    statuses = [{a.kind: a.status for a in c.actions}["delete"] for c in await bot.cases(2)]
    assert statuses == ["failed", "failed"]


async def test_rate_limit_and_server_error_retried(fake: FakeDiscord, bot: Bot) -> None:
    alice = fake.member("alice")
    fake.fail("DELETE /channels/", rate_limited(0.1))  # with Via: discord.py waits and retries
    mid = await fake.send_message(alice, "shit")
    await fake.wait_for("DELETE", deleted(mid))
    fake.fail("DELETE /channels/", SERVER_ERROR)  # retried by discord.py after ~1 s
    mid2 = await fake.send_message(alice, "fuck")
    await fake.wait_for("DELETE", deleted(mid2), within=8)
    statuses = [a.status for c in await bot.cases(2) for a in c.actions if a.kind == "delete"]
    assert statuses == ["done", "done"]


async def test_unknown_message_counts_as_done(fake: FakeDiscord, bot: Bot) -> None:
    alice = fake.member("alice")
    fake.fail("DELETE /channels/", UNKNOWN_MESSAGE)
    await fake.send_message(alice, "shit")
    await fake.wait_for("DELETE", "/channels/", status=404)
    await fake.wait_for("POST", f"/channels/{LOG_ID}/messages")
    (case,) = await bot.cases(1)
    assert {a.kind: a.status for a in case.actions}["delete"] == "done"


async def test_raid_deletes_go_out_in_bulk(fake: FakeDiscord, bot: Bot) -> None:
    raiders = [fake.member(f"raider{i}") for i in range(40)]
    ids = set()
    for i, raider in enumerate(raiders):
        ids.add(await fake.send_message(raider, f"shit {i}"))
    done = await fake.wait_deleted(ids, within=10)
    bulk = {id(c) for c in done.values() if c.path.endswith("bulk-delete")}
    assert bulk  # deletes queued behind one in flight were sent together
    assert len({id(c) for c in done.values()}) < len(ids)
    assert all(c.reason == "No swearing." for c in done.values())
    statuses = [a.status for c in await bot.cases(40) for a in c.actions if a.kind == "delete"]
    assert statuses == ["done"] * 40


async def test_reconnect_op7_resumes_and_keeps_moderating(fake: FakeDiscord, bot: Bot) -> None:
    alice = fake.member("alice")
    await fake.reconnect()
    await fake.wait_resumed()
    assert ("/resume", 6, None) in fake.gateway_log  # RESUMEd on resume_gateway_url
    assert fake.identified == 1  # a resume, not a new session
    mid = await fake.send_message(alice, "shit")
    await fake.wait_for("DELETE", deleted(mid))


async def test_malformed_event_skipped_then_moderating(fake: FakeDiscord, bot: Bot) -> None:
    alice = fake.member("alice")
    first = await fake.send_message(alice, "hello")
    # A partial MESSAGE_UPDATE (no "type", no author) crashes discord.py 2.7.1's parser.
    await fake.dispatch(
        "MESSAGE_UPDATE",
        {"id": str(first), "channel_id": str(GENERAL_ID), "guild_id": str(GUILD_ID)},
    )
    with structlog.testing.capture_logs() as logs:
        await fake.dispatch("MESSAGE_CREATE", {"id": "1"})  # garbage
        mid = await fake.send_message(alice, "shit")
        await fake.wait_for("DELETE", deleted(mid))
    assert bot.platform.skipped_events == 2
    bad = [e for e in logs if e["event"] == "discord_event_malformed"]
    assert {e["gateway_event"] for e in bad} <= {"MESSAGE_CREATE", "MESSAGE_UPDATE"}
    assert "MESSAGE_CREATE" in {e["gateway_event"] for e in bad}
    assert all(e["log_level"] == "warning" and "KeyError" in e["error"] for e in bad)
    assert fake.identified == 1 and fake.resumed == 0  # the connection never dropped


async def test_edits_rechecked_only_when_text_changes(fake: FakeDiscord, bot: Bot) -> None:
    alice = fake.member("alice")
    mid = await fake.send_message(alice, "hello there")
    await fake.idle(0.2)
    # An embed unfurl: same text, no edited_timestamp.
    data = fake.message_payload(alice, "hello there", message_id=mid)
    await fake.dispatch("MESSAGE_UPDATE", data)
    await fake.idle(0.2)
    assert await bot.cases() == []
    await fake.edit_message(alice, mid, "hello shit")
    await fake.wait_for("DELETE", deleted(mid))
    # The same edit arriving again (e.g. a pin) does not make a second case.
    await fake.edit_message(alice, mid, "hello shit")
    await fake.idle(0.3)
    assert len(await bot.cases()) == 1


async def test_join_and_bot_messages(fake: FakeDiscord, bot: Bot) -> None:
    newbie = fake.member("newbie")
    await fake.member_join(newbie)
    await fake.send_message(fake.guild.members[fake.me.id], "shit")  # the bot's own words
    await fake.idle(0.3)
    row = await bot.db.fetchone("SELECT count(*) FROM members")
    assert row is not None and row[0] == 1
    assert fake.calls_of("DELETE") == []


async def test_commands_synced_per_guild(
    fake: FakeDiscord, rules_file: Path, tmp_path: Path
) -> None:
    platform = DiscordPlatform(
        TOKEN, api_url=fake.api_url, gateway_url=fake.gateway_url, guild_ids=[GUILD_ID]
    )
    await platform.start()
    try:
        # The guild's commands, then the global ones: only global commands work in a DM with
        # the bot, so /appeal and /mycases get DM-only global copies there (none here: this
        # platform has no commands installed, so the global list is emptied).
        guild, everywhere = fake.calls_of("PUT", "/applications/")
        assert guild.path.endswith(f"/guilds/{GUILD_ID}/commands")
        assert everywhere.path == f"/applications/{APP_ID}/commands" and everywhere.json == []
        assert all(c.headers["Authorization"] == f"Bot {TOKEN}" for c in (guild, everywhere))
    finally:
        await platform.stop()


async def test_modbot_run_as_a_subprocess(
    fake: FakeDiscord, rules_file: Path, tmp_path: Path
) -> None:
    env = {
        **os.environ,
        **fake.env(),
        "MODBOT_LOG_FORMAT": "json",
        "NO_PROXY": "127.0.0.1,localhost",
    }
    env.pop("TELEGRAM_TOKEN", None)
    modbot = Path(sys.executable).parent / "modbot"
    proc = await asyncio.create_subprocess_exec(
        str(modbot),
        "run",
        "--rules",
        str(rules_file),
        "--db",
        str(tmp_path / "sub.db"),
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        await fake.wait_connected(within=20)
        alice = fake.member("alice")
        mid = await fake.send_message(alice, "shit")
        await fake.wait_for("DELETE", deleted(mid), within=10)
        started = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        code = await asyncio.wait_for(proc.wait(), 10)
        assert code == 0 and time.monotonic() - started < 10
        _, err = await proc.communicate()
        assert TOKEN.encode() not in err  # tokens never logged
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()


# ---- the log channel under a raid (bot/platforms/logbatch.py) ------------------------------------

RAID_RULES = f"""
version: 1
community: {{name: "Test guild", language: en}}
channels: {{log: {{discord: "{LOG_ID}"}}}}
rules:
  - id: raid
    match: {{words: ["raidword"]}}
    actions: [delete]
"""


@pytest.fixture
def raid_rules(tmp_path: Path) -> Path:
    path = tmp_path / "raid.yaml"
    path.write_text(RAID_RULES, encoding="utf-8")
    return path


def log_posts(fake: FakeDiscord) -> list[list[tuple[int, int]]]:
    """Each message posted in the log channel as its embeds' (case, member), in order."""
    posts = []
    for call in fake.calls_of("POST", f"/channels/{LOG_ID}/messages"):
        if call.status >= 400:
            continue
        entries = []
        for embed in (call.json or {}).get("embeds", []):
            fields = {f["name"]: f["value"] for f in embed["fields"]}
            member = int(fields.get("Member", "<@0>").split(">", 1)[0].removeprefix("<@"))
            entries.append((int(fields["Case"].removeprefix("#")), member))
        posts.append(entries)
    return posts


async def wait_entries(fake: FakeDiscord, count: int, within: float = 10.0) -> None:
    async with asyncio.timeout(within):
        while sum(len(p) for p in log_posts(fake)) < count:
            await fake.idle(0.05)


async def test_a_raid_is_logged_in_few_messages(raid_rules: Path, tmp_path: Path) -> None:
    # Two requests a second per route: the log channel is rate-limited as on Discord, scaled down.
    async with FakeDiscord(bucket_limit=2, bucket_window=1.0) as fake:
        bot = await start_bot(fake, raid_rules, tmp_path / "modbot.db")
        try:
            raiders = [fake.member(f"raider{i}") for i in range(10)]
            for n in range(4):
                for raider in raiders:
                    await fake.send_message(raider, f"raidword {n}")
            await wait_entries(fake, 40)
            await fake.idle(0.3)
            posts = log_posts(fake)
            assert_once_in_order(posts, 40)
            assert all(len(p) <= 10 for p in posts)
            assert len(posts) <= 8, [len(p) for p in posts]  # 40 messages without batching
        finally:
            await bot.stop()
        assert fake.violations == []


async def test_a_rate_limited_log_post_is_delayed_not_lost(
    fake: FakeDiscord, raid_rules: Path, tmp_path: Path
) -> None:
    bot = await start_bot(fake, raid_rules, tmp_path / "modbot.db")
    try:
        # Without ``Via`` discord.py raises the 429 at once: the batcher waits ``retry_after``.
        fake.fail(f"POST /channels/{LOG_ID}/messages", rate_limited(0.5, via=False))
        raiders = [fake.member(f"raider{i}") for i in range(3)]
        for raider in raiders:
            await fake.send_message(raider, "raidword")
        await fake.wait_for("POST", f"/channels/{LOG_ID}/messages", status=429)
        for raider in raiders:
            await fake.send_message(raider, "raidword again")
        await wait_entries(fake, 6)
        await fake.idle(0.3)
        posts = log_posts(fake)
        assert_once_in_order(posts, 6)
        assert len(posts) < 6  # what came during the wait went out together
    finally:
        await bot.stop()


async def test_stop_flushes_the_log_queue(
    fake: FakeDiscord, raid_rules: Path, tmp_path: Path
) -> None:
    bot = await start_bot(fake, raid_rules, tmp_path / "modbot.db")
    fake.fail(f"POST /channels/{LOG_ID}/messages", rate_limited(0.5, via=False))
    raiders = [fake.member(f"raider{i}") for i in range(12)]
    ids = {await fake.send_message(raider, "raidword") for raider in raiders}
    await fake.wait_deleted(ids)
    await fake.wait_for("POST", f"/channels/{LOG_ID}/messages", status=429)
    await fake.idle(0.05)
    assert bot.platform.logs.pending() > 0  # waiting out the 429 when the stop begins
    await bot.stop()
    assert_once_in_order(log_posts(fake), 12)


async def test_long_entries_split_within_the_embed_limits(fake: FakeDiscord, bot: Bot) -> None:
    for n in range(7):
        await bot.platform.post_log(str(GUILD_ID), LogEntry(f"entry {n}", "x" * 2500, case_id=n))
    await bot.platform.logs.flush()
    posts = log_posts(fake)
    assert [c for p in posts for c, _ in p] == list(range(7))
    assert all(len(p) <= 2 for p in posts)  # 2,500 characters each: two fit in 6,000
    assert fake.violations == []


# ---- the log action's status follows its post ---------------------------------------------------


async def log_statuses(bot: Bot) -> list[tuple[str, str | None]]:
    found = reversed(await case_store.list_cases(bot.db, limit=100))
    return [(a.status, a.error) for c in found for a in c.actions if a.kind == "log"]


async def settled_statuses(bot: Bot, fake: FakeDiscord, count: int) -> list[tuple[str, str | None]]:
    """The log actions' (status, note) once ``count`` exist and none is pending any more."""
    async with asyncio.timeout(5):
        while True:
            statuses = await log_statuses(bot)
            if len(statuses) >= count and all(s != "pending" for s, _ in statuses):
                return statuses
            await fake.idle(0.02)


async def test_the_log_action_is_done_once_posted_and_never_posted_twice(
    fake: FakeDiscord, raid_rules: Path, tmp_path: Path
) -> None:
    db = tmp_path / "modbot.db"
    bot = await start_bot(fake, raid_rules, db)
    try:
        # The log channel answers 429 first: the entries are deleted and queued, not yet posted.
        fake.fail(f"POST /channels/{LOG_ID}/messages", rate_limited(0.5, via=False))
        raiders = [fake.member(f"raider{i}") for i in range(3)]
        ids = {await fake.send_message(raider, "raidword") for raider in raiders}
        await fake.wait_deleted(ids)
        await fake.wait_for("POST", f"/channels/{LOG_ID}/messages", status=429)
        assert ("pending", None) in await log_statuses(bot)
        await wait_entries(fake, 3)
        assert await settled_statuses(bot, fake, 3) == [("done", None)] * 3
    finally:
        await bot.stop()
    bot = await start_bot(fake, raid_rules, db)
    try:
        await fake.idle(0.3)  # the next start has nothing to replay
    finally:
        await bot.stop()
    assert_once_in_order(log_posts(fake), 3)


async def test_a_log_entry_still_queued_at_stop_is_posted_at_the_next_start(
    fake: FakeDiscord, raid_rules: Path, tmp_path: Path
) -> None:
    db = tmp_path / "modbot.db"
    bot = await start_bot(fake, raid_rules, db)
    try:
        fake.fail(f"POST /channels/{LOG_ID}/messages", rate_limited(30, via=False))
        raider = fake.member("raider")
        await fake.wait_deleted({await fake.send_message(raider, "raidword")})
        await fake.wait_for("POST", f"/channels/{LOG_ID}/messages", status=429)
    finally:
        await bot.stop()  # the batcher is waiting out the 30 s: the entry is not posted
    assert log_posts(fake) == []
    bot = await start_bot(fake, raid_rules, db)
    try:
        await wait_entries(fake, 1)
        assert await settled_statuses(bot, fake, 1) == [("done", None)]
    finally:
        await bot.stop()
    assert_once_in_order(log_posts(fake), 1)


async def test_a_log_entry_the_channel_refuses_is_failed(
    fake: FakeDiscord, raid_rules: Path, tmp_path: Path
) -> None:
    bot = await start_bot(fake, raid_rules, tmp_path / "modbot.db")
    try:
        fake.fail(f"POST /channels/{LOG_ID}/messages", FORBIDDEN)
        raider = fake.member("raider")
        await fake.wait_deleted({await fake.send_message(raider, "raidword")})
        ((status, error),) = await settled_statuses(bot, fake, 1)
        assert status == "failed" and "Missing Permissions" in str(error)
    finally:
        await bot.stop()
