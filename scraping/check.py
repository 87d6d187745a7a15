"""Checking documents: fetch, extract, record; returns what was found and decides nothing else."""

import asyncio
import logging
from collections.abc import AsyncIterator, Callable, Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine
from sqlmodel import Session, col, or_, select

from analysis.dates import stated_dates
from analysis.diff import build_diff
from scraping.catalog import DocumentOptions
from scraping.errors import ExtractError, FetchError, TransientFetchError
from scraping.fetch import Fetched, Fetcher
from scraping.rules import Rules, known_reading, read_text, reread, reread_version
from scraping.verdict import Verdict, judge_text
from storage.db import row_id, session_scope
from storage.models import (
    UNKNOWN_FINGERPRINT,
    CheckOutcome,
    Document,
    FailureKind,
    Platform,
    Tracking,
    Version,
    utcnow,
)
from storage.snapshots import RawResponse, Retention, prune_snapshots, store_snapshot
from storage.versions import (
    ChangeSize,
    FetchFacts,
    Provenance,
    Recorded,
    record_failure,
    record_not_modified,
    record_technical,
    record_text,
    suspect_streak,
    version_in_force,
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
    """The documents to check, optionally of some platforms only: in service, and one added by users only
    while someone tracks it (its alerts go to its trackers alone)."""
    query = (
        select(Document, Platform)
        .join(Platform, col(Platform.id) == col(Document.platform_id))
        .where(
            col(Document.retired_at).is_(None),
            or_(~col(Document.added_by_users), col(Document.id).in_(select(Tracking.document_id))),
        )
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
    raw: RawResponse | None = None  # the body as fetched, when there is one


@dataclass(frozen=True)
class _Current:
    """The version in force, and how it is read today (``before``: itself unless our rules changed)."""

    text: str
    before: str
    before_snapshot_id: int | None = None  # the snapshot ``before`` was re-read from

    @property
    def reread(self) -> bool:
        """Today's rules read the version in force differently: a technical version comes first."""
        return self.before != self.text


@dataclass(frozen=True)
class _Sizes:
    """The sizes of the technical change (the version in force re-read) and of the policy's change."""

    technical: ChangeSize | None = None
    change: ChangeSize | None = None


async def measure_change(old: str, new: str) -> ChangeSize | None:
    """The size of the change from ``old`` to ``new``, diffed in a worker thread so the event loop runs on."""
    if old == new:
        return None
    return ChangeSize.of(await asyncio.to_thread(lambda: build_diff(old, new).stats))


def _reread_version(session: Session, version: Version, rules: Rules, read: _Read) -> tuple[str, int | None]:
    """The version's text as ``rules`` read it today, and the snapshot it was read from.

    A version recorded before snapshots (fingerprint "unknown") that no stored response read as is
    re-read through today's page instead: when the rules it was read with (the document's options at the
    upgrade) still give its text from today's page, the page did not change and today's text is its reading.
    A response today's rules cannot read at all (a selector that matches nothing) re-reads as nothing new.
    """
    document = session.get(Document, version.document_id)
    legacy = document.legacy_options if document is not None else None
    try:
        stored = reread_version(session, version, rules)
        if stored is not None:
            return stored
        if version.fingerprint == UNKNOWN_FINGERPRINT and legacy is not None and read.raw is not None:
            old_reading = reread(read.raw, Rules.of(DocumentOptions.from_stored(legacy)))
            if old_reading == version.text and read.text is not None:
                return read.text, None  # the page did not change: today's text is how we read it now
    except ExtractError:
        pass
    return version.text, None


async def _measure(current: _Current, text: str) -> _Sizes:
    """The sizes of re-reading the version in force with today's rules and of the change to ``text``."""
    return _Sizes(
        await measure_change(current.text, current.before), await measure_change(current.before, text)
    )


class Checker:
    """Checks documents: fetch, extract, confirm a change, judge it, record the attempt and its snapshot."""

    def __init__(
        self,
        engine: Engine,
        fetcher: Fetcher,
        confirm_delay: float = 60.0,
        clock: Callable[[], datetime] = utcnow,
        retention: Retention = "all",
    ) -> None:
        self.engine = engine
        self.fetcher = fetcher
        self.confirm_delay = confirm_delay
        self.clock = clock
        self.retention = retention

    async def _read(
        self, target: Target, rules: Rules, *, conditional: bool
    ) -> tuple[_Read, _Current | None]:
        """Fetch the document, then read it in a worker thread beside the version in force."""
        validators = (target.etag, target.last_modified) if conditional else (None, None)
        fetched = await self.fetcher.fetch(
            target.url,
            etag=validators[0],
            last_modified=validators[1],
            render=rules.render == "browser",
        )
        facts = FetchFacts(fetched.url, fetched.status, len(fetched.body), fetched.duration_ms)
        if fetched.not_modified:
            return _Read(facts, None, validators), None
        return await asyncio.to_thread(self._read_body, target.document_id, rules, fetched, facts)

    def _read_body(
        self, document_id: int, rules: Rules, fetched: Fetched, facts: FetchFacts
    ) -> tuple[_Read, _Current | None]:
        """The body's text and the version in force (whose own bytes and rules are not read again)."""
        with Session(self.engine) as session:
            version, source = version_in_force(session, document_id)
        text, charset = read_text(fetched.body, fetched.content_type, rules, known_reading(version, source))
        raw = RawResponse(fetched.body, fetched.url, fetched.content_type, charset, self.clock())
        read = _Read(facts, text, (fetched.etag, fetched.last_modified), raw)
        return read, self._current(version, rules, read)

    async def _confirm(self, target: Target, rules: Rules, read: _Read, known: tuple[str, ...]) -> _Read:
        """Fetch again after the confirm delay; a text seen only once is not a change."""
        await asyncio.sleep(self.confirm_delay)
        again, _ = await self._read(target, rules, conditional=False)
        if again.text in (read.text, *known):
            return again
        raise UnconfirmedChange("the text changed again on the confirming fetch; not recorded as a version")

    def _current(self, version: Version | None, rules: Rules, read: _Read) -> _Current | None:
        """The version in force; re-read with today's rules when they (or the extractor) changed since."""
        if version is None:
            return None
        if version.fingerprint == rules.fingerprint or read.text == version.text:
            return _Current(version.text, version.text)
        with Session(self.engine) as session:
            before, snapshot_id = _reread_version(session, version, rules, read)
        return _Current(version.text, before, snapshot_id)

    async def check(self, target: Target) -> CheckResult:
        """Check one document and record the attempt; failures are recorded, never raised."""
        rules = Rules.of(target.options)
        read, current = _Read(FetchFacts(target.url), None, (None, None)), None
        failure: _Failure | None = None
        sizes = _Sizes()
        try:
            read, current = await self._read(target, rules, conditional=True)  # a 304 has no current
            if read.text is not None and current is not None and read.text != current.text:
                if read.text != current.before:
                    read = await self._confirm(target, rules, read, (current.text, current.before))
                sizes = await _measure(current, read.text or current.text)
        except (FetchError, ExtractError) as error:
            failure = _Failure.of(error, str(error))
            read = _Read(FetchFacts(target.url, getattr(error, "status", None)), None, (None, None))
        except Exception as error:  # a check must never stop the pass; the reason is kept
            log.exception("unexpected error checking %s", target.url)
            failure = _Failure.of(error, f"internal error: {type(error).__name__}: {error}")
        with session_scope(self.engine) as session:
            document = session.get_one(Document, target.document_id)
            recorded = self._record(session, document, read, current, failure, sizes, rules)
            if recorded.outcome is not CheckOutcome.FAILED:
                document.etag, document.last_modified = read.validators
            prune_snapshots(session, target.document_id, self.retention, self.clock())
            return CheckResult.from_recorded(target, recorded, failure.retry_after if failure else None)

    def _record(
        self,
        session: Session,
        document: Document,
        read: _Read,
        current: _Current | None,
        failure: _Failure | None,
        sizes: _Sizes,
        rules: Rules,
    ) -> Recorded:
        now = self.clock()
        if failure is not None:
            return record_failure(session, document, read.facts, now, failure.reason, kind=failure.kind)
        if read.text is None or read.raw is None:
            return record_not_modified(session, document, read.facts, now)
        snapshot_id = self._keep(session, row_id(document), read.raw)
        verdict = judge_text(read.text, current.before if current else None)
        if verdict is not None:
            note = self._refusal(document, read.text, verdict)
            if note is not None:
                return record_failure(
                    session,
                    document,
                    read.facts,
                    now,
                    note,
                    kind=FailureKind.PERMANENT,
                    snapshot_id=snapshot_id,
                )
        if current is not None and current.reread and read.text != current.text:
            technical = self._record_technical(session, document, read, current, sizes, snapshot_id, rules)
            if read.text == current.before:
                return technical
        return record_text(
            session,
            document,
            read.text,
            read.facts,
            now,
            stated_dates(read.text),
            is_large_change=verdict is not None,
            size=sizes.change,
            provenance=Provenance(snapshot_id, rules.fingerprint),
        )

    def _keep(self, session: Session, document_id: int, raw: RawResponse) -> int | None:
        """Keep the response as a snapshot (once per distinct body); its id."""
        return store_snapshot(session, document_id, raw).id

    @staticmethod
    def _refusal(document: Document, text: str, verdict: Verdict) -> str | None:
        """Why a judged text is not recorded (yet), or None when a suspicious one has been seen enough."""
        if verdict.is_error_page:
            return verdict.reason
        streak = suspect_streak(document, text)
        if streak < SUSPECT_STREAK_TO_ACCEPT:
            return (
                f"{verdict.reason}; seen {streak} of {SUSPECT_STREAK_TO_ACCEPT} times before it is accepted"
            )
        return None

    def _record_technical(
        self,
        session: Session,
        document: Document,
        read: _Read,
        current: _Current,
        sizes: _Sizes,
        snapshot_id: int | None,
        rules: Rules,
    ) -> Recorded:
        """The version in force as today's rules read it, recorded as a technical version before any change.

        When the policy changed too, it was re-read from a stored response: that check fetched nothing.
        """
        only_rules = read.text == current.before
        facts = read.facts if only_rules else FetchFacts(read.facts.url)
        source = snapshot_id if only_rules else current.before_snapshot_id
        return record_technical(
            session,
            document,
            current.before,
            facts,
            self.clock(),
            stated_dates(current.before),
            size=sizes.technical,
            provenance=Provenance(source, rules.fingerprint),
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
