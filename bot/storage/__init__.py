"""The database: one SQLite file in WAL mode, one writer connection behind a lock, one reader."""

from __future__ import annotations

import asyncio
import contextlib
import os
import sqlite3
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any, Protocol, TypeVar

import aiosqlite

__all__ = [
    "Database",
    "MigrationError",
    "Reader",
    "Row",
    "StorageError",
    "SyncConn",
    "Tx",
    "from_ts",
    "to_ts",
    "utcnow",
]


class StorageError(Exception):
    """The database cannot be used (corrupt, read-only, too new); the message names the file."""


class MigrationError(StorageError):
    """The database's schema cannot be brought to this bot's version."""


def to_ts(when: datetime | None) -> str | None:
    """A datetime as stored: ISO 8601 in UTC with microseconds, so text order is time order."""
    if when is None:
        return None
    if when.tzinfo is None:
        raise ValueError("naive datetime given to storage; use timezone-aware UTC")
    return when.astimezone(UTC).isoformat(timespec="microseconds")


def from_ts(text: str | None) -> datetime | None:
    """The inverse of ``to_ts``."""
    return None if text is None else datetime.fromisoformat(text)


Row = sqlite3.Row
SyncConn = sqlite3.Connection  # what ``Database.write`` hands to a synchronous transaction body
T = TypeVar("T")


class Reader(Protocol):
    """A Database (committed data) or a Tx (inside a write): what read functions accept."""

    async def fetchone(self, sql: str, params: Sequence[Any] = ()) -> Row | None: ...

    async def fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[Row]: ...


class Tx:
    """A write transaction on the writer connection; only storage modules use its SQL methods."""

    def __init__(self, conn: aiosqlite.Connection) -> None:
        self._conn = conn

    async def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        """Run one statement; return the inserted row id (INSERT) or the number of changed rows."""
        cur = await self._conn.execute(sql, params)
        try:
            return cur.lastrowid if sql.lstrip()[:6].upper() == "INSERT" else cur.rowcount  # type: ignore[return-value]
        finally:
            await cur.close()

    async def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        await self._conn.executemany(sql, rows)

    async def fetchone(self, sql: str, params: Sequence[Any] = ()) -> Row | None:
        async with self._conn.execute(sql, params) as cur:
            return await cur.fetchone()  # type: ignore[no-any-return]

    async def fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        async with self._conn.execute(sql, params) as cur:
            return list(await cur.fetchall())


class Database:
    """An open modbot database: ``async with await Database.open(path) as db``, or close() it.

    Writes go through ``transaction()``: one writer connection, serialised by an asyncio lock, each
    transaction ``BEGIN IMMEDIATE`` so a second process cannot interleave. Reads that must not see a
    half-done write use the separate reader connection (WAL lets it read while the writer writes).
    """

    def __init__(
        self, path: Path, writer: aiosqlite.Connection, reader: aiosqlite.Connection
    ) -> None:
        self.path = path
        self._writer = writer
        self._reader = reader
        self._lock = asyncio.Lock()
        self._closed = False
        self.schema_version = 0
        self._pending: list[tuple[Callable[[SyncConn], Any], asyncio.Future[Any]]] = []
        self._flusher: asyncio.Task[None] | None = None

    @classmethod
    async def open(cls, path: str | os.PathLike[str], *, migrate: bool = True) -> Database:
        """Open (creating if needed) and migrate the database at ``path``; errors name the file."""
        from bot.storage.migrate import apply_migrations

        p = Path(path)
        _check_file(p)
        writer: aiosqlite.Connection | None = None
        reader: aiosqlite.Connection | None = None
        try:
            writer = await _connect(p)
            # WAL: readers never block the writer; synchronous=NORMAL is durable at each commit
            # against a process crash (the case must survive kill -9), which is what we need.
            rows = await _run(writer, "PRAGMA journal_mode=WAL")
            if not rows or str(rows[0][0]).lower() != "wal":
                raise StorageError(f"{p}: cannot switch the database to WAL mode (got {rows!r})")
            await _run(writer, "PRAGMA synchronous=NORMAL")
            reader = await _connect(p)
            db = cls(p, writer, reader)
            if migrate:
                db.schema_version = await apply_migrations(db)
            return db
        except (sqlite3.Error, OSError, ValueError) as exc:
            for conn in (reader, writer):
                if conn is not None:
                    await conn.close()
            raise StorageError(f"{p}: cannot open the database: {_explain(exc)}") from exc
        except BaseException:
            for conn in (reader, writer):
                if conn is not None:
                    await conn.close()
            raise

    async def close(self) -> None:
        """Close both connections (idempotent); an open aiosqlite thread keeps a process alive."""
        if self._closed:
            return
        self._closed = True
        if self._flusher is not None and not self._flusher.done():
            with contextlib.suppress(Exception):
                await self._flusher  # queued writes finish before the connections close
        async with self._lock:
            for conn in (self._reader, self._writer):
                try:
                    await conn.close()
                except sqlite3.Error:  # closing a broken connection: nothing more to save
                    pass

    async def __aenter__(self) -> Database:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Tx]:
        """One write transaction: committed when the block ends, rolled back if it raises."""
        async with self._lock:
            try:
                await _run(self._writer, "BEGIN IMMEDIATE")
            except sqlite3.Error as exc:
                raise StorageError(f"{self.path}: {_explain(exc)}") from exc
            try:
                yield Tx(self._writer)
            except BaseException:
                await self._writer.rollback()
                raise
            try:
                await self._writer.commit()
            except sqlite3.Error as exc:
                await self._writer.rollback()
                raise StorageError(f"{self.path}: cannot commit: {_explain(exc)}") from exc

    async def write(self, body: Callable[[SyncConn], T]) -> T:
        """Run ``body`` in a write transaction on the writer's own thread; return once committed.

        The hot path (recording a case, marking an outcome) uses this. Bodies queued while a
        commit is in progress are run together, each in its own savepoint, and committed at once
        (group commit): every caller still gets its own result only after its data is durable,
        but a burst of cases costs one trip to the database thread and one commit. ``body`` must be
        quick, must not touch the event loop, and sees its own savepoint rolled back if it raises.
        """
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Any] = loop.create_future()
        self._pending.append((body, future))
        if self._flusher is None or self._flusher.done():
            self._flusher = asyncio.create_task(self._flush())
        return await future  # type: ignore[no-any-return]

    async def _flush(self) -> None:
        while self._pending:
            batch, self._pending = self._pending, []
            try:
                async with self._lock:
                    results = await self._writer._execute(_run_batch, self._writer._conn, batch)
            except BaseException as exc:  # the commit itself failed: every body in it failed
                error = exc
                if isinstance(exc, sqlite3.Error):
                    error = StorageError(f"{self.path}: {_explain(exc)}")
                for _, fut in batch:
                    if not fut.done():
                        fut.set_exception(error)
                if not isinstance(exc, Exception):
                    raise
                continue
            for (_, fut), (ok, value) in zip(batch, results, strict=True):
                if fut.done():
                    continue
                if ok:
                    fut.set_result(value)
                else:
                    fut.set_exception(value)

    async def fetchone(self, sql: str, params: Sequence[Any] = ()) -> Row | None:
        """Read one row of committed data."""
        async with self._reader.execute(sql, params) as cur:
            return await cur.fetchone()  # type: ignore[no-any-return]

    async def fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        """Read committed rows."""
        async with self._reader.execute(sql, params) as cur:
            return list(await cur.fetchall())

    async def _executescript(self, script: str) -> None:
        """Run a migration script on the writer (migrate.py wraps it in its own transaction)."""
        async with self._lock:
            await self._writer.executescript(script)

    async def _rollback(self) -> None:
        async with self._lock:
            await self._writer.rollback()


