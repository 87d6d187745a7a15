"""The inbox of webhook updates: stored once per update_id by any web replica, handled in order by the worker.

An update is stored before Telegram is answered, so an accepted update survives any process dying; it is
claimed before it is handled and marked when it has been, so a worker that dies mid-way hands it on.
"""

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy import delete, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, func, select

from storage.db import row_id
from storage.models import InboxStatus, InboxUpdate, utcnow

# Claims of one update (its handling was cut short by the process dying each time) before it is failed:
# an update that crashes the worker must not crash it for ever.
MAX_ATTEMPTS = 3
# Updates waiting for the worker, at most: past it the route answers 503 and Telegram, which keeps a bot's
# updates for 24 hours, posts them again later. It bounds what a worker that is down, or anyone holding the
# secret, can pile up (with the route's 1 MB a body, 1 GB at worst); a worker empties it in seconds.
MAX_PENDING = 1000


@dataclass(frozen=True)
class ClaimedUpdate:
    """An update the worker claimed: its row, Telegram's update_id and the JSON body as it was posted."""

    id: int
    update_id: int
    body: str


class Stored(StrEnum):
    """What became of a posted update."""

    NEW = "new"
    AGAIN = "again"  # that update_id was stored already: a redelivery
    FULL = "full"  # the inbox holds ``max_pending`` updates waiting: Telegram keeps this one and retries


def pending_count(session: Session) -> int:
    """Updates stored and not yet claimed by the worker."""
    count = select(func.count()).select_from(InboxUpdate).where(InboxUpdate.status == InboxStatus.PENDING)
    return session.exec(count).one()


def store_update(session: Session, update_id: int, body: str, max_pending: int = MAX_PENDING) -> Stored:
    """Keep an update posted to the webhook, unless it is a redelivery or ``max_pending`` already wait."""
    if pending_count(session) >= max_pending:
        seen = select(InboxUpdate.id).where(InboxUpdate.update_id == update_id)
        return Stored.AGAIN if session.exec(seen).first() is not None else Stored.FULL
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    inserted = session.exec(
        dialect.insert(InboxUpdate)
        .values(update_id=update_id, body=body, status=InboxStatus.PENDING)
        .on_conflict_do_nothing(index_elements=["update_id"])
        .returning(col(InboxUpdate.id))
    )
    return Stored.NEW if inserted.first() is not None else Stored.AGAIN


def claim_updates(session: Session, limit: int) -> list[ClaimedUpdate]:
    """Mark up to ``limit`` pending updates as being handled, lowest update_id first.

    On PostgreSQL the rows are locked and locked ones skipped, so two workers never claim the same update;
    SQLite has one writer at a time, and the claim is one transaction.
    """
    rows = session.exec(
        select(InboxUpdate)
        .where(InboxUpdate.status == InboxStatus.PENDING)
        .order_by(col(InboxUpdate.update_id))
        .limit(limit)
        .with_for_update(skip_locked=True)
    ).all()
    claimed = []
    for row in rows:
        if row.attempts >= MAX_ATTEMPTS:
            mark_failed(session, row_id(row), f"given up after {row.attempts} attempts", utcnow())
            continue
        row.status, row.attempts = InboxStatus.PROCESSING, row.attempts + 1
        claimed.append(ClaimedUpdate(row_id(row), row.update_id, row.body or ""))
        session.add(row)
    return claimed


def mark_done(session: Session, row_id: int, now: datetime) -> None:
    """Handled: the body (people's messages) is dropped; the update_id stays to recognise redeliveries."""
    session.exec(
        update(InboxUpdate)
        .where(col(InboxUpdate.id) == row_id)
        .values(status=InboxStatus.DONE, body=None, finished_at=now)
    )


def mark_failed(session: Session, row_id: int, error: str, now: datetime) -> None:
    """Never handled: its body (people's messages) dropped, the reason kept until pruned, never claimed."""
    session.exec(
        update(InboxUpdate)
        .where(col(InboxUpdate.id) == row_id)
        .values(status=InboxStatus.FAILED, body=None, error=error[:1000], finished_at=now)
    )


def release_claimed(session: Session, ids: list[int] | None = None) -> int:
    """Claimed updates back to pending: those given (left unhandled at a stop), or all (after a crash)."""
    query = update(InboxUpdate).where(col(InboxUpdate.status) == InboxStatus.PROCESSING)
    if ids is not None:
        query = query.where(col(InboxUpdate.id).in_(ids))
    return session.exec(query.values(status=InboxStatus.PENDING)).rowcount


def prune_finished(session: Session, before: datetime) -> int:
    """Forget updates handled (or failed) before ``before``: Telegram stops redelivering after a day."""
    return session.exec(
        delete(InboxUpdate).where(
            col(InboxUpdate.status).in_([InboxStatus.DONE, InboxStatus.FAILED]),
            col(InboxUpdate.finished_at) < before,
        )
    ).rowcount


def inbox_counts(session: Session) -> dict[str, int]:
    """How many updates are in each status."""
    rows = session.exec(select(InboxUpdate.status, func.count()).group_by(InboxUpdate.status)).all()
    return {status: count for status, count in rows}
