"""Rechecking every document on its interval: due times in the database, APScheduler as the heartbeat.

Every tick picks the documents whose ``next_check_at`` has passed, moves it one (jittered) interval
ahead before checking, and checks them in the background. A transient failure (a timeout, 5xx, 429)
brings the next check closer: 5, 10, 20 minutes... after it, never later than the interval's due time
and never sooner than a server's Retry-After. A restart picks up the stored due times: nothing is reset
or bunched, and no job needs pickling.
"""

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy import Engine, update
from sqlmodel import Session, col, or_, select

from analysis.dates import MAX_INTERVAL
from scraping.catalog import DocumentOptions
from scraping.check import Checker, CheckResult, Target, active_targets
from storage.db import session_scope
from storage.models import Document, FailureKind, utcnow
from storage.tracking import retire_untracked

log = logging.getLogger(__name__)

JITTER = 0.1  # each next check lands within ±10 % of the interval, so documents spread out
FIRST_RETRY = timedelta(minutes=5)  # after a transient failure; doubled for each one more in a row
UNFOLLOWED_FOR = timedelta(days=30)  # a page added with /track that nobody followed this long is retired
RETIRE_EVERY = timedelta(hours=1)  # how often the ticks look for such pages


def document_interval(options: DocumentOptions, default: timedelta) -> timedelta:
    """The catalog's per-document ``interval``, else the default (CHECK_INTERVAL)."""
    return options.interval or default


def retry_delay(failures: int, retry_after: float | None = None) -> timedelta:
    """How soon to check again after ``failures`` failed checks in a row, the last one transient.

    5, 10, 20 minutes... (doubling), but never sooner than the server's Retry-After; the caller keeps the
    document's normal due time when that comes first.
    """
    backoff = FIRST_RETRY * 2 ** min(max(failures - 1, 0), 16)
    asked = timedelta(seconds=min(retry_after or 0.0, MAX_INTERVAL.total_seconds()))
    return max(backoff, asked)


def tick_seconds(interval: timedelta) -> float:
    """How often to look for due documents: a quarter of the interval, between 1 s and 60 s."""
    return min(max(interval.total_seconds() / 4, 1.0), 60.0)


class CheckScheduler:
    """Checks due documents, one check per document at a time, then lets ``after_check`` follow up."""

    def __init__(
        self,
        engine: Engine,
        checker: Checker,
        default_interval: timedelta,
        after_check: Callable[[CheckResult], Awaitable[None]],
        clock: Callable[[], datetime] = utcnow,
        concurrency: int = 32,
    ) -> None:
        self.engine = engine
        self.checker = checker
        self.default_interval = default_interval
        self.after_check = after_check
        self.clock = clock
        self._running: dict[int, asyncio.Task] = {}
        self._slots = asyncio.Semaphore(concurrency)
        self._looked_for_unfollowed: datetime | None = None

    def _next_due(self, now: datetime, options: DocumentOptions) -> datetime:
        interval = document_interval(options, self.default_interval)
        return now + interval * random.uniform(1 - JITTER, 1 + JITTER)

    def claim_due(self) -> list[Target]:
        """The due documents not being checked, their next due time already moved ahead."""
        now = self.clock()
        with session_scope(self.engine) as session:
            documents = session.exec(
                select(Document).where(
                    col(Document.retired_at).is_(None),
                    or_(col(Document.next_check_at).is_(None), col(Document.next_check_at) <= now),
                    col(Document.id).not_in(list(self._running)),
                )
            ).all()
            for document in documents:
                document.next_check_at = self._next_due(now, DocumentOptions.from_stored(document.options))
                session.add(document)
        if not documents:
            return []
        with Session(self.engine) as session:
            due = {document.id for document in documents}
            return [target for target in active_targets(session) if target.document_id in due]

    def retire_unfollowed(self) -> list[Document]:
        """Retire the pages added with /track that nobody followed for UNFOLLOWED_FOR (at most hourly)."""
        now = self.clock()
        if self._looked_for_unfollowed is not None and now - self._looked_for_unfollowed < RETIRE_EVERY:
            return []
        self._looked_for_unfollowed = now
        with session_scope(self.engine) as session:
            retired = retire_untracked(session, now - UNFOLLOWED_FOR, now)
        for document in retired:
            log.info("retired %s: nobody has followed it since %s", document.url, document.unfollowed_at)
        return retired

    async def tick(self) -> None:
        """Start a background check of every due document (after retiring the pages nobody follows)."""
        self.retire_unfollowed()
        for target in self.claim_due():
            task = asyncio.create_task(
                self._check(target), name=f"check {target.platform_slug}/{target.kind}"
            )
            self._running[target.document_id] = task

    async def _check(self, target: Target) -> None:
        try:
            async with self._slots:
                result = await self.checker.check(target)
            log.info("checked %s/%s: %s", target.platform_slug, target.kind, result.summary)
            if result.failure_kind is FailureKind.TRANSIENT:
                self.retry_sooner(result)
            await self.after_check(result)
        except Exception:
            log.exception("follow-up of the check of %s/%s failed", target.platform_slug, target.kind)
        finally:
            self._running.pop(target.document_id, None)

    def retry_sooner(self, result: CheckResult) -> datetime:
        """After a transient failure: due after ``retry_delay``, unless the normal due time comes first."""
        now, document_id = self.clock(), result.target.document_id
        with session_scope(self.engine) as session:
            failures = session.exec(
                select(Document.consecutive_failures).where(Document.id == document_id)
            ).one()
            retry_at = now + retry_delay(failures, result.retry_after)
            session.exec(
                update(Document)
                .where(
                    col(Document.id) == document_id,
                    or_(col(Document.next_check_at).is_(None), col(Document.next_check_at) > retry_at),
                )
                .values(next_check_at=retry_at)
            )
        return retry_at

    async def drain(self) -> None:
        """Wait for the checks in progress (at shutdown)."""
        await asyncio.gather(*self._running.values(), return_exceptions=True)


def start_scheduler(
    tick: Callable[[], Awaitable[None]],
    tick_every: float,
    digest: Callable[[], Awaitable[None]] | None = None,
    digest_cron: str = "mon 09:00",
    digest_timezone: str = "Asia/Shanghai",
) -> AsyncIOScheduler:
    """APScheduler with the check heartbeat (first beat now) and the weekly digest.

    A late run is coalesced into one and still run (APScheduler's default grace of 1 s would drop it).
    """
    scheduler = AsyncIOScheduler(timezone=UTC)
    scheduler.add_job(
        tick,
        IntervalTrigger(seconds=tick_every),
        id="checks",
        coalesce=True,
        max_instances=1,
        misfire_grace_time=3600,
        next_run_time=datetime.now(UTC),
    )
    if digest is not None:
        day, _, at = digest_cron.partition(" ")
        hour, _, minute = at.partition(":")
        scheduler.add_job(
            digest,
            CronTrigger(day_of_week=day, hour=int(hour), minute=int(minute), timezone=digest_timezone),
            id="digest",
            coalesce=True,
            max_instances=1,
            misfire_grace_time=24 * 3600,
        )
    scheduler.start()
    return scheduler
