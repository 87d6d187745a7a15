"""The durable outbox: deliveries are claimed, sent and marked, and survive a crash at any point."""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, or_, update
from sqlalchemy import select as sql_select
from sqlmodel import Session, col, select

from storage.models import Delivery, DeliveryKind, DeliveryStatus, Subscriber

DEFAULT_LANGUAGE = "en"  # of a delivery to no subscriber (an admin notice, a channel post)


@dataclass(frozen=True)
class Claimed:
    """A delivery claimed for sending: what the sender needs of it, and its subscriber's language."""

    id: int
    kind: DeliveryKind
    chat_id: int
    subscriber_id: int | None
    alert_id: int | None
    text: str | None
    attempts: int
    language: str


def claim_due(session: Session, now: datetime, limit: int) -> list[Claimed]:
    """Mark up to ``limit`` due deliveries as being sent (oldest first), in one UPDATE; skip paused chats.

    On PostgreSQL the rows are locked as they are read and rows another transaction holds are skipped, so
    two senders never claim the same delivery (SQLite writes one transaction at a time anyway).
    """
    columns = (Delivery.id, Delivery.kind, Delivery.chat_id, Delivery.subscriber_id, Delivery.alert_id)
    rows = session.execute(
        sql_select(*map(col, columns), col(Delivery.text), col(Delivery.attempts), col(Subscriber.language))
        .outerjoin(Subscriber, col(Subscriber.id) == col(Delivery.subscriber_id))
        .where(
            col(Delivery.status) == DeliveryStatus.PENDING,
            col(Delivery.next_attempt_at) <= now,
            or_(col(Delivery.subscriber_id).is_(None), col(Subscriber.is_active)),
        )
        .order_by(col(Delivery.next_attempt_at), col(Delivery.id))
        .limit(limit)
        .with_for_update(of=Delivery, skip_locked=True)
    ).all()
    claimed = [
        Claimed(delivery, kind, chat_id, subscriber, alert_id, text, attempts, language or DEFAULT_LANGUAGE)
        for delivery, kind, chat_id, subscriber, alert_id, text, attempts, language in rows
    ]
    if claimed:
        session.exec(
            update(Delivery)
            .where(col(Delivery.id).in_([delivery.id for delivery in claimed]))
            .values(status=DeliveryStatus.SENDING)
            .execution_options(synchronize_session=False)
        )
    return claimed


def release_claimed(session: Session, ids: list[int] | None = None) -> int:
    """Claimed deliveries back to pending: those given (left unsent at a stop), or all (after a crash)."""
    query = update(Delivery).where(col(Delivery.status) == DeliveryStatus.SENDING)
    if ids is not None:
        query = query.where(col(Delivery.id).in_(ids))
    return session.exec(query.values(status=DeliveryStatus.PENDING)).rowcount


def mark_sent(session: Session, delivery_ids: list[int], now: datetime) -> None:
    """Telegram accepted these deliveries (around ``now``): one UPDATE for them all."""
    session.exec(
        update(Delivery)
        .where(col(Delivery.id).in_(delivery_ids))
        .values(status=DeliveryStatus.SENT, sent_at=now, attempts=Delivery.attempts + 1, error=None)
        .execution_options(synchronize_session=False)  # no loaded rows to update: skip looking for them
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
