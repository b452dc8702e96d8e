"""Reports against real SQLite files: recorded, refused twice, counted, listed, resolved, erased;
migration 0003 on a database made by 0001 + 0002 keeps its data, and 0004 on one made by 0001-0003."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.storage import Database, appeals, cases, members, migrate, reports
from bot.storage.reports import NewReport

T0 = datetime(2025, 1, 1, 12, 0, tzinfo=UTC)


async def _people(db: Database, chat: str = "-100") -> tuple[int, int, int, int]:
    """A community with Alice (reporter), Bob and Carl: their row ids."""
    async with db.transaction() as tx:
        c = await members.ensure_community(tx, "telegram", chat, "Group", T0)
        alice = await members.ensure_member(tx, c, "43", "Alice", T0, username="alice")
        bob = await members.ensure_member(tx, c, "42", "Bob", T0, username="bob")
        carl = await members.ensure_member(tx, c, "44", "Carl", T0)
    return c, alice, bob, carl


async def _add(db: Database, new: NewReport) -> int | None:
    async with db.transaction() as tx:
        return await reports.add_report(tx, new)


async def test_add_list_count_and_the_same_report_twice(tmp_path: Path) -> None:
    async with await Database.open(tmp_path / "r.db") as db:
        c, alice, bob, carl = await _people(db)
        first = NewReport(
            c, alice, T0, member_pk=bob, channel_id="-100", message_id="10",
            link="https://t.me/c/100/10", excerpt="buy followers", note="spam",
        )  # fmt: skip
        assert await _add(db, first) == 1
        # The unique index refuses a repeat even when nobody looked first.
        assert await _add(db, first) is None
        by_bob = NewReport(c, bob, T0, member_pk=bob, channel_id="-100", message_id="10")
        assert await _add(db, by_bob) == 2  # another reporter, the same message: another report
        by_link = NewReport(c, alice, T0 + timedelta(minutes=1), link="https://example.com/x")
        assert await _add(db, by_link) == 3
        assert await _add(db, by_link) is None
        words = NewReport(c, alice, T0 + timedelta(minutes=2), note="scam in DMs")
        assert await _add(db, words) == 4
        assert await _add(db, words) == 5  # words name no message: not a repeat
        assert await reports.find_same(db, alice, "-100", "10", None) == 1
        assert await reports.find_same(db, alice, "-100", "11", None) is None
        assert await reports.find_same(db, alice, None, None, "https://example.com/x") == 3
        assert await reports.find_same(db, alice, None, None, None) is None
        assert await reports.find_same(db, carl, "-100", "10", None) is None
        times = await reports.times_since(db, alice, T0 + timedelta(seconds=30))
        assert times == [T0 + timedelta(minutes=m) for m in (1, 2, 2)]
        listed = await reports.list_reports(db, community_pk=c)
        assert [r.id for r in listed] == [5, 4, 3, 2, 1]
        one = await reports.get_report(db, 1)
        assert one is not None and one == listed[-1]
        assert (one.reporter_user_id, one.reporter_name, one.reporter_username) == (
            "43", "Alice", "alice",
        )  # fmt: skip
        assert (one.member_user_id, one.member_name, one.excerpt, one.note) == (
            "42", "Bob", "buy followers", "spam",
        )  # fmt: skip
        assert one.created_at == T0 and one.resolved_at is None and one.case_id is None
        assert [r.id for r in await reports.list_reports(db, member_pk=bob)] == [2, 1]
        assert await reports.count_reports(db, community_pk=c) == 5
        assert await reports.count_reports(db, member_pk=bob) == 2
        assert await reports.count_reports(db, community_pk=c, since=T0 + timedelta(minutes=1)) == 3
        assert await reports.get_report(db, 99) is None


async def test_resolve_one_and_resolve_about_a_member(tmp_path: Path) -> None:
    async with await Database.open(tmp_path / "r.db") as db:
        c, alice, bob, carl = await _people(db)
        other_c, other_alice, other_bob, _ = await _people(db, chat="-999")
        async with db.transaction() as tx:
            case, _ = await cases.insert_case(tx, cases.NewCase(c, bob, "moderator", T0))
        made = [
            NewReport(c, alice, T0, member_pk=bob, channel_id="-100", message_id="1"),
            NewReport(c, carl, T0, member_pk=bob, channel_id="-100", message_id="1"),
            NewReport(c, bob, T0, member_pk=carl, channel_id="-100", message_id="2"),
            # Author unknown (a link), about the message the moderator acted on: resolved too.
            NewReport(c, carl, T0, channel_id="-100", message_id="3"),
            NewReport(c, carl, T0, channel_id="-100", message_id="4"),
            NewReport(other_c, other_alice, T0, member_pk=other_bob),
        ]
        assert [await _add(db, new) for new in made] == [1, 2, 3, 4, 5, 6]
        later = T0 + timedelta(hours=1)
        async with db.transaction() as tx:
            n = await reports.resolve_about(
                tx, c, bob, "1", "mute", case, later, message=("-100", "3")
            )
        assert n == 3
        assert await reports.count_reports(db, community_pk=c, open_only=True) == 2
        assert await reports.count_reports(db, community_pk=other_c, open_only=True) == 1
        done = await reports.get_report(db, 1)
        assert done is not None and (done.resolved_at, done.resolved_by) == (later, "1")
        assert (done.outcome, done.case_id) == ("mute", case)
        async with db.transaction() as tx:
            assert await reports.resolve(tx, 3, "1", "dismissed", later)
            assert not await reports.resolve(tx, 3, "1", "dismissed", later)  # closed already
            assert not await reports.resolve(tx, 1, "2", "ban", later)
        assert [r.id for r in await reports.list_reports(db, community_pk=c, open_only=True)] == [5]
        # Closing again changes nothing: the first resolution stays.
        async with db.transaction() as tx:
            assert await reports.resolve_about(tx, c, bob, "2", "ban", case, later) == 0
        done = await reports.get_report(db, 1)
        assert done is not None and done.resolved_by == "1"


async def test_dismiss_records_the_reason_and_lists_by_platform_community(tmp_path: Path) -> None:
    """``dismiss``'s storage: the reason kept with who and when; a closed report stays as it was;
    a community named as the platform does (platform, chat id), never another's report."""
    async with await Database.open(tmp_path / "r.db") as db:
        c, alice, bob, carl = await _people(db)
        other_c, other_alice, other_bob, _ = await _people(db, chat="-999")
        made = [
            NewReport(c, alice, T0, member_pk=bob, channel_id="-100", message_id="1"),
            NewReport(c, carl, T0 + timedelta(minutes=1), member_pk=bob, note="spam"),
            NewReport(c, bob, T0 + timedelta(minutes=2), link="https://t.me/c/100/7"),
            NewReport(other_c, other_alice, T0 + timedelta(minutes=3), member_pk=other_bob),
        ]
        assert [await _add(db, new) for new in made] == [1, 2, 3, 4]
        here = ("telegram", "-100")
        listed = await reports.list_reports(db, community=here, open_only=True)
        assert [r.id for r in listed] == [3, 2, 1]
        assert await reports.count_reports(db, community=here, open_only=True) == 3
        assert await reports.count_reports(db, community=("telegram", "-999")) == 1
        assert await reports.count_reports(db, community=("discord", "-100")) == 0
        later = T0 + timedelta(hours=1)
        async with db.transaction() as tx:
            assert await reports.resolve(tx, 2, "1", "dismissed", later, reason="a joke")
            assert not await reports.resolve(tx, 2, "3", "dismissed", later, reason="again")
            assert await reports.resolve(tx, 3, "1", "dismissed", later)  # no reason given
        done = await reports.get_report(db, 2)
        assert done is not None
        assert (done.resolved_at, done.resolved_by, done.outcome) == (later, "1", "dismissed")
        assert done.resolution_reason == "a joke" and done.case_id is None
        no_reason = await reports.get_report(db, 3)
        assert no_reason is not None and no_reason.resolution_reason is None
        assert [r.id for r in await reports.list_reports(db, community=here, open_only=True)] == [1]
        assert await reports.count_reports(db, community=here, open_only=True) == 1
        # By number within a community only: another group's report 4 is not found here.
        found = await reports.get_report_in(db, 1, "telegram", "-100")
        assert found is not None and found.id == 1
        assert await reports.get_report_in(db, 4, "telegram", "-100") is None
        assert await reports.get_report_in(db, 4, "telegram", "-999") is not None
        assert await reports.get_report_in(db, 1, "discord", "-100") is None
        assert await reports.get_report_in(db, 99, "telegram", "-100") is None


