"""The weekly digest: one message per digest subscriber listing the week's changes of what they follow."""

import logging
from datetime import datetime, timedelta

from sqlalchemy import Engine
from sqlmodel import col, select

from alerts.links import Links
from alerts.text import digest_message
from storage.alerts import alerts_for_digest
from storage.db import session_scope
from storage.models import Delivery, DeliveryKind, Document, Subscriber

log = logging.getLogger(__name__)

WEEK = timedelta(days=7)
MIN_GAP = timedelta(days=6)  # a digest job run twice (a restart, a late run) sends one digest


def enqueue_digests(engine: Engine, links: Links, now: datetime) -> int:
    """Queue this week's digest for every active digest subscriber with something to read."""
    queued = 0
    with session_scope(engine) as session:
        subscribers = session.exec(
            select(Subscriber).where(col(Subscriber.digest), col(Subscriber.is_active))
        ).all()
        for subscriber in subscribers:
            if subscriber.last_digest_at is not None and now - subscriber.last_digest_at < MIN_GAP:
                continue
            since = max(subscriber.last_digest_at or now - WEEK, now - WEEK)
            found = alerts_for_digest(session, subscriber, since)
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
