"""Documents people add with /track: one per normalised URL, shared by everyone who tracks it."""

import hashlib
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, func, select

from storage.db import row_id
from storage.models import Document, Platform, Subscriber, Tracking


def url_key(normalised_url: str) -> str:
    """The unique key of a tracked page: the SHA-256 of its normalised URL without the scheme.

    http and https of one address are one page (it is fetched over https when that answers); a hash, so
    that any length fits an index.
    """
    return hashlib.sha256(normalised_url.partition("://")[2].encode()).hexdigest()


def document_at(session: Session, normalised_url: str) -> Document | None:
    """The user-added document of a normalised URL (catalog documents are matched in scraping/tracking.py)."""
    return session.exec(select(Document).where(Document.url_key == url_key(normalised_url))).first()


@dataclass(frozen=True)
class NewPlatform:
    """A platform named from the site of a tracked page, when it lies on no catalog platform's domain."""

    slug: str
    name: str


def _free_kind(session: Session, platform_id: int, kind: str, key: str) -> str:
    """``kind`` when the platform has no such document yet, else the kind with a piece of the URL's key."""
    taken = session.exec(select(Document.kind).where(Document.platform_id == platform_id)).all()
    return kind if kind not in taken else f"{kind}_{key[:8]}"


def _user_platform(session: Session, new: NewPlatform) -> Platform:
    """The users' platform of that site; a catalog platform that happens to have the slug is never taken."""
    slug = new.slug
    for number in range(2, 100):
        existing = session.exec(select(Platform).where(Platform.slug == slug)).first()
        if existing is None:
            break
        if existing.added_by_users:
            return existing
        slug = f"{new.slug[:60]}-{number}"
    platform = Platform(slug=slug, name_zh=new.name, name_en=new.name, added_by_users=True)
    session.add(platform)
    session.flush()
    return platform


def add_user_document(
    session: Session,
    normalised_url: str,
    kind: str,
    platform: Platform | NewPlatform,
    now: datetime,
    added_by: Subscriber | None = None,
    added_by_user_id: int | None = None,
) -> Document:
    """The document of ``normalised_url``, created (on ``platform``, by ``added_by``) when nobody tracked it.

    ``added_by_user_id`` is the Telegram user whose press created it (what the quota per person counts).

    Two people adding the same page at once get the same document: the unique key decides, and the one
    who loses the race reads the winner's row. A retired user-added document is brought back.
    """
    key = url_key(normalised_url)
    existing = document_at(session, normalised_url)
    if existing is None:
        try:
            with session.begin_nested():
                owner = platform if isinstance(platform, Platform) else _user_platform(session, platform)
                owner.retired_at = None
                session.add(owner)
                existing = Document(
                    platform_id=row_id(owner),
                    kind=_free_kind(session, row_id(owner), kind, key),
                    url=normalised_url,
                    url_key=key,
                    added_by_users=True,
                    added_by_subscriber_id=added_by.id if added_by is not None else None,
                    added_by_user_id=added_by_user_id,
                    created_at=now,
                )
                session.add(existing)
                session.flush()
        except IntegrityError:
            existing = session.exec(select(Document).where(Document.url_key == key)).one()
    if existing.added_by_users and existing.retired_at is not None:
        existing.retired_at = None
        home = session.get(Platform, existing.platform_id)
        if home is not None and home.retired_at is not None:
            home.retired_at = None
            session.add(home)
        session.add(existing)
        session.flush()
    return existing


def is_tracking(session: Session, subscriber: Subscriber, document: Document) -> bool:
    return _tracking(session, subscriber, document) is not None


def _tracking(session: Session, subscriber: Subscriber, document: Document) -> Tracking | None:
    return session.exec(
        select(Tracking).where(Tracking.subscriber_id == subscriber.id, Tracking.document_id == document.id)
    ).first()


def tracked_count(session: Session, subscriber: Subscriber) -> int:
    """How many documents a subscriber tracks (what TRACK_QUOTA counts)."""
    return session.exec(select(func.count()).where(Tracking.subscriber_id == subscriber.id)).one()


def documents_added(session: Session, subscriber: Subscriber, since: datetime) -> int:
    """How many documents a subscriber's /track created since then, tracked or not (the quota of new ones)."""
    return session.exec(
        select(func.count()).where(
            Document.added_by_subscriber_id == subscriber.id, col(Document.created_at) >= since
        )
    ).one()


def documents_added_by_user(session: Session, user_id: int, since: datetime) -> int:
    """How many documents one Telegram user's /track created since then, in any chat, tracked or not."""
    return session.exec(
        select(func.count()).where(Document.added_by_user_id == user_id, col(Document.created_at) >= since)
    ).one()


def track(session: Session, subscriber: Subscriber, document: Document) -> bool:
    """Follow one document; False when it was already tracked."""
    if is_tracking(session, subscriber, document):
        return False
    session.add(Tracking(subscriber_id=row_id(subscriber), document_id=row_id(document)))
    document.unfollowed_at = None
    session.add(document)
    session.flush()
    return True


