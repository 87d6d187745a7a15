"""From recorded changes to the outbox: one alert per change, one delivery per follower who wants it.

The sweep reads the database, not a check's return value, so a change recorded just before a crash
(or by `policywatch check`) is still alerted the next time the sweep runs within RECOVERY_WINDOW.
"""

import asyncio
import logging
from collections import Counter
from collections.abc import Callable
from datetime import datetime, timedelta
from functools import partial

from sqlalchemy import Engine, insert
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from alerts.admins import enqueue_admin_notices
from alerts.channel import Channel
from alerts.links import Links
from alerts.reports import ReportService
from alerts.text import admin_failing_message, admin_recovered_message, alert_message, keyword_message
from analysis.diff import build_diff
from analysis.keywords import Hit, Side, changed_sentences, keyword_hits
from analysis.language import document_language
from analysis.report import ChangeReport
from storage.alerts import (
    PendingChange,
    changes_without_alert,
    recipient_batches,
    recipient_languages,
    wants_instantly,
)
from storage.db import row_id, session_scope
from storage.models import (
    Alert,
    Delivery,
    DeliveryKind,
    DeliveryStatus,
    Document,
    Platform,
    Subscriber,
    Watch,
    utcnow,
)
from storage.stats import Failure, recent_failures
from storage.watches import watchers

log = logging.getLogger(__name__)

RECOVERY_WINDOW = timedelta(days=1)
FAILURE_ALERT_AFTER = 3


