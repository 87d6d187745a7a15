"""The durable outbox: deliveries are claimed, sent and marked, and survive a crash at any point."""

from datetime import datetime

from sqlalchemy import func, or_, update
from sqlmodel import Session, col, select

from storage.models import Delivery, DeliveryStatus, Subscriber


def claim_due(session: Session, now: datetime, limit: int) -> list[Delivery]:
    """Mark up to ``limit`` due deliveries as being sent (oldest first); skip paused subscribers."""
    due = session.exec(
        select(Delivery)
        .outerjoin(Subscriber, col(Subscriber.id) == col(Delivery.subscriber_id))
        .where(
            Delivery.status == DeliveryStatus.PENDING,
            col(Delivery.next_attempt_at) <= now,
            or_(col(Delivery.subscriber_id).is_(None), col(Subscriber.is_active)),
        )
        .order_by(col(Delivery.next_attempt_at), col(Delivery.id))
        .limit(limit)
    ).all()
    for delivery in due:
        delivery.status = DeliveryStatus.SENDING
        session.add(delivery)
    return list(due)


def release_claimed(session: Session, ids: list[int] | None = None) -> int:
    """Claimed deliveries back to pending: those given (left unsent at a stop), or all (after a crash)."""
    query = update(Delivery).where(col(Delivery.status) == DeliveryStatus.SENDING)
    if ids is not None:
        query = query.where(col(Delivery.id).in_(ids))
    return session.exec(query.values(status=DeliveryStatus.PENDING)).rowcount


def mark_sent(session: Session, delivery_id: int, now: datetime) -> None:
    session.exec(
        update(Delivery)
        .where(col(Delivery.id) == delivery_id)
        .values(status=DeliveryStatus.SENT, sent_at=now, attempts=Delivery.attempts + 1, error=None)
    )


def mark_retry(session: Session, delivery_id: int, at: datetime, error: str, attempt: bool = True) -> None:
    """Try again at ``at``; ``attempt`` counts it against the retry budget (a 429 does not)."""
    session.exec(
        update(Delivery)
        .where(col(Delivery.id) == delivery_id)
        .values(
            status=DeliveryStatus.PENDING,
            next_attempt_at=at,
            error=error[:1000],
            attempts=Delivery.attempts + (1 if attempt else 0),
        )
    )


def mark_failed(session: Session, delivery_id: int, error: str) -> None:
    session.exec(
        update(Delivery)
        .where(col(Delivery.id) == delivery_id)
        .values(status=DeliveryStatus.FAILED, error=error[:1000], attempts=Delivery.attempts + 1)
    )


def pause_subscriber(session: Session, chat_id: int, reason: str) -> None:
    """The chat blocked the bot: inactive, subscriptions kept; what was waiting for it is skipped."""
    subscriber = session.exec(select(Subscriber).where(Subscriber.chat_id == chat_id)).first()
    if subscriber is not None:
        subscriber.is_active = False
        session.add(subscriber)
    session.exec(
        update(Delivery)
        .where(col(Delivery.chat_id) == chat_id, col(Delivery.status) == DeliveryStatus.PENDING)
        .values(status=DeliveryStatus.SKIPPED, error=reason)
    )


def move_chat(session: Session, old_chat_id: int, new_chat_id: int) -> None:
    """A group became a supergroup: its subscriber and its waiting deliveries follow the new id."""
    subscriber = session.exec(select(Subscriber).where(Subscriber.chat_id == old_chat_id)).first()
    taken = session.exec(select(Subscriber).where(Subscriber.chat_id == new_chat_id)).first()
    if subscriber is not None and taken is None:
        subscriber.chat_id = new_chat_id
        subscriber.chat_type = "supergroup"
        session.add(subscriber)
    session.exec(update(Delivery).where(col(Delivery.chat_id) == old_chat_id).values(chat_id=new_chat_id))


def outbox_counts(session: Session) -> dict[str, int]:
    """How many deliveries are in each status."""
    rows = session.exec(select(Delivery.status, func.count()).group_by(Delivery.status)).all()
    return {status: count for status, count in rows}


def oldest_pending_at(session: Session) -> datetime | None:
    return session.exec(
        select(func.min(Delivery.created_at)).where(
            col(Delivery.status).in_([DeliveryStatus.PENDING, DeliveryStatus.SENDING])
        )
    ).one()
