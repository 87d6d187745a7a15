"""One worker per database: the worker's part runs only while its process holds the worker lock.

A second worker (started by mistake, or the standby of a deployment) waits, says so once, tries again every
few seconds and takes over when the first stops or dies: the lock goes with its holder's database connection
(PostgreSQL) or open file (SQLite), see ``storage.locks``.
"""

import asyncio
import logging
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager

from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from storage.locks import WORKER_LOCK, HeldLock, try_lock

log = logging.getLogger("policywatch")

LOCK_RETRY_SECONDS = 3.0  # a worker waiting for the worker lock tries this often
LOCK_CHECK_SECONDS = 10.0  # the worker holding it makes sure this often that it still does


async def take_worker_lock(engine: Engine) -> HeldLock:
    """The worker lock of this database, waited for (and said so, once) while another process holds it."""
    waiting = False
    while True:
        try:
            lock = await asyncio.to_thread(try_lock, engine, WORKER_LOCK)
        except SQLAlchemyError as error:  # the database is out of reach: nobody can work, try again
            log.warning("cannot take the worker lock: %s", error)
            lock = None
        if lock is not None:
            log.info("holding the worker lock: this process checks the documents, sends alerts, runs the bot")
            return lock
        if not waiting:
            log.warning(
                "another worker holds the worker lock of this database: this one waits (trying every %g s)"
                " and takes over the checks, alerts and bot when that one stops",
                LOCK_RETRY_SECONDS,
            )
            waiting = True
        await asyncio.sleep(LOCK_RETRY_SECONDS)


async def until_lost(lock: HeldLock) -> None:
    """Return once ``lock`` is lost (its database connection closed); run until cancelled otherwise."""
    while await asyncio.to_thread(lock.is_held):
        await asyncio.sleep(LOCK_CHECK_SECONDS)


async def work_in_turn(working: Callable[[], AbstractAsyncContextManager[object]], engine: Engine) -> None:
    """Run ``working()`` whenever this process holds the worker lock of the database, until cancelled.

    A lost lock stops the work until the lock is taken again; failing work is logged and started again, the
    lock let go of meanwhile so that another worker may take over.
    """
    while True:
        lock = await take_worker_lock(engine)
        try:
            async with working():
                await until_lost(lock)
            log.error(
                "lost the worker lock (its database connection closed): the work stops until it is taken"
            )
        except Exception:
            log.exception("the worker's part failed: it lets go of the worker lock and starts again")
        finally:
            lock.release()
        await asyncio.sleep(LOCK_RETRY_SECONDS)