async def test_privacy_erases_old_excerpts_but_keeps_the_reports(tmp_path: Path) -> None:
    async with await Database.open(tmp_path / "r.db") as db:
        c, alice, bob, _ = await _people(db)
        await _add(db, NewReport(c, alice, T0, member_pk=bob, excerpt="old", note="n", link="L"))
        await _add(db, NewReport(c, bob, T0 + timedelta(days=100), member_pk=alice, excerpt="new"))
        now = T0 + timedelta(days=100)
        async with db.transaction() as tx:
            assert await reports.erase_old_text(tx, now - timedelta(days=90), now) == 1
            assert await reports.erase_old_text(tx, now - timedelta(days=90), now) == 0
        old, new = await reports.get_report(db, 1), await reports.get_report(db, 2)
        assert old is not None and new is not None
        assert old.excerpt == "" and old.text_erased_at == now and old.note == "n"
        assert old.link == "L" and old.member_pk == bob
        assert new.excerpt == "new" and new.text_erased_at is None


async def test_a_deleted_case_leaves_the_report_resolved(tmp_path: Path) -> None:
    async with await Database.open(tmp_path / "r.db") as db:
        c, alice, bob, _ = await _people(db)
        async with db.transaction() as tx:
            case, _ = await cases.insert_case(tx, cases.NewCase(c, bob, "moderator", T0))
        await _add(db, NewReport(c, alice, T0, member_pk=bob))
        async with db.transaction() as tx:
            await reports.resolve_about(tx, c, bob, "1", "warn", case, T0)
            await tx.execute("DELETE FROM cases WHERE id = ?", (case,))
        report = await reports.get_report(db, 1)
        assert report is not None and report.case_id is None and report.outcome == "warn"


