"""Checking documents: fetch, extract, record; returns what was found and decides nothing else."""

import asyncio
import logging
from collections.abc import AsyncIterator, Callable, Iterable
from dataclasses import dataclass
from datetime import datetime

import httpx
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from analysis.dates import stated_dates
from scraping.errors import ExtractError, FetchError
from scraping.extract import extract_body
from scraping.fetch import fetch_url
from storage.db import session_scope
from storage.models import CheckOutcome, Document, Platform, utcnow
from storage.versions import FetchFacts, Recorded, record_failure, record_not_modified, record_text

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Target:
    """A snapshot of one document to check, detached from any session."""

    document_id: int
    platform_slug: str
    kind: str
    url: str
    options: dict
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

    @classmethod
    def from_recorded(cls, target: Target, recorded: Recorded) -> "CheckResult":
        return cls(
            target=target,
            outcome=recorded.outcome,
            reason=recorded.check.error,
            version_id=recorded.version.id if recorded.version else None,
            previous_version_id=recorded.previous.id if recorded.previous else None,
            is_baseline=recorded.is_baseline,
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
        Target(d.id, p.slug, d.kind, d.url, dict(d.options), d.etag, d.last_modified)
        for d, p in session.exec(query)
    ]


async def _fetch_text(client: httpx.AsyncClient, target: Target) -> tuple[FetchFacts, str | None, dict]:
    """Fetch and extract; returns the facts, the text (None on 304) and new cache validators."""
    fetched = await fetch_url(client, target.url, etag=target.etag, last_modified=target.last_modified)
    facts = FetchFacts(fetched.url, fetched.status, len(fetched.body), fetched.duration_ms)
    validators = {"etag": fetched.etag, "last_modified": fetched.last_modified}
    if fetched.not_modified:
        return facts, None, validators
    options = target.options
    text = extract_body(
        fetched.body, fetched.content_type, options.get("select", []), options.get("remove", [])
    )
    return facts, text, validators


async def check_document(
    engine: Engine, client: httpx.AsyncClient, target: Target, clock: Callable[[], datetime] = utcnow
) -> CheckResult:
    """Check one document and record the attempt; failures are recorded, never raised."""
    facts, text, validators, reason = FetchFacts(target.url), None, None, None
    try:
        facts, text, validators = await _fetch_text(client, target)
    except (FetchError, ExtractError) as error:
        reason = str(error)
        facts = FetchFacts(target.url, getattr(error, "status", None))
    except Exception as error:  # a check must never stop the pass; the reason is kept
        log.exception("unexpected error checking %s", target.url)
        reason = f"internal error: {type(error).__name__}: {error}"
    with session_scope(engine) as session:
        document = session.get(Document, target.document_id)
        now = clock()
        if reason is not None:
            recorded = record_failure(session, document, facts, now, reason)
        elif text is None:
            recorded = record_not_modified(session, document, facts, now)
        else:
            recorded = record_text(session, document, text, facts, now, stated_dates(text))
        if validators:
            document.etag, document.last_modified = validators["etag"], validators["last_modified"]
        return CheckResult.from_recorded(target, recorded)


async def check_all(
    engine: Engine, client: httpx.AsyncClient, targets: list[Target], concurrency: int = 8
) -> AsyncIterator[CheckResult]:
    """Check many documents at once, yielding each result as soon as it is recorded."""
    limit = asyncio.Semaphore(concurrency)

    async def one(target: Target) -> CheckResult:
        async with limit:
            return await check_document(engine, client, target)

    for finished in asyncio.as_completed([one(target) for target in targets]):
        yield await finished
