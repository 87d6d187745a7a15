"""Webhook mode: Telegram posts updates to the web app, which stores them in the inbox; the worker reads them.

Any web replica may take an update (web/webhook.py); the worker, the one process running the bot, claims
the stored updates in order and feeds each to python-telegram-bot's Application, built without an updater
(PTB's "custom webhook bot" example, with the database between the route and ``process_update``). In the
same process the route wakes the reader at once; updates stored by other processes are seen within
``POLL_SECONDS``.
"""

import asyncio
import json
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlsplit

from sqlalchemy import Engine
from telegram import Update
from telegram.ext import Application

from bot.telegram_app import open_bot
from storage.db import session_scope
from storage.inbox import (
    ClaimedUpdate,
    claim_updates,
    mark_done,
    mark_failed,
    prune_finished,
    release_claimed,
)
from storage.models import utcnow

log = logging.getLogger(__name__)

# The kinds of update the handlers take (commands come as messages, and edited ones; buttons; inline mode).
ALLOWED_UPDATES = [Update.MESSAGE, Update.EDITED_MESSAGE, Update.CALLBACK_QUERY, Update.INLINE_QUERY]
POLL_SECONDS = 0.25  # how soon an update stored by another process (a web replica) is handled
CLAIM_BATCH = 20
KEEP_FINISHED = timedelta(days=1)  # Telegram gives up redelivering an update after a day
PRUNE_EVERY = timedelta(minutes=10)
RETRY_SECONDS = 5  # after the database failed


@dataclass(frozen=True)
class Webhook:
    """WEBHOOK_URL and WEBHOOK_SECRET, as Telegram is told them."""

    url: str
    secret: str

    @property
    def path(self) -> str:
        """The web app's route for the posts: the URL's path (a reverse proxy passes it on unchanged)."""
        return urlsplit(self.url).path or "/"


async def start_webhook_bot(application: Application, webhook: Webhook) -> None:
    """``open_bot``, then point Telegram at the webhook; each step again after a failure.

    Updates Telegram holds (the worker was down, or the bot polled before) are kept: they arrive by post.
    """
    await open_bot(application)
    await application.bot.set_webhook(
        url=webhook.url,
        secret_token=webhook.secret,
        allowed_updates=ALLOWED_UPDATES,
        drop_pending_updates=False,
    )


class InboxReader:
    """Handles the inbox's updates in order, one at a time, until stopped."""

    def __init__(
        self,
        engine: Engine,
        application: Application,
        wake: asyncio.Event,
        poll_seconds: float = POLL_SECONDS,
    ) -> None:
        self.engine = engine
        self.application = application
        self.wake = wake  # set by the webhook route when it stored an update in this process
        self.poll_seconds = poll_seconds
        self._stopping = False
        self._pruned_at = utcnow() - PRUNE_EVERY

    async def run(self) -> None:
        """Hand back what a dead worker had claimed, then read the inbox until ``stop``.

        A database that fails is logged and tried again: what was stored waits in the inbox meanwhile.
        """
        released = False
        while not self._stopping:
            try:
                if not released:
                    await asyncio.to_thread(self._release, None)
                    released = True
                if not await self.handle_batch():
                    await self._idle()
                if utcnow() - self._pruned_at >= PRUNE_EVERY:
                    await asyncio.to_thread(self._prune)
            except Exception:
                log.exception("the webhook inbox cannot be read; trying again in %s s", RETRY_SECONDS)
                await asyncio.sleep(RETRY_SECONDS)

    def stop(self) -> None:
        """Finish the update in hand, hand back the others claimed, and return from ``run``."""
        self._stopping = True
        self.wake.set()

    async def handle_batch(self) -> int:
        """Claim a batch and handle it in order; how many were claimed."""
        self.wake.clear()  # an update stored from now on wakes the next wait
        claimed = await asyncio.to_thread(self._claim)
        for position, update in enumerate(claimed):
            if self._stopping:
                await asyncio.to_thread(self._release, [left.id for left in claimed[position:]])
                break
            await self.handle(update)
        return len(claimed)

    async def handle(self, claimed: ClaimedUpdate) -> None:
        """One update to the bot's handlers; one PTB cannot read is failed with a log line, never retried."""
        try:
            update = Update.de_json(json.loads(claimed.body), self.application.bot)
        except Exception as error:  # the body is the poster's: any shape, any value
            reason = f"{type(error).__name__}: {error}"[:300]
            log.warning(
                "inbox update %d is not an update the bot can read (%s): dropped", claimed.update_id, reason
            )
            await asyncio.to_thread(self._finish, claimed.id, reason)
            return
        try:
            await self.application.process_update(update)  # handlers' errors go to the bot's error handler
        except Exception:
            log.exception("inbox update %d could not be handled", claimed.update_id)
            await asyncio.to_thread(self._finish, claimed.id, "the bot failed to handle it")
            return
        await asyncio.to_thread(self._finish, claimed.id, None)

    async def _idle(self) -> None:
        with suppress(TimeoutError):
            await asyncio.wait_for(self.wake.wait(), timeout=self.poll_seconds)

    def _claim(self) -> list[ClaimedUpdate]:
        with session_scope(self.engine) as session:
            return claim_updates(session, CLAIM_BATCH)

    def _finish(self, row_id: int, failure: str | None) -> None:
        with session_scope(self.engine) as session:
            if failure is None:
                mark_done(session, row_id, utcnow())
            else:
                mark_failed(session, row_id, failure, utcnow())

    def _release(self, ids: list[int] | None) -> None:
        with session_scope(self.engine) as session:
            if released := release_claimed(session, ids):
                log.info("%d webhook updates claimed but not handled go back to the inbox", released)

    def _prune(self) -> None:
        self._pruned_at = utcnow()
        with session_scope(self.engine) as session:
            prune_finished(session, self._pruned_at - KEEP_FINISHED)


@asynccontextmanager
async def reading_inbox(
    engine: Engine, application: Application, wake: asyncio.Event, enabled: bool = True
) -> AsyncIterator[InboxReader | None]:
    """The inbox reader beside the bot, when ``enabled`` (webhook mode); at exit it finishes its update."""
    if not enabled:
        yield None
        return
    reader = InboxReader(engine, application, wake)
    task = asyncio.create_task(reader.run(), name="webhook inbox")
    try:
        yield reader
    finally:
        reader.stop()
        await task