async def test_0003_applies_to_a_database_made_by_0001_and_0002(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "old.db"
    shipped = migrate.load_migrations()
    assert [m.name for m in shipped][:3] == [
        "0001_initial.sql", "0002_appeals_activity.sql", "0003_reports.sql",
    ]  # fmt: skip
    # The bot before reports: only 0001 and 0002 exist, and it writes a case and an appeal.
    monkeypatch.setattr(migrate, "load_migrations", lambda: shipped[:2])
    async with await Database.open(path) as db:
        assert db.schema_version == 2
        c, alice, bob, _ = await _people(db)
        async with db.transaction() as tx:
            case, _ = await cases.insert_case(
                tx, cases.NewCase(c, bob, "rules", T0, rule_ids=("spam",), strikes=1)
            )
            await appeals.add_appeal(tx, case, bob, "it was a quote", T0)
            await members.add_note(tx, bob, "1", "Mai", "watch", T0)
        tables = {r[0] for r in await db.fetchall("SELECT name FROM sqlite_master")}
        assert "reports" not in tables
    monkeypatch.undo()
    async with await Database.open(path) as db:
        assert db.schema_version == migrate.LATEST >= 3
        versions = [r[0] for r in await db.fetchall("SELECT version FROM schema_version")]
        assert versions == list(range(1, migrate.LATEST + 1))
        # Everything written before is there.
        record = await cases.get_case(db, case)
        assert record is not None and record.rule_ids == ("spam",) and record.strikes == 1
        assert await cases.active_strikes(db, bob, T0) == 1
        assert [a.text for a in await appeals.appeals_of(db, case)] == ["it was a quote"]
        assert [n.text for n in await members.list_notes(db, bob)] == ["watch"]
        # And reports work on the old rows.
        new = NewReport(c, alice, T0, member_pk=bob, channel_id="-100", message_id="1")
        assert await _add(db, new) == 1
        async with db.transaction() as tx:
            assert await reports.resolve_about(tx, c, bob, "1", "warn", case, T0) == 1
    check = sqlite3.connect(path)
    try:
        assert check.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert check.execute("PRAGMA foreign_key_check").fetchall() == []
    finally:
        check.close()


async def test_0004_applies_to_a_database_made_by_0001_to_0003(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "old.db"
    shipped = migrate.load_migrations()
    assert [m.name for m in shipped][3] == "0004_report_dismissal.sql"
    monkeypatch.setattr(migrate, "load_migrations", lambda: shipped[:3])
    async with await Database.open(path) as db:
        assert db.schema_version == 3
        c, alice, bob, _ = await _people(db)
        async with db.transaction() as tx:
            case, _ = await cases.insert_case(tx, cases.NewCase(c, bob, "moderator", T0))
            # A report written by the bot before 0004, resolved by a case, and an open one.
            await tx.execute(
                "INSERT INTO reports (community_id, reporter_id, member_id, created_at,"
                " resolved_at, resolved_by, outcome, case_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (c, alice, bob, "2025-01-01T12:00:00.000000+00:00", "2025-01-01T13:00:00.000000+00:00",
                 "1", "warn", case),
            )  # fmt: skip
            await tx.execute(
                "INSERT INTO reports (community_id, reporter_id, member_id, note, created_at)"
                " VALUES (?, ?, ?, ?, ?)",
                (c, bob, alice, "rude", "2025-01-01T12:05:00.000000+00:00"),
            )
    monkeypatch.undo()
    async with await Database.open(path) as db:
        assert db.schema_version == migrate.LATEST >= 4
        old = await reports.get_report(db, 1)
        assert old is not None and (old.outcome, old.case_id) == ("warn", case)
        assert old.resolution_reason is None
        async with db.transaction() as tx:
            assert await reports.resolve(tx, 2, "1", "dismissed", T0, reason="banter")
        dismissed = await reports.get_report(db, 2)
        assert dismissed is not None and dismissed.note == "rude"
        assert (dismissed.outcome, dismissed.resolution_reason) == ("dismissed", "banter")
    check = sqlite3.connect(path)
    try:
        assert check.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert check.execute("PRAGMA foreign_key_check").fetchall() == []
    finally:
        check.close()
