"""Keyword watches: adding, listing and removing them, and who watches what when a document changes."""

from enum import StrEnum

from sqlmodel import Session, col, func, or_, select

from storage.db import row_id
from storage.models import Platform, Subscriber, Watch


class WatchOutcome(StrEnum):
    ADDED = "added"
    UPDATED = "updated"  # the same keyword, now for another platform (or all of them)
    ALREADY = "already"
    FULL = "full"  # the subscriber watches the most keywords allowed


def add_watch(
    session: Session, subscriber: Subscriber, keyword: str, platform: Platform | None, limit: int
) -> WatchOutcome:
    """Watch ``keyword`` (already normalised) in every document, or in ``platform``'s."""
    platform_id = row_id(platform) if platform is not None else None
    existing = session.exec(
        select(Watch).where(Watch.subscriber_id == subscriber.id, Watch.keyword == keyword)
    ).first()
    if existing is not None:
        if existing.platform_id == platform_id:
            return WatchOutcome.ALREADY
        existing.platform_id = platform_id
        session.add(existing)
        return WatchOutcome.UPDATED
    count = session.exec(
        select(func.count()).select_from(Watch).where(Watch.subscriber_id == subscriber.id)
    ).one()
    if count >= limit:
        return WatchOutcome.FULL
    session.add(Watch(subscriber_id=row_id(subscriber), keyword=keyword, platform_id=platform_id))
    session.flush()
    return WatchOutcome.ADDED


def remove_watch(session: Session, subscriber: Subscriber, keyword: str) -> bool:
    """Stop watching ``keyword`` (normalised); False when it was not watched."""
    watch = session.exec(
        select(Watch).where(Watch.subscriber_id == subscriber.id, Watch.keyword == keyword)
    ).first()
    if watch is None:
        return False
    session.delete(watch)
    session.flush()
    return True


def watches_of(session: Session, subscriber: Subscriber) -> list[tuple[Watch, Platform | None]]:
    """A subscriber's watches, oldest first, with the platform each is limited to."""
    return list(
        session.exec(
            select(Watch, Platform)
            .outerjoin(Platform, col(Platform.id) == col(Watch.platform_id))
            .where(Watch.subscriber_id == subscriber.id)
            .order_by(col(Watch.id))
        ).all()
    )


def watchers(session: Session, platform_id: int) -> list[tuple[Subscriber, Watch]]:
    """The active chats watching a keyword in every document or in this platform's."""
    return list(
        session.exec(
            select(Subscriber, Watch)
            .join(Watch, col(Watch.subscriber_id) == col(Subscriber.id))
            .where(
                col(Subscriber.is_active),
                or_(col(Watch.platform_id).is_(None), Watch.platform_id == platform_id),
            )
            .order_by(col(Subscriber.id), col(Watch.id))
        ).all()
    )


def subscriber_watches(session: Session, subscriber: Subscriber) -> list[Watch]:
    return list(
        session.exec(select(Watch).where(Watch.subscriber_id == subscriber.id).order_by(col(Watch.id)))
    )
