"""Cases recorded per second with the intent-first protocol, against a real SQLite file.

Each case goes through ``Executor.execute``: one transaction recording the member, the case, its
actions and strikes (reading active strikes for the ladder), then the (no-op) platform calls, each
outcome marked. Concurrent cases share commits (group commit) but each acts only once its own
records are committed. Baseline, same run, same rows: SQLite's defaults without WAL (rollback
journal, synchronous=FULL) and a commit per statement, one case after another.

    .venv/bin/python bench/storage.py [--cases 3000] [--members 200] [--concurrency 50]
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sqlite3
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.events import Author, MessageRef, PlatformName
from bot.logging import configure
from bot.moderation.escalation import Step, escalate
from bot.moderation.executor import Executor, Intent, Policy
from bot.platforms.base import LogEntry, default_appeal_hint
from bot.rules.actions import ActionSet, Ban, Mute, Warn
from bot.storage import Database
from bot.storage import cases as cases_store
from bot.storage import members as members_store

POLICY = Policy(
    ladder=(Step(2, Warn()), Step(4, Mute(timedelta(hours=1))), Step(6, Ban())),
    strikes_expire=timedelta(days=30),
)


class NoopPlatform:
    """A platform that does nothing, so the benchmark measures recording only."""

    name = PlatformName.TELEGRAM

    async def delete_message(self, ref: MessageRef, reason: str) -> None:
        return None

    async def send_message(
        self, community_id: str, channel_id: str, text: str, reply_to: str | None = None
    ) -> str | None:
        return None

    async def mute(self, community_id: str, user_id: str, until: datetime, reason: str) -> datetime:
        return until

    async def unmute(self, community_id: str, user_id: str, reason: str) -> None:
        return None

    async def kick(self, community_id: str, user_id: str, reason: str) -> None:
        return None

    async def ban(
        self,
        community_id: str,
        user_id: str,
        until: datetime | None,
        reason: str,
        delete_message_seconds: int = 0,
    ) -> None:
        return None

    async def unban(self, community_id: str, user_id: str, reason: str) -> None:
        return None

    async def post_log(self, community_id: str, entry: LogEntry) -> None:
        return None

    def appeal_hint(self, language: str, case_id: int) -> str:
        return default_appeal_hint(language, case_id)


def _intent(i: int, authors: list[Author], now: datetime) -> Intent:
    return Intent(
        PlatformName.TELEGRAM,
        "-1001",
        authors[i % len(authors)],
        now,
        ActionSet(delete=True, strikes=1),
        rule_ids=("profanity-en",),
        reason="No swearing.",
        channel_id="-1001",
        message_id=str(i),
        message_text=f"some bad message number {i}",
        normalized="some bad message",
        evidence=[{"rule": "profanity-en", "condition": "words", "span": [5, 8]}],
    )


async def measure(path: Path, cases: int, members: int, concurrency: int) -> float:
    """The real thing: Executor.execute, concurrent cases, WAL, group commit."""
    db = await Database.open(path)
    try:
        ex = Executor(db)
        ex.add_platform(NoopPlatform())  # type: ignore[arg-type]
        now = datetime.now(UTC)
        authors = [Author(str(10_000 + i), f"member{i}") for i in range(members)]
        sem = asyncio.Semaphore(concurrency)

        async def one(i: int) -> None:
            async with sem:
                await ex.execute(_intent(i, authors, now), POLICY)

        start = time.perf_counter()
        await asyncio.gather(*(one(i) for i in range(cases)))
        elapsed = time.perf_counter() - start
        row = await db.fetchone("SELECT count(*) FROM cases")
        assert row is not None and row[0] == cases, row
        return cases / elapsed
    finally:
        await db.close()


async def baseline(path: Path, cases: int, members: int) -> float:
    """Same rows, naive protocol: rollback journal, synchronous=FULL, one commit per statement."""
    async with await Database.open(path):
        pass  # create the schema
    conn = sqlite3.connect(path, isolation_level=None)  # autocommit: every statement commits
    conn.execute("PRAGMA journal_mode=DELETE")
    conn.execute("PRAGMA synchronous=FULL")
    now = datetime.now(UTC)
    authors = [Author(str(10_000 + i), f"member{i}") for i in range(members)]
    start = time.perf_counter()
    for i in range(cases):
        intent = _intent(i, authors, now)
        cpk = members_store.ensure_community_sync(conn, "telegram", "-1001", "", now)
        m = intent.member
        mpk = members_store.ensure_member_sync(conn, cpk, m.id, m.name, now)
        before = cases_store.active_strikes_sync(conn, mpk, now)
        esc = escalate(before, 1, None, POLICY.ladder)
        new = cases_store.NewCase(
            cpk,
            mpk,
            "rules",
            now,
            rule_ids=intent.rule_ids,
            strikes=1,
            strikes_after=esc.after,
            message_text=intent.message_text,
        )
        _, ids = cases_store.insert_case_sync(
            conn, new, [cases_store.ActionIntent("delete"), cases_store.ActionIntent("log")]
        )
        for aid in ids:
            cases_store.mark_action_sync(conn, aid, "done", now)
    elapsed = time.perf_counter() - start
    conn.close()
    return cases / elapsed


async def main() -> None:
    configure("json", level=logging.WARNING)  # per-case info logs would dominate the timing
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", type=int, default=3000)
    parser.add_argument("--members", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=100)
    parser.add_argument("--baseline-cases", type=int, default=500)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(dir=Path.cwd()) as tmp:
        wal = await measure(Path(tmp) / "wal.db", args.cases, args.members, args.concurrency)
        base = await baseline(Path(tmp) / "base.db", args.baseline_cases, args.members)
    print(
        f"intent-first cases/s (WAL, synchronous=NORMAL): {wal:,.0f}  "
        f"({args.cases} cases, {args.members} members, {args.concurrency} concurrent)"
    )
    print(
        f"baseline cases/s (no WAL, sync=FULL, commit per statement): {base:,.0f}  "
        f"({args.baseline_cases} cases)"
    )
    print(f"ratio: {wal / base:.1f}x   target >= 2,000/s: {'met' if wal >= 2000 else 'NOT met'}")


if __name__ == "__main__":
    asyncio.run(main())
