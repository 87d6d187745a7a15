"""How things run, at a glance: for /stats and the metrics."""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func
from sqlmodel import Session, col, select

from storage.models import Check, Document, Platform, Subscriber, Subscription, Version


@dataclass(frozen=True)
class Failing:
    """A document whose latest checks failed."""

    platform_slug: str
    kind: str
    failures: int
    reason: str | None


@dataclass(frozen=True)
class Overview:
    platforms: int
    documents: int
    versions: int
    active_subscribers: int
    subscriptions: int
    last_check_at: datetime | None
    failing: list[Failing]


def _count(session: Session, model: type, *conditions: object) -> int:
    return session.exec(select(func.count()).select_from(model).where(*conditions)).one()


def failing_documents(session: Session) -> list[Failing]:
    """Tracked documents whose last check failed, most failures first, with the last reason."""
    rows = session.exec(
        select(Platform.slug, Document)
        .join(Document, col(Document.platform_id) == col(Platform.id))
        .where(Document.consecutive_failures > 0, col(Document.retired_at).is_(None))
        .order_by(col(Document.consecutive_failures).desc(), col(Platform.slug))
    ).all()
    return [
        Failing(slug, document.kind, document.consecutive_failures, last_error(session, document.id))
        for slug, document in rows
    ]


def last_error(session: Session, document_id: int) -> str | None:
    return session.exec(
        select(Check.error).where(Check.document_id == document_id).order_by(col(Check.id).desc()).limit(1)
    ).first()


def overview(session: Session) -> Overview:
    return Overview(
        platforms=_count(session, Platform, col(Platform.retired_at).is_(None)),
        documents=_count(session, Document, col(Document.retired_at).is_(None)),
        versions=_count(session, Version),
        active_subscribers=_count(session, Subscriber, col(Subscriber.is_active)),
        subscriptions=_count(session, Subscription),
        last_check_at=session.exec(select(func.max(Check.checked_at))).one(),
        failing=failing_documents(session),
    )
