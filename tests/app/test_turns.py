"""The worker's part runs only while its process holds the worker lock: it waits, and stops if it is lost."""

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

import pytest

from app import turns
from storage.locks import WORKER_LOCK, try_lock
from tests.conftest import end_lock_session

pytestmark = pytest.mark.both_databases


async def until(condition: Callable[[], bool], timeout: float = 30) -> None:
    async with asyncio.timeout(timeout):
        while not condition():
            await asyncio.sleep(0.02)


class Work:
    """A stand-in for the worker's part that notes when it starts and stops."""

    def __init__(self) -> None:
        self.events: list[str] = []

    @asynccontextmanager
    async def __call__(self) -> AsyncIterator[None]:
        self.events.append("start")
        try:
            yield
        finally:
            self.events.append("stop")


@pytest.fixture
def quick(monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    """Retries and lock checks every 50 ms, the log captured."""
    monkeypatch.setattr(turns, "LOCK_RETRY_SECONDS", 0.05)
    monkeypatch.setattr(turns, "LOCK_CHECK_SECONDS", 0.05)
    caplog.set_level(logging.INFO, logger="policywatch")
    return caplog


async def test_the_work_waits_while_another_process_holds_the_lock_and_starts_when_it_is_free(engine, quick):
    holder = try_lock(engine, WORKER_LOCK)
    assert holder is not None
    work = Work()
    running = asyncio.create_task(turns.work_in_turn(work, engine))
    await until(lambda: "another worker holds the worker lock" in quick.text)
    assert work.events == []
    holder.release()
    await until(lambda: work.events == ["start"])
    running.cancel()
    with pytest.raises(asyncio.CancelledError):
        await running
    assert work.events == ["start", "stop"]
    taken = try_lock(engine, WORKER_LOCK)  # let go of at the stop
    assert taken is not None
    taken.release()


async def test_a_lost_lock_stops_the_work_until_it_is_taken_again(engine, quick):
    if engine.dialect.name != "postgresql":
        pytest.skip("a SQLite lock is an open file of this process: it is not lost while the process lives")
    work = Work()
    running = asyncio.create_task(turns.work_in_turn(work, engine))
    await until(lambda: work.events == ["start"])
    end_lock_session(engine, WORKER_LOCK)
    await until(lambda: work.events == ["start", "stop", "start"])
    assert "lost the worker lock" in quick.text
    running.cancel()
    with pytest.raises(asyncio.CancelledError):
        await running
