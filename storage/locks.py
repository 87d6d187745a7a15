"""Locks that processes sharing one database take: a PostgreSQL advisory lock, or a file beside SQLite's.

Both are released by whoever holds them going away, whatever the way: on PostgreSQL the lock belongs to a
connection of its own (closed on exit, or by the server when the process dies), on SQLite to an open file
(``flock``: the kernel drops it with the process). So a crashed holder never leaves a lock behind.
"""

import fcntl
import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Protocol

from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import SQLAlchemyError

WORKER_LOCK = "worker"  # held for a worker's life: one scheduler, one sender, one bot poller per database
STARTUP_LOCK = "startup"  # held while a process migrates the database and syncs the catalog


class HeldLock(Protocol):
    """A lock this process holds until ``release``."""

    def is_held(self) -> bool:
        """False once the lock was lost (the connection holding it closed); never blocks for long."""
        ...

    def release(self) -> None: ...


def advisory_key(name: str) -> int:
    """The 64-bit advisory lock key of ``name``; advisory keys are per database, so this one is ours."""
    digest = hashlib.sha256(f"policywatch:{name}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


class _AdvisoryLock:
    """A session-level advisory lock on a connection that is nobody else's."""

    def __init__(self, connection: Connection, key: int) -> None:
        self.connection = connection
        self.key = key

    def is_held(self) -> bool:
        try:
            self.connection.execute(text("SELECT 1"))
        except SQLAlchemyError:  # the session is gone, and its locks with it
            return False
        return True

    def release(self) -> None:
        try:
            self.connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": self.key})
        except SQLAlchemyError:
            pass  # the connection is already gone: so is the lock
        finally:
            self.connection.close()


class _FileLock:
    """An exclusive ``flock`` on an open file."""

    def __init__(self, file: IO[str]) -> None:
        self.file = file

    def is_held(self) -> bool:
        return True  # held as long as the file is open, which only ``release`` ends

    def release(self) -> None:
        fcntl.flock(self.file, fcntl.LOCK_UN)
        self.file.close()


class _Unshared:
    """The lock of an in-memory SQLite database: no other process can open it, so it is always free."""

    def is_held(self) -> bool:
        return True

    def release(self) -> None:
        pass


def _advisory_lock(engine: Engine, name: str, wait: bool) -> HeldLock | None:
    connection = engine.connect().execution_options(
        isolation_level="AUTOCOMMIT"
    )  # never idle in a transaction
    connection.detach()  # never back into the pool with the lock: closing it ends the session
    key = advisory_key(name)
    if wait:
        connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": key})
    elif not connection.scalar(text("SELECT pg_try_advisory_lock(:key)"), {"key": key}):
        connection.close()
        return None
    return _AdvisoryLock(connection, key)


def lock_file(database: str, name: str) -> Path:
    """The lock file beside a SQLite database: ``policywatch.db.worker.lock``.

    Beside the file itself, symlinks and relative paths resolved: every name of one database has one lock.
    """
    real = Path(database).resolve()
    return real.with_name(f"{real.name}.{name}.lock")


def _file_lock(path: Path, wait: bool) -> HeldLock | None:
    file = path.open("a", encoding="utf-8")
    try:
        fcntl.flock(file, fcntl.LOCK_EX if wait else fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        file.close()
        return None
    return _FileLock(file)


def _take(engine: Engine, name: str, wait: bool) -> HeldLock | None:
    if engine.dialect.name == "postgresql":
        return _advisory_lock(engine, name, wait)
    database = engine.url.database
    if not database or database == ":memory:":
        return _Unshared()
    return _file_lock(lock_file(database, name), wait)


def try_lock(engine: Engine, name: str) -> HeldLock | None:
    """Take the lock ``name`` of this database now, or None when another process holds it."""
    return _take(engine, name, wait=False)


@contextmanager
def holding(engine: Engine, name: str) -> Iterator[None]:
    """Hold the lock ``name`` of this database for the block, waiting for it while another process has it."""
    lock = _take(engine, name, wait=True)
    assert lock is not None  # waiting ends only with the lock taken
    try:
        yield
    finally:
        lock.release()
