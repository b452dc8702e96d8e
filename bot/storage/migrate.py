"""Apply ``migrations/NNNN_name.sql`` in order, each in one transaction, noted in schema_version."""

from __future__ import annotations

import re
import sqlite3
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.storage import Database

_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")


@dataclass(frozen=True, slots=True)
class Migration:
    """One numbered SQL file."""

    version: int
    name: str
    sql: str


def load_migrations() -> list[Migration]:
    """The migrations shipped with the bot, in order (package ``bot.migrations``)."""
    out: list[Migration] = []
    for name, text in _migration_files():
        m = _NAME.match(name)
        if m:
            out.append(Migration(int(m.group(1)), name, text))
    out.sort(key=lambda mig: mig.version)
    versions = [mig.version for mig in out]
    if versions != list(range(1, len(out) + 1)):
        raise RuntimeError(f"migrations must be numbered 0001, 0002... without gaps: {versions}")
    return out


def _migration_files() -> list[tuple[str, str]]:
    try:
        root = resources.files("bot.migrations")
        return [(f.name, f.read_text("utf-8")) for f in root.iterdir() if f.name.endswith(".sql")]
    except ModuleNotFoundError:
        # An editable install made before migrations/ became a package does not map bot.migrations;
        # the folder sits next to bot/ in a checkout.
        folder = Path(__file__).resolve().parents[2] / "migrations"
        return [(f.name, f.read_text("utf-8")) for f in folder.glob("*.sql")]


LATEST = len(load_migrations())

_CREATE_VERSION = """
CREATE TABLE IF NOT EXISTS schema_version (
    version    INTEGER PRIMARY KEY,
    name       TEXT NOT NULL,
    applied_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
)
"""


async def current_version(db: Database) -> int:
    """The highest migration applied to ``db`` (0 for a new file)."""
    row = await db.fetchone(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'"
    )
    if row is None:
        return 0
    row = await db.fetchone("SELECT max(version) FROM schema_version")
    return int(row[0]) if row and row[0] is not None else 0


async def apply_migrations(db: Database) -> int:
    """Bring ``db`` to the latest schema; refuse one written by a newer bot. Returns the version."""
    from bot.storage import MigrationError

    migrations = load_migrations()
    latest = migrations[-1].version if migrations else 0
    async with db.transaction() as tx:
        await tx.execute(_CREATE_VERSION)
    version = await current_version(db)
    if version > latest:
        raise MigrationError(
            f"{db.path}: the database is at schema version {version}, newer than this bot "
            f"(which knows up to {latest}); upgrade modbot or use another --db file"
        )
    for mig in migrations:
        if mig.version <= version:
            continue
        # executescript would commit any open transaction first, so the script carries its own
        # BEGIN ... COMMIT and the version row is written in the same transaction as the schema.
        script = (
            f"BEGIN IMMEDIATE;\n{mig.sql}\n;"  # noqa: S608 (our own files, an int)
            f"INSERT INTO schema_version (version, name) VALUES ({int(mig.version)}, "
            f"'{mig.name.replace(chr(39), '')}');\nCOMMIT;"
        )
        try:
            await db._executescript(script)
        except sqlite3.Error as exc:
            await db._rollback()
            raise MigrationError(f"{db.path}: migration {mig.name} failed: {exc}") from exc
        version = mig.version
    return version
