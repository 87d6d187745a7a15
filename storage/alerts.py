"""Changes to alert about, the alerts recorded for them, and who follows what."""

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, or_, select
from sqlmodel.sql.expression import SelectOfScalar

from kinds import Severity
from storage.models import (
    Alert,
    Check,
    CheckOutcome,
    Document,
    Platform,
    Subscriber,
    Subscription,
    Tracking,
    Version,
)
from storage.timeline import CHANGE_OUTCOMES


@dataclass(frozen=True)
class PendingChange:
    """A recorded change (new version or revert, not a baseline) that has no alert yet."""

    check: Check
    platform: Platform
    document: Document
    old: Version
    new: Version


def _previous_version(session: Session, check: Check) -> Version | None:
    """The version in force before ``check``'s change: the one the change check before it saw.

    A technical re-reading counts, so an alert's diff shows only the policy's change, never our rules'.
    """
    return session.exec(
        select(Version)
        .join(Check, col(Check.version_id) == col(Version.id))
        .where(
            Check.document_id == check.document_id,
            col(Check.id) < check.id,
            col(Check.outcome).in_(CHANGE_OUTCOMES),
        )
        .order_by(col(Check.id).desc())
        .limit(1)
    ).first()


def changes_without_alert(session: Session, since: datetime) -> list[PendingChange]:
    """Changes recorded since ``since`` that no alert covers yet, oldest first (baselines excluded).

    Technical changes (our rules or extractor changed, not the policy) are never alerted.
    """
    rows = session.exec(
        select(Check, Document, Platform, Version)
        .join(Document, col(Document.id) == col(Check.document_id))
        .join(Platform, col(Platform.id) == col(Document.platform_id))
        .join(Version, col(Version.id) == col(Check.version_id))
        .outerjoin(Alert, col(Alert.check_id) == col(Check.id))
        .where(
            col(Check.outcome).in_([CheckOutcome.NEW_VERSION, CheckOutcome.REVERTED]),
            col(Check.checked_at) >= since,
            col(Alert.id).is_(None),
        )
        .order_by(col(Check.id))
    ).all()
    changes = []
    for check, document, platform, new in rows:
        old = _previous_version(session, check)
        if old is not None:
            changes.append(PendingChange(check, platform, document, old, new))
    return changes


def _followers_statement(platform_id: int, document_id: int | None) -> SelectOfScalar[Subscriber]:
    following = col(Subscriber.id).in_(
        select(Subscription.subscriber_id).where(Subscription.platform_id == platform_id)
    )
    tracking = col(Subscriber.id).in_(
        select(Tracking.subscriber_id).where(Tracking.document_id == document_id)
    )
    return (
        select(Subscriber)
        .where(or_(following, tracking), col(Subscriber.is_active))
        .order_by(col(Subscriber.id))
    )


def followers(session: Session, platform_id: int, document_id: int | None = None) -> list[Subscriber]:
    """The active chats following a platform, and those tracking ``document_id`` of it: each chat once."""
    return list(session.exec(_followers_statement(platform_id, document_id)))


def _recipients_statement(document: Document) -> SelectOfScalar[Subscriber]:
    """Who hears of a document's changes: for one added by users, only the chats tracking it (anyone may
    add a page, so it never reaches a platform's followers); else ``followers``."""
    if document.added_by_users:
        return (
            select(Subscriber)
            .where(
                col(Subscriber.id).in_(
                    select(Tracking.subscriber_id).where(Tracking.document_id == document.id)
                ),
                col(Subscriber.is_active),
            )
            .order_by(col(Subscriber.id))
        )
    return _followers_statement(document.platform_id, document.id)


@dataclass(frozen=True)
class Recipient:
    """What alerting needs of a subscriber who hears of a document's changes."""

    id: int
    chat_id: int
    language: str
    digest: bool
    min_severity: str


RECIPIENT_COLUMNS = (
    Subscriber.id,
    Subscriber.chat_id,
    Subscriber.language,
    Subscriber.digest,
    Subscriber.min_severity,
)


def recipient_batches(session: Session, document: Document, size: int = 1000) -> Iterator[list[Recipient]]:
    """Who hears of a document's changes as light rows, ``size`` at a time in the order of their ids: a
    fan-out to many never holds them all."""
    statement = _recipients_statement(document).with_only_columns(*map(col, RECIPIENT_COLUMNS))
    last = 0
    while True:
        rows = session.execute(statement.where(col(Subscriber.id) > last).limit(size)).all()
        if not rows:
            return
        yield [Recipient(*row) for row in rows]
        last = rows[-1][0]


def recipient_languages(session: Session, document: Document) -> set[str]:
    """The languages of those who hear of a document's changes (none: nobody does)."""
    statement = _recipients_statement(document).order_by(None)
    return set(session.execute(statement.with_only_columns(col(Subscriber.language)).distinct()).scalars())


def wants_instantly(subscriber: Subscriber | Recipient, severity: Severity) -> bool:
    """Instant alerts (not the digest) at or above the subscriber's minimum severity."""
    return not subscriber.digest and Severity(severity).rank >= Severity(subscriber.min_severity).rank


def alerts_for_digest(
    session: Session, subscriber: Subscriber, since: datetime
) -> list[tuple[Alert, Platform]]:
    """The alerts since ``since`` of the platforms a subscriber follows (their documents added by users
    only when tracked) and of the documents they track, oldest first."""
    return list(
        session.exec(
            select(Alert, Platform)
            .join(Document, col(Document.id) == col(Alert.document_id))
            .join(Platform, col(Platform.id) == col(Document.platform_id))
            .where(
                or_(
                    col(Platform.id).in_(
                        select(Subscription.platform_id).where(Subscription.subscriber_id == subscriber.id)
                    )
                    & ~col(Document.added_by_users),
                    col(Document.id).in_(
                        select(Tracking.document_id).where(Tracking.subscriber_id == subscriber.id)
                    ),
                ),
                col(Alert.created_at) >= since,
            )
            .order_by(col(Alert.id))
        ).all()
    )


def alerts_since(session: Session, since: datetime) -> list[tuple[Alert, Platform]]:
    """Every alert since ``since`` of a catalog document (not of one added by users), oldest first."""
    return list(
        session.exec(
            select(Alert, Platform)
            .join(Document, col(Document.id) == col(Alert.document_id))
            .join(Platform, col(Platform.id) == col(Document.platform_id))
            .where(col(Alert.created_at) >= since, ~col(Document.added_by_users))
            .order_by(col(Alert.id))
        ).all()
    )