class AlertPipeline:
    """Turns recorded changes into alerts and deliveries, and failing documents into admin notices."""

    def __init__(
        self,
        engine: Engine,
        reports: ReportService,
        links: Links,
        admin_ids: frozenset[int] = frozenset(),
        failure_alert_after: int = FAILURE_ALERT_AFTER,
        clock: Callable[[], datetime] = utcnow,
        channel: Channel | None = None,
    ) -> None:
        self.engine = engine
        self.reports = reports
        self.links = links
        self.admin_ids = admin_ids
        self.failure_alert_after = failure_alert_after
        self.clock = clock
        self.channel = channel
        self._lock = asyncio.Lock()

    async def sweep(self) -> int:
        """Alert every change not alerted yet and notify admins of failing documents; returns deliveries."""
        async with self._lock:
            with Session(self.engine) as session:
                changes = changes_without_alert(session, self.clock() - RECOVERY_WINDOW)
            enqueued = 0
            for change in changes:
                enqueued += await self._alert(change)
            return enqueued + self._notify_admins()

    async def _reports(self, change: PendingChange, languages: set[str]) -> dict[str, ChangeReport]:
        return {
            language: await self.reports.report_for(change.old, change.new, language)
            for language in sorted(languages)
        }

    async def _alert(self, change: PendingChange) -> int:
        """Record the alert and, in the same transaction, one delivery per follower or keyword watcher who
        wants it now: one message per person, the follow alert naming the keywords it mentions."""
        policy_language = document_language(change.new.text)
        platform_id = row_id(change.platform)
        # Anyone may add a page: its changes go only to the chats tracking it (their keywords named in
        # their alert), never to other watchers or the channel; with none, nothing is made for nobody.
        added = change.document.added_by_users
        with Session(self.engine) as session:
            languages = recipient_languages(session, change.document)
            watching = watchers(session, platform_id)
            if added:
                if not languages:
                    log.info("change of check %s: nobody tracks %s", change.check.id, change.document.url)
                    return 0
                tracking = {r.id for batch in recipient_batches(session, change.document) for r in batch}
                watching = [
                    (subscriber, watch) for subscriber, watch in watching if subscriber.id in tracking
                ]
        hits = await asyncio.to_thread(_hits, change, watching) if watching else {}
        languages |= {subscriber.language for subscriber, _ in watching if subscriber.id in hits}
        channel = None if added else self.channel
        if channel is not None:
            languages.add(channel.language)
        reports = await self._reports(change, languages | {policy_language})
        main = reports[policy_language]
        messages = {
            language: alert_message(
                change.platform, change.document, change.old, change.new, report, language, self.links
            )
            for language, report in reports.items()
        }
        try:
            with session_scope(self.engine) as session:
                alert = Alert(
                    check_id=row_id(change.check),
                    document_id=row_id(change.document),
                    from_version_id=row_id(change.old),
                    to_version_id=row_id(change.new),
                    severity=main.severity,
                    headlines={language: report.headline for language, report in reports.items()},
                    messages=messages,
                    created_at=self.clock(),
                )
                session.add(alert)
                session.flush()
                made = self._deliveries(session, change, alert, reports, hits)
                if channel is not None:  # in the alert's transaction: posted once, as the alert is made once
                    session.add(
                        Delivery(kind=DeliveryKind.CHANNEL, chat_id=channel.chat_id, alert_id=alert.id)
                    )
                    made[DeliveryKind.CHANNEL] += 1
        except IntegrityError:  # another process alerted this change first
            log.info("change of check %s was already alerted", change.check.id)
            return 0
        log.info(
            "alert for %s/%s #%s → #%s (%s): %d deliveries (%d for keywords)",
            change.platform.slug,
            change.document.kind,
            change.old.id,
            change.new.id,
            alert.severity,
            made.total(),
            made[DeliveryKind.KEYWORD],
        )
        return made.total()

    def _deliveries(
        self,
        session: Session,
        change: PendingChange,
        alert: Alert,
        reports: dict[str, ChangeReport],
        hits: dict[int, list[Hit]],
    ) -> Counter[DeliveryKind]:
        """Followers who want it now get the alert (naming their keywords, if any); the other keyword
        watchers who are not on the weekly digest get the keyword alert. Digest people read it Monday.
        Written as plain rows, a batch of followers at a time: a fan-out to many never holds them all.

        A keyword is asked for by name: it is sent whatever the person's minimum severity."""
        made: Counter[DeliveryKind] = Counter()
        following = set()  # of the keyword watchers
        for batch in recipient_batches(session, change.document):
            rows = []
            for s in batch:
                found = hits.get(s.id, [])
                if found:
                    following.add(s.id)
                if not (
                    wants_instantly(s, alert.severity) or (found and not s.digest)
                ):  # a keyword: any severity
                    continue
                text = None
                if found:
                    keywords = tuple(dict.fromkeys(hit.keyword for hit in found))
                    text = alert_message(
                        change.platform,
                        change.document,
                        change.old,
                        change.new,
                        _report_in(reports, s.language),
                        s.language,
                        self.links,
                        keywords,
                    )
                rows.append(_delivery_row(DeliveryKind.ALERT, s.chat_id, s.id, row_id(alert), text))
            made[DeliveryKind.ALERT] += _insert(session, rows)
        rows = []
        for subscriber_id, found in hits.items():
            watcher = session.get(Subscriber, subscriber_id)
            if subscriber_id in following or watcher is None or not watcher.is_active or watcher.digest:
                continue
            text = keyword_message(
                change.platform,
                change.document,
                change.old,
                change.new,
                _report_in(reports, watcher.language),
                found,
                watcher.language,
                self.links,
            )
            rows.append(
                _delivery_row(DeliveryKind.KEYWORD, watcher.chat_id, subscriber_id, row_id(alert), text)
            )
        made[DeliveryKind.KEYWORD] += _insert(session, rows)
        return made

    def _notify_admins(self) -> int:
        """Once when a document has failed N checks in a row, once again when it recovers."""
        enqueued = 0
        with session_scope(self.engine) as session:
            rows = session.exec(
                select(Document, Platform)
                .join(Platform, col(Platform.id) == col(Document.platform_id))
                .where(col(Document.retired_at).is_(None))
                .where(
                    (
                        (col(Document.consecutive_failures) >= self.failure_alert_after)
                        & ~col(Document.failure_alerted)
                    )
                    | ((col(Document.consecutive_failures) == 0) & col(Document.failure_alerted))
                )
            ).all()
            for document, platform in rows:
                failing = not document.failure_alerted
                text_in = (
                    partial(
                        admin_failing_message,
                        platform.slug,
                        document.kind,
                        document.consecutive_failures,
                        self._recent_failures(session, document),
                    )
                    if failing
                    else partial(admin_recovered_message, platform.slug, document.kind)
                )
                enqueued += enqueue_admin_notices(session, self.admin_ids, text_in)
                document.failure_alerted = failing
                session.add(document)
        return enqueued

    def _recent_failures(self, session: Session, document: Document) -> list[Failure]:
        """The distinct failures (reason and kind) of the document's failing streak, newest first."""
        failures = recent_failures(session, row_id(document), document.consecutive_failures)
        return list(dict.fromkeys(failure for failure in failures if failure.reason))


def _report_in(reports: dict[str, ChangeReport], language: str) -> ChangeReport:
    return reports.get(language) or next(iter(reports.values()))


def _hits(change: PendingChange, watching: list[tuple[Subscriber, Watch]]) -> dict[int, list[Hit]]:
    """Each watcher's keyword hits in the change (diffed once, off the event loop)."""
    changed: list[tuple[Side, str]] = changed_sentences(build_diff(change.old.text, change.new.text))
    found: dict[int, list[Hit]] = {}
    for subscriber, watch in watching:
        hits = keyword_hits(changed, watch.keyword)
        if hits:
            found.setdefault(row_id(subscriber), []).extend(hits)
    return found


def _delivery_row(
    kind: DeliveryKind, chat_id: int, subscriber_id: int, alert_id: int, text: str | None
) -> dict:
    now = utcnow()
    return {
        "kind": kind,
        "chat_id": chat_id,
        "subscriber_id": subscriber_id,
        "alert_id": alert_id,
        "text": text,
        "status": DeliveryStatus.PENDING,
        "attempts": 0,
        "next_attempt_at": now,
        "created_at": now,
    }


def _insert(session: Session, rows: list[dict]) -> int:
    """Deliveries as plain rows in one statement (no objects to track); returns how many."""
    if rows:
        session.execute(insert(Delivery), rows)
    return len(rows)
