"""The locks processes sharing one database take: one holder at a time, freed when the holder goes away."""

import signal
import subprocess
import sys
import threading

import pytest

from storage.db import make_engine
from storage.locks import WORKER_LOCK, holding, try_lock
from tests.conftest import end_lock_session
from tests.service_process import wait_until

HOLDER = """
import sys, time
from storage.db import make_engine
from storage.locks import WORKER_LOCK, try_lock
lock = try_lock(make_engine(sys.argv[1]), WORKER_LOCK)
print("held" if lock else "refused", flush=True)
time.sleep(600)
"""


def test_one_holder_at_a_time_and_the_next_one_after_release(engine, database_url):
    other = make_engine(database_url)  # as another process would: its own engine and connections
    first = try_lock(engine, WORKER_LOCK)
    assert first is not None and first.is_held()
    assert try_lock(other, WORKER_LOCK) is None
    assert try_lock(other, "another name") is not None
    first.release()
    second = try_lock(other, WORKER_LOCK)
    assert second is not None
    second.release()
    other.dispose()


def test_holding_waits_for_the_holder(engine, database_url):
    other = make_engine(database_url)
    first = try_lock(engine, WORKER_LOCK)
    assert first is not None
    entered = threading.Event()

    def wait_for_it() -> None:
        with holding(other, WORKER_LOCK):
            entered.set()

    waiter = threading.Thread(target=wait_for_it)
    waiter.start()
    assert not entered.wait(0.3)  # still waiting while the first holds it
    first.release()
    waiter.join(timeout=30)
    assert entered.is_set()
    other.dispose()


def test_a_killed_holder_leaves_the_lock_free(engine, database_url):
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, database_url], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        assert try_lock(engine, WORKER_LOCK) is None
        holder.send_signal(signal.SIGKILL)
        holder.wait(timeout=30)
        taken = []
        wait_until(lambda: taken.append(try_lock(engine, WORKER_LOCK)) or taken[-1] is not None)
        taken[-1].release()
    finally:
        holder.kill()
        holder.wait()


def test_a_lost_postgresql_session_is_noticed_and_frees_the_lock(engine, database_url):
    if engine.dialect.name != "postgresql":
        pytest.skip(
            "a SQLite lock is an open file of this process: it cannot be lost while the process lives"
        )
    lock = try_lock(engine, WORKER_LOCK)
    assert lock is not None
    end_lock_session(engine, WORKER_LOCK)
    assert not lock.is_held()
    other = try_lock(engine, WORKER_LOCK)
    assert other is not None
    other.release()
    lock.release()


def test_one_sqlite_database_named_through_a_symlink_has_one_lock(tmp_path):
    database = tmp_path / "policywatch.db"
    database.touch()
    link = tmp_path / "link.db"
    link.symlink_to(database)
    first, second = make_engine(f"sqlite:///{database}"), make_engine(f"sqlite:///{link}")
    held = try_lock(first, WORKER_LOCK)
    assert held is not None
    assert try_lock(second, WORKER_LOCK) is None  # two workers on one file would send every alert twice
    held.release()
    first.dispose()
    second.dispose()
