"""How things run, at a glance: for /stats and the metrics."""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import SQLColumnExpression, func
from sqlmodel import Session, col, select

from storage.db import row_id
from storage.models import (
    Check,
    CheckOutcome,
    Document,
    FailureKind,
    Platform,
    Subscriber,
    Subscription,
    Version,
)


@dataclass(frozen=True)
class Failure:
    """One failed check: why, and its kind (None for failures recorded before kinds were stored)."""

    reason: str | None
    kind: FailureKind | None


@dataclass(frozen=True)
class Failing:
    """A document whose latest checks failed."""

    platform_slug: str
    kind: str
    failures: int
    last: Failure


@dataclass(frozen=True)
class Overview:
    platforms: int
    documents: int
    versions: int
    active_subscribers: int
    subscriptions: int
    last_check_at: datetime | None
    failing: list[Failing]


def count_rows(session: Session, model: type, *conditions: SQLColumnExpression[bool]) -> int:
    return session.exec(select(func.count()).select_from(model).where(*conditions)).one()


def last_check_at(session: Session) -> datetime | None:
    """When any document was last checked."""
    return session.exec(select(func.max(Check.checked_at))).one()


def failing_documents(session: Session) -> list[Failing]:
    """Tracked documents whose last check failed, most failures first, with the last failure."""
    rows = session.exec(
        select(Platform.slug, Document)
        .join(Document, col(Document.platform_id) == col(Platform.id))
        .where(Document.consecutive_failures > 0, col(Document.retired_at).is_(None))
        .order_by(col(Document.consecutive_failures).desc(), col(Platform.slug))
    ).all()
    return [
        Failing(
            slug, document.kind, document.consecutive_failures, recent_failures(session, row_id(document))[0]
        )
        for slug, document in rows
    ]


def recent_failures(session: Session, document_id: int, count: int = 1) -> list[Failure]:
    """The document's last ``count`` failed checks, newest first (its failing streak, for its length)."""
    checks = session.exec(
        select(Check)
        .where(Check.document_id == document_id, Check.outcome == CheckOutcome.FAILED)
        .order_by(col(Check.id).desc())
        .limit(count)
    )
    return [Failure(check.error, check.failure_kind) for check in checks]


def overview(session: Session) -> Overview:
    return Overview(
        platforms=count_rows(session, Platform, col(Platform.retired_at).is_(None)),
        documents=count_rows(session, Document, col(Document.retired_at).is_(None)),
        versions=count_rows(session, Version, ~col(Version.technical)),  # technical ones are no new policy
        active_subscribers=count_rows(session, Subscriber, col(Subscriber.is_active)),
        subscriptions=count_rows(session, Subscription),
        last_check_at=last_check_at(session),
        failing=failing_documents(session),
    )
