"""Checking documents: fetch, extract, record; returns what was found and decides nothing else."""

import asyncio
import logging
from collections.abc import AsyncIterator, Callable, Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from analysis.dates import stated_dates
from analysis.diff import build_diff
from scraping.catalog import DocumentOptions
from scraping.errors import ExtractError, FetchError, TransientFetchError
from scraping.extract import extract_body
from scraping.fetch import Fetcher
from scraping.noise import compile_ignore, strip_noise
from scraping.verdict import judge_text
from storage.db import row_id, session_scope
from storage.models import CheckOutcome, Document, FailureKind, Platform, utcnow
from storage.versions import (
    ChangeSize,
    FetchFacts,
    Recorded,
    current_version,
    record_failure,
    record_not_modified,
    record_text,
    suspect_streak,
)

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Target:
    """A snapshot of one document to check, detached from any session."""

    document_id: int
    platform_slug: str
    kind: str
    url: str
    options: DocumentOptions
    etag: str | None
    last_modified: str | None


@dataclass(frozen=True)
class CheckResult:
    """What one check found; the caller decides what follows (report, alerts)."""

    target: Target
    outcome: CheckOutcome
    reason: str | None
    version_id: int | None
    previous_version_id: int | None
    is_baseline: bool
    failure_kind: FailureKind | None = None  # of a failed check
    retry_after: float | None = None  # seconds a server asked to wait before the next try (429, 503)

    @property
    def summary(self) -> str:
        """The outcome in a few words, for logs: ``new_version (baseline)``, ``failed (HTTP 503)``."""
        detail = "baseline" if self.is_baseline else self.reason
        return f"{self.outcome.value} ({detail})" if detail else self.outcome.value

    @classmethod
    def from_recorded(
        cls, target: Target, recorded: Recorded, retry_after: float | None = None
    ) -> "CheckResult":
        return cls(
            target=target,
            outcome=recorded.outcome,
            reason=recorded.check.error,
            version_id=recorded.version.id if recorded.version else None,
            previous_version_id=recorded.previous.id if recorded.previous else None,
            is_baseline=recorded.is_baseline,
            failure_kind=recorded.check.failure_kind,
            retry_after=retry_after,
        )


def active_targets(session: Session, platform_ids: Iterable[int] | None = None) -> list[Target]:
    """The documents still in the catalog, optionally of some platforms only."""
    query = (
        select(Document, Platform)
        .join(Platform, col(Platform.id) == col(Document.platform_id))
        .where(col(Document.retired_at).is_(None))
        .order_by(col(Platform.slug), col(Document.kind))
    )
    if platform_ids is not None:
        query = query.where(col(Platform.id).in_(list(platform_ids)))
    return [
        Target(
            row_id(d), p.slug, d.kind, d.url, DocumentOptions.from_stored(d.options), d.etag, d.last_modified
        )
        for d, p in session.exec(query)
    ]


SUSPECT_STREAK_TO_ACCEPT = 3
# Checks mostly wait on per-host pacing; with few slots, one slow host's documents hold them all.
CHECK_CONCURRENCY = 32


class UnconfirmedChange(FetchError):
    """A new text was not served again on the confirming fetch."""


def failure_kind(error: Exception) -> FailureKind:
    """The kind of a failed check, by what may help.

    Transient when trying again soon may work: a timeout, a network error, 429 or 5xx (a
    TransientFetchError), or a text that changed again while it was being confirmed. Everything else is
    permanent until the catalog or the site changes: 404, a blocked client (403, captcha, login wall), an
    error page, a selector that matched nothing, a page without text, an internal error.
    """
    return (
        FailureKind.TRANSIENT
        if isinstance(error, TransientFetchError | UnconfirmedChange)
        else FailureKind.PERMANENT
    )


@dataclass(frozen=True)
class _Failure:
    reason: str
    kind: FailureKind
    retry_after: float | None = None

    @classmethod
    def of(cls, error: Exception, reason: str) -> "_Failure":
        retry_after = error.retry_after if isinstance(error, TransientFetchError) else None
        return cls(reason, failure_kind(error), retry_after)


@dataclass(frozen=True)
class _Read:
    facts: FetchFacts
    text: str | None  # None: 304 Not Modified
    validators: tuple[str | None, str | None]  # ETag, Last-Modified


async def measure_change(old: str, new: str) -> ChangeSize | None:
    """The size of the change from ``old`` to ``new``, diffed in a worker thread so the event loop runs on."""
    if old == new:
        return None
    return ChangeSize.of(await asyncio.to_thread(lambda: build_diff(old, new).stats))


