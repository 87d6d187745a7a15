"""A consistent copy of a SQLite database while it is in use, through SQLite's online backup API."""

import sqlite3
from pathlib import Path

from sqlalchemy import Engine


class BackupError(Exception):
    """The database cannot be backed up this way; the message says what to do instead."""


def backup_sqlite(engine: Engine, target: Path) -> int:
    """Copy the SQLite database behind ``engine`` to ``target`` (pages copied while writers go on)."""
    if engine.dialect.name != "sqlite":
        raise BackupError(
            "only SQLite databases are copied by `policywatch db backup`; for PostgreSQL use "
            "pg_dump (see the README's Backup section)"
        )
    database = engine.url.database
    if not database or database == ":memory:":
        raise BackupError("an in-memory SQLite database has no file to back up")
    if target.exists():
        raise BackupError(f"{target} exists; choose a new file name")
    target.parent.mkdir(parents=True, exist_ok=True)
    source = sqlite3.connect(database)
    try:
        with sqlite3.connect(target) as copy:
            source.backup(copy)
            pages = copy.execute("PRAGMA page_count").fetchone()[0]
        copy.close()
    finally:
        source.close()
    return pages
