"""Who listens: Telegram chats, the platforms they follow and their preferences."""

from sqlmodel import Session, col, select

from storage.db import row_id
from storage.models import Platform, Subscriber, Subscription


def get_subscriber(session: Session, chat_id: int) -> Subscriber | None:
    return session.exec(select(Subscriber).where(Subscriber.chat_id == chat_id)).first()


def ensure_subscriber(session: Session, chat_id: int, chat_type: str, language: str) -> Subscriber:
    """The chat's subscriber row, created on first contact; a chat that talks to the bot is active again.

    A private chat's language follows the person's Telegram language until they pick one with /lang; a
    group keeps the language of whoever spoke first.
    """
    subscriber = get_subscriber(session, chat_id)
    if subscriber is None:
        subscriber = Subscriber(chat_id=chat_id, chat_type=chat_type, language=language)
    elif chat_type == "private" and not subscriber.language_chosen:
        subscriber.language = language
    subscriber.is_active = True
    subscriber.chat_type = chat_type
    session.add(subscriber)
    session.flush()
    return subscriber


def follow(session: Session, subscriber: Subscriber, platform: Platform) -> bool:
    """Follow a platform; False when it was already followed."""
    if is_following(session, subscriber, platform):
        return False
    session.add(Subscription(subscriber_id=row_id(subscriber), platform_id=row_id(platform)))
    session.flush()
    return True


def unfollow(session: Session, subscriber: Subscriber, platform: Platform) -> bool:
    """Stop following a platform; False when it was not followed."""
    subscription = _subscription(session, subscriber, platform)
    if subscription is None:
        return False
    session.delete(subscription)
    session.flush()
    return True


def _subscription(session: Session, subscriber: Subscriber, platform: Platform) -> Subscription | None:
    return session.exec(
        select(Subscription).where(
            Subscription.subscriber_id == subscriber.id, Subscription.platform_id == platform.id
        )
    ).first()


def is_following(session: Session, subscriber: Subscriber, platform: Platform) -> bool:
    return _subscription(session, subscriber, platform) is not None


def followed_platforms(session: Session, subscriber: Subscriber) -> list[Platform]:
    """The platforms a subscriber follows, by slug."""
    return list(
        session.exec(
            select(Platform)
            .join(Subscription, col(Subscription.platform_id) == col(Platform.id))
            .where(Subscription.subscriber_id == subscriber.id)
            .order_by(col(Platform.slug))
        )
    )


def choose_language(session: Session, subscriber: Subscriber, language: str) -> None:
    """The language picked with /lang, kept from now on."""
    subscriber.language = language
    subscriber.language_chosen = True
    session.add(subscriber)
