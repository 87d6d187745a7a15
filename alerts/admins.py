"""Notices to the admins (ADMIN_CHAT_IDS): admin deliveries in the outbox, each in its reader's language."""

from collections.abc import Callable

from sqlmodel import Session

from storage.models import Delivery, DeliveryKind
from storage.subscribers import get_subscriber


def admin_language(session: Session, chat_id: int) -> str:
    """The language the admin picked in the bot, else English."""
    subscriber = get_subscriber(session, chat_id)
    return subscriber.language if subscriber else "en"


def enqueue_admin_notices(session: Session, admin_ids: frozenset[int], text_in: Callable[[str], str]) -> int:
    """One delivery of ``text_in(language)`` per admin; returns how many."""
    for chat_id in sorted(admin_ids):
        text = text_in(admin_language(session, chat_id))
        session.add(Delivery(kind=DeliveryKind.ADMIN, chat_id=chat_id, text=text))
    return len(admin_ids)