def untrack(session: Session, subscriber: Subscriber, document: Document, now: datetime) -> bool:
    """Stop following one document; False when it was not tracked. The last one to leave starts its clock."""
    tracking = _tracking(session, subscriber, document)
    if tracking is None:
        return False
    session.delete(tracking)
    session.flush()
    if trackers(session, row_id(document)) == 0:
        document.unfollowed_at = now
        session.add(document)
        session.flush()
    return True


def trackers(session: Session, document_id: int) -> int:
    """How many chats track a document."""
    return session.exec(select(func.count()).where(Tracking.document_id == document_id)).one()


def tracked_documents(session: Session, subscriber: Subscriber) -> list[tuple[Platform, Document]]:
    """The documents a subscriber tracks, with their platforms, by platform slug and kind."""
    rows = session.exec(
        select(Platform, Document)
        .join(Document, col(Document.platform_id) == col(Platform.id))
        .join(Tracking, col(Tracking.document_id) == col(Document.id))
        .where(Tracking.subscriber_id == subscriber.id)
        .order_by(col(Platform.slug), col(Document.kind))
    )
    return [(platform, document) for platform, document in rows]


def document_trackers(session: Session, document_id: int) -> list[Subscriber]:
    """The active chats tracking one document."""
    return list(
        session.exec(
            select(Subscriber)
            .join(Tracking, col(Tracking.subscriber_id) == col(Subscriber.id))
            .where(Tracking.document_id == document_id, col(Subscriber.is_active))
            .order_by(col(Subscriber.id))
        )
    )


def merge_into(session: Session, merged: Document, kept: Document, now: datetime) -> None:
    """Move the trackers of ``merged`` to ``kept`` (once each) and retire ``merged``, its history kept.

    For two user-added documents found to be one page: ``merged`` loses its key, so ``kept`` is found.
    """
    for tracking in session.exec(select(Tracking).where(Tracking.document_id == merged.id)).all():
        subscriber = session.get_one(Subscriber, tracking.subscriber_id)
        session.delete(tracking)
        session.flush()
        track(session, subscriber, kept)
    merged.url_key, merged.retired_at = None, merged.retired_at or now
    merged.unfollowed_at = merged.unfollowed_at or now
    session.add(merged)
    session.flush()
    _retire_empty_platforms(session, {merged.platform_id}, now)


def retire_untracked(session: Session, before: datetime, now: datetime) -> list[Document]:
    """Retire the user-added documents nobody has tracked since ``before`` (their history stays).

    Only trackers count (a user-added document's alerts go to them alone; untracked, it is not checked),
    never its platform's followers. A users' platform left with no document in service retires too.
    """
    stale = list(
        session.exec(
            select(Document).where(
                col(Document.added_by_users),
                col(Document.retired_at).is_(None),
                col(Document.unfollowed_at).is_not(None),
                col(Document.unfollowed_at) <= before,
                col(Document.id).not_in(select(Tracking.document_id)),
            )
        )
    )
    for document in stale:
        document.retired_at = now
        session.add(document)
    session.flush()
    _retire_empty_platforms(session, {document.platform_id for document in stale}, now)
    return stale


def _retire_empty_platforms(session: Session, platform_ids: set[int], now: datetime) -> None:
    """Retire the users' platforms among these that have no document in service left."""
    for platform_id in platform_ids:
        platform = session.get(Platform, platform_id)
        in_service = session.exec(
            select(func.count()).where(
                Document.platform_id == platform_id, col(Document.retired_at).is_(None)
            )
        ).one()
        if platform is not None and platform.added_by_users and in_service == 0:
            platform.retired_at = now
            session.add(platform)
    session.flush()


def untrack_platform(session: Session, subscriber: Subscriber, platform: Platform, now: datetime) -> bool:
    """Stop tracking every document of a platform (its Unfollow button); False when none was tracked."""
    documents = session.exec(
        select(Document)
        .join(Tracking, col(Tracking.document_id) == col(Document.id))
        .where(Tracking.subscriber_id == subscriber.id, Document.platform_id == platform.id)
    ).all()
    for document in documents:
        untrack(session, subscriber, document, now)
    return bool(documents)


@dataclass(frozen=True)
class UserDocument:
    """A document people added with /track, in service, and how many chats track it."""

    platform: Platform
    document: Document
    trackers: int


def user_documents(session: Session) -> list[UserDocument]:
    """Every user-added document in service, most tracked first, then by platform slug and kind."""
    counts = (
        select(Tracking.document_id, func.count().label("trackers"))
        .group_by(col(Tracking.document_id))
        .subquery()
    )
    rows = session.exec(
        select(Platform, Document, func.coalesce(counts.c.trackers, 0))
        .join(Document, col(Document.platform_id) == col(Platform.id))
        .outerjoin(counts, counts.c.document_id == col(Document.id))
        .where(col(Document.added_by_users), col(Document.retired_at).is_(None))
    ).all()
    found = [UserDocument(platform, document, int(trackers)) for platform, document, trackers in rows]
    return sorted(found, key=lambda row: (-row.trackers, row.platform.slug, row.document.kind))
