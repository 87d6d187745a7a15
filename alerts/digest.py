"""The weekly digest: one message per digest subscriber listing the week's changes of what they follow."""

import logging
from datetime import datetime, timedelta

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from alerts.links import Links
from alerts.text import digest_message
from analysis.diff import build_diff
from analysis.keywords import Side, changed_sentences, keyword_hits
from storage.alerts import alerts_for_digest, alerts_since
from storage.db import row_id, session_scope
from storage.models import Alert, Delivery, DeliveryKind, Document, Platform, Subscriber, Version
from storage.watches import subscriber_watches

log = logging.getLogger(__name__)

WEEK = timedelta(days=7)
MIN_GAP = timedelta(days=6)  # a digest job run twice (a restart, a late run) sends one digest


def enqueue_digests(engine: Engine, links: Links, now: datetime) -> int:
    """Queue this week's digest for every active digest subscriber with something to read."""
    queued = 0
    changed: dict[int, list[tuple[Side, str]]] = {}  # each alert's added and removed sentences, diffed once
    with session_scope(engine) as session:
        subscribers = session.exec(
            select(Subscriber).where(col(Subscriber.digest), col(Subscriber.is_active))
        ).all()
        for subscriber in subscribers:
            if subscriber.last_digest_at is not None and now - subscriber.last_digest_at < MIN_GAP:
                continue
            since = max(subscriber.last_digest_at or now - WEEK, now - WEEK)
            found = alerts_for_digest(session, subscriber, since)
            keywords = _keyword_alerts(session, subscriber, since, {row_id(a) for a, _ in found}, changed)
            found = sorted([*found, *keywords], key=lambda pair: row_id(pair[0]))
            subscriber.last_digest_at = now
            session.add(subscriber)
            if not found:
                continue
            entries = [
                (alert, platform, session.get_one(Document, alert.document_id)) for alert, platform in found
            ]
            text = digest_message(entries, subscriber.language, links)
            session.add(
                Delivery(
                    kind=DeliveryKind.DIGEST,
                    chat_id=subscriber.chat_id,
                    subscriber_id=subscriber.id,
                    text=text,
                )
            )
            queued += 1
    log.info("weekly digest: %d messages queued", queued)
    return queued


def _keyword_alerts(
    session: Session,
    subscriber: Subscriber,
    since: datetime,
    followed: set[int],
    changed: dict[int, list[tuple[Side, str]]],
) -> list[tuple[Alert, Platform]]:
    """The week's alerts of platforms the subscriber does not follow that mention a keyword they watch."""
    watches = subscriber_watches(session, subscriber)
    if not watches:
        return []
    found = []
    for alert, platform in alerts_since(session, since):
        if row_id(alert) in followed:
            continue
        relevant = [w.keyword for w in watches if w.platform_id in (None, platform.id)]
        if not relevant:
            continue
        if row_id(alert) not in changed:
            old = session.get_one(Version, alert.from_version_id)
            new = session.get_one(Version, alert.to_version_id)
            changed[row_id(alert)] = changed_sentences(build_diff(old.text, new.text))
        if any(keyword_hits(changed[row_id(alert)], keyword) for keyword in relevant):
            found.append((alert, platform))
    return found
