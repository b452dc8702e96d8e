"""Storage against real SQLite files: migrations, records, persistence across reopening, errors."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.storage import Database, MigrationError, StorageError, cases, members, reversals, stats
from bot.storage.migrate import LATEST

T0 = datetime(2025, 1, 1, 12, 0, tzinfo=UTC)


async def _member(db: Database, platform: str = "telegram", chat: str = "-100", user: str = "42"):
    async with db.transaction() as tx:
        c = await members.ensure_community(tx, platform, chat, "Group", T0)
        m = await members.ensure_member(tx, c, user, "bob", T0, username="bob")
    return c, m


async def test_new_database_is_migrated_with_wal_and_foreign_keys(tmp_path: Path) -> None:
    path = tmp_path / "m.db"
    async with await Database.open(path) as db:
        assert db.schema_version == LATEST >= 1
        mode = await db.fetchone("PRAGMA journal_mode")
        fk = await db.fetchone("PRAGMA foreign_keys")
        assert mode is not None and mode[0] == "wal"
        assert fk is not None and fk[0] == 1
        tables = {
            r[0] for r in await db.fetchall("SELECT name FROM sqlite_master WHERE type='table'")
        }
    assert {
        "communities",
        "members",
        "cases",
        "case_actions",
        "strikes",
        "reversals",
        "notes",
        "schema_version",
    } <= tables
    # Reopening applies nothing twice.
    async with await Database.open(path) as db:
        rows = await db.fetchall("SELECT version FROM schema_version")
        assert [r[0] for r in rows] == list(range(1, LATEST + 1))


async def test_newer_database_is_refused_with_a_clear_message(tmp_path: Path) -> None:
    path = tmp_path / "new.db"
    async with await Database.open(path):
        pass
    con = sqlite3.connect(path)
    con.execute("INSERT INTO schema_version (version, name) VALUES (?, ?)", (LATEST + 1, "future"))
    con.commit()
    con.close()
    with pytest.raises(MigrationError) as err:
        await Database.open(path)
    assert str(path) in str(err.value)
    assert "newer than this bot" in str(err.value)


async def test_corrupt_file_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "corrupt.db"
    path.write_bytes(b"this is not a database at all" * 200)
    with pytest.raises(StorageError) as err:
        await Database.open(path)
    assert str(path) in str(err.value)
    assert "corrupt" in str(err.value)


@pytest.fixture
def readonly_db(tmp_path: Path):
    path = tmp_path / "ro.db"
    sqlite3.connect(path).close()
    path.chmod(0o444)
    immutable = False
    if os.geteuid() == 0:  # root ignores file modes: make the file immutable instead
        if shutil.which("chattr") is None:
            pytest.skip("running as root without chattr")
        immutable = subprocess.run(["chattr", "+i", str(path)], capture_output=True).returncode == 0
        if not immutable:
            pytest.skip("cannot make a read-only file as root here")
    yield path
    if immutable:
        subprocess.run(["chattr", "-i", str(path)], check=False)
    path.chmod(0o644)


async def test_read_only_file_names_the_file(readonly_db: Path) -> None:
    with pytest.raises(StorageError) as err:
        await Database.open(readonly_db)
    assert str(readonly_db) in str(err.value)
    assert "read" in str(err.value)


async def test_strikes_and_reversals_survive_reopening(tmp_path: Path) -> None:
    path = tmp_path / "p.db"
    async with await Database.open(path) as db:
        c, m = await _member(db)
        async with db.transaction() as tx:
            case_id, action_ids = await cases.insert_case(
                tx,
                cases.NewCase(
                    c,
                    m,
                    "rules",
                    T0,
                    rule_ids=("spam",),
                    strikes=2,
                    sanction="mute",
                    message_text="buy now",
                    normalized="buy now",
                    evidence=[{"rule": "spam", "span": [0, 3]}],
                ),
                [
                    cases.ActionIntent("delete", {"message_id": "7"}),
                    cases.ActionIntent("mute", {"until": "x"}),
                ],
                strikes_expire_at=T0 + timedelta(days=30),
            )
            await reversals.schedule(tx, c, m, "unmute", T0 + timedelta(hours=1), T0, case_id)
    async with await Database.open(path) as db:
        assert await cases.active_strikes(db, m, T0 + timedelta(days=1)) == 2
        assert await cases.active_strikes(db, m, T0 + timedelta(days=31)) == 0
        assert await reversals.next_due(db) == T0 + timedelta(hours=1)
        assert [r.kind for r in await reversals.due(db, T0 + timedelta(hours=2))] == ["unmute"]
        assert await reversals.due(db, T0) == []
        case = await cases.get_case(db, case_id)
        assert case is not None
        assert case.rule_ids == ("spam",) and case.strikes == 2 and case.platform == "telegram"
        assert [a.kind for a in case.actions] == ["delete", "mute"]
        assert [p.action.id for p in await cases.pending_actions(db)] == action_ids


async def test_action_outcomes_and_pardon(tmp_path: Path) -> None:
    async with await Database.open(tmp_path / "o.db") as db:
        c, m = await _member(db)
        async with db.transaction() as tx:
            case_id, (a1, a2) = await cases.insert_case(
                tx,
                cases.NewCase(c, m, "rules", T0, strikes=3),
                [cases.ActionIntent("delete"), cases.ActionIntent("ban")],
            )
            await cases.mark_action(tx, a1, cases.DONE, T0)
            await cases.mark_action(tx, a2, cases.FAILED, T0, "forbidden: missing Ban Members")
        case = await cases.get_case(db, case_id)
        assert case is not None
        assert [(a.status, a.error) for a in case.actions] == [
            ("done", None),
            ("failed", "forbidden: missing Ban Members"),
        ]
        assert await cases.pending_actions(db) == []
        assert await cases.active_strikes(db, m, T0) == 3
        async with db.transaction() as tx:
            assert await cases.pardon_case(tx, case_id, "mod-1", T0, "mistake")
            assert not await cases.pardon_case(tx, case_id, "mod-1", T0)
            assert not await cases.pardon_case(tx, 999, "mod-1", T0)
        assert await cases.active_strikes(db, m, T0) == 0
        case = await cases.get_case(db, case_id)
        assert case is not None and case.pardoned_by == "mod-1" and case.pardoned_at == T0


async def test_platform_ids_are_never_mixed(tmp_path: Path) -> None:
    async with await Database.open(tmp_path / "x.db") as db:
        _, tg = await _member(db, "telegram", "555", "42")
        _, dc = await _member(db, "discord", "555", "42")
        assert tg != dc
        found = await members.find_member(db, "discord", "555", "42")
        assert found is not None and found.id == dc and found.platform == "discord"
        assert await members.find_member(db, "telegram", "555", "43") is None
        by_name = await members.find_member_by_username(db, "telegram", "555", "@BOB")
        assert by_name is not None and by_name.id == tg


async def test_first_seen_and_join_are_kept(tmp_path: Path) -> None:
    async with await Database.open(tmp_path / "f.db") as db:
        async with db.transaction() as tx:
            c1 = await members.ensure_community(tx, "telegram", "-1", "A", T0)
            c2 = await members.ensure_community(tx, "telegram", "-2", "B", T0)
            await members.ensure_member(tx, c1, "9", "n", T0 + timedelta(days=2))
            m = await members.ensure_member(tx, c2, "9", "n", T0, joined_at=T0)
            # A later sighting does not move first_seen.
            await members.ensure_member(tx, c2, "9", "", T0 + timedelta(days=5))
        assert await members.first_seen(db, "telegram", "9") == T0
        assert await members.first_seen(db, "discord", "9") is None
        rec = await members.get_member(db, m)
        assert rec is not None and rec.first_seen == T0 and rec.joined_at == T0 and rec.name == "n"


async def test_notes(tmp_path: Path) -> None:
    async with await Database.open(tmp_path / "n.db") as db:
        _, m = await _member(db)
        async with db.transaction() as tx:
            await members.add_note(tx, m, "mod", "Mod", "first", T0)
            await members.add_note(tx, m, "mod", "Mod", "second", T0 + timedelta(minutes=1))
        assert [n.text for n in await members.list_notes(db, m)] == ["second", "first"]


async def test_privacy_erases_text_but_keeps_the_case(tmp_path: Path) -> None:
    async with await Database.open(tmp_path / "priv.db") as db:
        c, m = await _member(db)
        async with db.transaction() as tx:
            old, _ = await cases.insert_case(
                tx,
                cases.NewCase(
                    c,
                    m,
                    "rules",
                    T0,
                    message_text="old text",
                    normalized="old text",
                    evidence=[{"matched": "old"}],
                    rule_ids=("r",),
                ),
            )
            new, _ = await cases.insert_case(
                tx, cases.NewCase(c, m, "rules", T0 + timedelta(days=100), message_text="new")
            )
        now = T0 + timedelta(days=100)
        async with db.transaction() as tx:
            assert await cases.erase_old_text(tx, now - timedelta(days=90), now) == 1
        erased, kept = await cases.get_case(db, old), await cases.get_case(db, new)
        assert erased is not None and kept is not None
        assert erased.message_text is None and erased.normalized is None and erased.evidence is None
        assert erased.rule_ids == ("r",) and erased.text_erased_at == now
        assert kept.message_text == "new"


async def test_reversal_claim_rereads_the_row(tmp_path: Path) -> None:
    async with await Database.open(tmp_path / "r.db") as db:
        c, m = await _member(db)
        async with db.transaction() as tx:
            first = await reversals.schedule(tx, c, m, "unmute", T0, T0)
            second = await reversals.schedule(tx, c, m, "unmute", T0 + timedelta(hours=2), T0)
        # The newer mute replaced the older unmute.
        assert [r.id for r in await reversals.scheduled_for(db, m)] == [second]
        async with db.transaction() as tx:
            assert await reversals.claim(tx, first, T0 + timedelta(hours=3), T0) is None
            assert await reversals.claim(tx, second, T0, T0) is None  # not due yet
            rev = await reversals.claim(
                tx, second, T0 + timedelta(hours=3), T0 + timedelta(hours=3, minutes=5)
            )
            assert rev is not None and rev.user_id == "42"
            await reversals.finish(tx, second, reversals.DONE, T0 + timedelta(hours=3))
        assert await reversals.next_due(db) is None


async def test_rollback_on_error_keeps_nothing(tmp_path: Path) -> None:
    async with await Database.open(tmp_path / "rb.db") as db:
        c, m = await _member(db)
        with pytest.raises(RuntimeError):
            async with db.transaction() as tx:
                await cases.insert_case(tx, cases.NewCase(c, m, "rules", T0, strikes=1))
                raise RuntimeError("boom")
        assert await cases.active_strikes(db, m, T0) == 0
        assert await cases.list_cases(db, member_pk=m) == []


async def test_stats(tmp_path: Path) -> None:
    async with await Database.open(tmp_path / "s.db") as db:
        c, m = await _member(db)
        async with db.transaction() as tx:
            _, (a,) = await cases.insert_case(
                tx,
                cases.NewCase(c, m, "rules", T0, rule_ids=("a", "b"), sanction="mute"),
                [cases.ActionIntent("mute")],
            )
            await cases.insert_case(
                tx, cases.NewCase(c, m, "rules", T0, rule_ids=("a",), shadow=True)
            )
            await cases.mark_action(tx, a, cases.DONE, T0)
        s = await stats.community_stats(db, "telegram", "-100", T0 - timedelta(days=1))
        assert s.cases == 2 and s.shadow_cases == 1
        assert s.rules == {"a": 2, "b": 1} and s.sanctions == {"mute": 1}
        assert s.actions == {"done": 1} and s.members_seen == 1
        assert (await stats.community_stats(db, "discord", "-100", T0)).cases == 0


async def test_close_is_idempotent_and_sql_is_parameterized(tmp_path: Path) -> None:
    db = await Database.open(tmp_path / "c.db")
    await _member(db, user="x'); DROP TABLE cases; --")
    found = await members.find_member(db, "telegram", "-100", "x'); DROP TABLE cases; --")
    assert found is not None
    await db.close()
    await db.close()