class Checker:
    """Checks documents: fetch, extract, confirm a change, judge it, record the attempt."""

    def __init__(
        self,
        engine: Engine,
        fetcher: Fetcher,
        confirm_delay: float = 60.0,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.engine = engine
        self.fetcher = fetcher
        self.confirm_delay = confirm_delay
        self.clock = clock

    async def _read(self, target: Target, *, conditional: bool) -> _Read:
        validators = (target.etag, target.last_modified) if conditional else (None, None)
        fetched = await self.fetcher.fetch(
            target.url,
            etag=validators[0],
            last_modified=validators[1],
            render=target.options.in_browser,
        )
        facts = FetchFacts(fetched.url, fetched.status, len(fetched.body), fetched.duration_ms)
        if fetched.not_modified:
            return _Read(facts, None, validators)
        options = target.options
        text = extract_body(fetched.body, fetched.content_type, list(options.select), list(options.remove))
        text = strip_noise(text, compile_ignore(options.ignore))
        return _Read(facts, text, (fetched.etag, fetched.last_modified))

    async def _confirm(self, target: Target, read: _Read, current: str) -> _Read:
        """Fetch again after the confirm delay; a text seen only once is not a change."""
        await asyncio.sleep(self.confirm_delay)
        again = await self._read(target, conditional=False)
        if again.text in (read.text, current):
            return again
        raise UnconfirmedChange("the text changed again on the confirming fetch; not recorded as a version")

    def _current_text(self, document_id: int) -> str | None:
        with Session(self.engine) as session:
            version = current_version(session, document_id)
            return version.text if version else None

    async def check(self, target: Target) -> CheckResult:
        """Check one document and record the attempt; failures are recorded, never raised."""
        read, current, size = _Read(FetchFacts(target.url), None, (None, None)), None, None
        failure: _Failure | None = None
        try:
            read = await self._read(target, conditional=True)
            if read.text is not None:  # a 304 needs no comparison
                current = self._current_text(target.document_id)
            if read.text is not None and current is not None and read.text != current:
                read = await self._confirm(target, read, current)
                if read.text is not None:  # always: _confirm returns a text seen twice
                    size = await measure_change(current, read.text)
        except (FetchError, ExtractError) as error:
            failure = _Failure.of(error, str(error))
            read = _Read(FetchFacts(target.url, getattr(error, "status", None)), None, (None, None))
        except Exception as error:  # a check must never stop the pass; the reason is kept
            log.exception("unexpected error checking %s", target.url)
            failure = _Failure.of(error, f"internal error: {type(error).__name__}: {error}")
        with session_scope(self.engine) as session:
            document = session.get_one(Document, target.document_id)
            recorded = self._record(session, document, read, current, failure, size)
            if recorded.outcome is not CheckOutcome.FAILED:
                document.etag, document.last_modified = read.validators
            return CheckResult.from_recorded(target, recorded, failure.retry_after if failure else None)

    def _record(
        self,
        session: Session,
        document: Document,
        read: _Read,
        current: str | None,
        failure: _Failure | None,
        size: ChangeSize | None,
    ) -> Recorded:
        now = self.clock()
        if failure is not None:
            return record_failure(session, document, read.facts, now, failure.reason, kind=failure.kind)
        if read.text is None:
            return record_not_modified(session, document, read.facts, now)
        verdict = judge_text(read.text, current)
        if verdict is None:
            stated = stated_dates(read.text)
            return record_text(session, document, read.text, read.facts, now, stated, size=size)
        if verdict.is_error_page:
            return record_failure(
                session, document, read.facts, now, verdict.reason, kind=FailureKind.PERMANENT
            )
        streak = suspect_streak(document, read.text)
        if streak < SUSPECT_STREAK_TO_ACCEPT:
            note = (
                f"{verdict.reason}; seen {streak} of {SUSPECT_STREAK_TO_ACCEPT} times before it is accepted"
            )
            return record_failure(session, document, read.facts, now, note, kind=FailureKind.PERMANENT)
        stated = stated_dates(read.text)
        return record_text(
            session, document, read.text, read.facts, now, stated, is_large_change=True, size=size
        )

    async def check_all(
        self, targets: list[Target], concurrency: int = CHECK_CONCURRENCY
    ) -> AsyncIterator[CheckResult]:
        """Check many documents at once, yielding each result as soon as it is recorded."""
        limit = asyncio.Semaphore(concurrency)

        async def one(target: Target) -> CheckResult:
            async with limit:
                return await self.check(target)

        for finished in asyncio.as_completed([one(target) for target in targets]):
            yield await finished