def _check_file(p: Path) -> None:
    # Cheap checks first, for a clearer message than SQLite's "unable to open database file".
    if p.is_dir():
        raise StorageError(f"{p}: cannot open the database: it is a directory")
    if p.exists() and not os.access(p, os.R_OK | os.W_OK):
        raise StorageError(f"{p}: cannot open the database: the file is read-only")
    if not p.parent.is_dir():
        raise StorageError(f"{p}: cannot open the database: folder {p.parent} does not exist")


async def _connect(path: Path) -> aiosqlite.Connection:
    # isolation_level=None: we issue BEGIN/COMMIT ourselves, so a transaction is exactly our block.
    conn = await aiosqlite.connect(path, isolation_level=None, timeout=10.0)
    conn.row_factory = sqlite3.Row
    try:
        await _run(conn, "PRAGMA foreign_keys=ON")
        await _run(conn, "PRAGMA busy_timeout=10000")
        # Touch the file: a corrupt one fails here rather than at the first real query.
        await _run(conn, "SELECT count(*) FROM sqlite_master")
    except BaseException:
        await conn.close()
        raise
    return conn


def _run_batch(
    conn: sqlite3.Connection, batch: list[tuple[Callable[[SyncConn], Any], Any]]
) -> list[tuple[bool, Any]]:
    """On the writer thread: every body in its own savepoint, one transaction, one commit."""
    out: list[tuple[bool, Any]] = []
    conn.execute("BEGIN IMMEDIATE")
    try:
        for body, _ in batch:
            conn.execute("SAVEPOINT body")
            try:
                out.append((True, body(conn)))
            except Exception as exc:
                conn.execute("ROLLBACK TO body")
                err: Exception = exc
                if isinstance(exc, sqlite3.Error):
                    err = StorageError(_explain(exc))
                out.append((False, err))
            conn.execute("RELEASE body")
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    return out


async def _run(conn: aiosqlite.Connection, sql: str) -> list[Row]:
    # Fetch and close at once: an open cursor keeps a read transaction alive, which blocks
    # journal-mode changes and holds back WAL checkpoints.
    async with conn.execute(sql) as cur:
        return list(await cur.fetchall())


def _explain(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    if "not a database" in text or "malformed" in text:
        return f"{text} (the file is corrupt or not a modbot database)"
    if "readonly" in text or "read-only" in text:
        return f"{text} (the file or its folder is read-only)"
    return text


def utcnow() -> datetime:
    """The real clock (callers inject their own in tests)."""
    return datetime.now(UTC)
