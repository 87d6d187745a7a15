"""The outbox on both databases: claims, releases after a crash, retries, paused and moved chats."""

from datetime import timedelta

import pytest
from sqlmodel import Session, select

from storage.db import session_scope
from storage.models import Delivery, DeliveryStatus, Subscriber, utcnow
from storage.outbox import (
    claim_due,
    mark_failed,
    mark_retry,
    mark_sent,
    move_chat,
    oldest_pending_at,
    outbox_counts,
    pause_subscriber,
    release_claimed,
)

NOW = utcnow()


def _chat(session, chat_id: int, **fields) -> Subscriber:
    subscriber = Subscriber(chat_id=chat_id, **fields)
    session.add(subscriber)
    session.flush()
    return subscriber


def _queue(session, subscriber: Subscriber, texts: list[str], at=NOW) -> list[int]:
    deliveries = [
        Delivery(
            kind="admin",
            chat_id=subscriber.chat_id,
            subscriber_id=subscriber.id,
            text=text,
            next_attempt_at=at,
        )
        for text in texts
    ]
    session.add_all(deliveries)
    session.flush()
    return [delivery.id for delivery in deliveries]


def _statuses(engine) -> dict[str, str]:
    with session_scope(engine) as session:
        return {d.text: d.status for d in session.exec(select(Delivery))}


def test_due_deliveries_are_claimed_oldest_first_once(engine):
    with session_scope(engine) as session:
        chat = _chat(session, 1)
        _queue(session, chat, ["later"], at=NOW + timedelta(minutes=5))
        _queue(session, chat, ["first", "second", "third"])
    with session_scope(engine) as session:
        assert [d.text for d in claim_due(session, NOW, limit=2)] == ["first", "second"]
    with session_scope(engine) as session:
        assert [d.text for d in claim_due(session, NOW, limit=10)] == ["third"]
        assert claim_due(session, NOW, limit=10) == []
    assert _statuses(engine)["later"] == DeliveryStatus.PENDING


def test_two_senders_claiming_at_once_never_get_the_same_delivery(engine):
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite has one writer at a time: a second claim waits for the first")
    with session_scope(engine) as session:
        _queue(session, _chat(session, 1, language="zh"), [f"m{n}" for n in range(6)])
    with Session(engine) as first, Session(engine) as second:
        mine = [d.text for d in claim_due(first, NOW, limit=3)]  # locked until `first` commits
        theirs = [(d.text, d.language) for d in claim_due(second, NOW, limit=10)]
        first.commit()
        second.commit()
    assert mine == ["m0", "m1", "m2"]
    assert theirs == [("m3", "zh"), ("m4", "zh"), ("m5", "zh")]
    assert set(_statuses(engine).values()) == {"sending"}


def test_claims_left_by_a_crash_go_back_to_pending_and_a_stop_releases_only_its_own(engine):
    with session_scope(engine) as session:
        ids = _queue(session, _chat(session, 1), ["a", "b", "c"])
    with session_scope(engine) as session:
        claim_due(session, NOW, limit=3)
    with session_scope(engine) as session:
        assert release_claimed(session, [ids[0]]) == 1
    assert _statuses(engine) == {"a": "pending", "b": "sending", "c": "sending"}
    with session_scope(engine) as session:
        assert release_claimed(session) == 2
    assert set(_statuses(engine).values()) == {"pending"}


def test_sent_retried_and_failed_deliveries_keep_their_attempts_and_reason(engine):
    with session_scope(engine) as session:
        sent, retried, failed = _queue(session, _chat(session, 1), ["sent", "retried", "failed"])
    with session_scope(engine) as session:
        mark_sent(session, [sent], NOW)
        mark_retry(session, retried, NOW + timedelta(seconds=30), "timed out")
        mark_retry(session, retried, NOW + timedelta(seconds=60), "429", attempt=False)
        mark_failed(session, failed, "x" * 5000)
    with session_scope(engine) as session:
        rows = {d.text: d for d in session.exec(select(Delivery))}
        assert rows["sent"].status == "sent" and rows["sent"].sent_at is not None
        assert (rows["retried"].status, rows["retried"].attempts, rows["retried"].error) == (
            "pending",
            1,
            "429",
        )
        assert claim_due(session, NOW + timedelta(seconds=59), limit=10) == []
        assert rows["failed"].status == "failed" and len(rows["failed"].error) == 1000
        assert outbox_counts(session) == {"sent": 1, "pending": 1, "failed": 1}


def test_a_chat_that_blocked_the_bot_is_paused_and_its_waiting_messages_skipped(engine):
    with session_scope(engine) as session:
        blocked, other = _chat(session, 1), _chat(session, 2)
        _queue(session, blocked, ["to blocked"])
        _queue(session, other, ["to other"])
    with session_scope(engine) as session:
        pause_subscriber(session, 1, "Forbidden: bot was blocked by the user")
    with session_scope(engine) as session:
        assert not session.exec(select(Subscriber).where(Subscriber.chat_id == 1)).one().is_active
        assert [d.text for d in claim_due(session, NOW, limit=10)] == ["to other"]
    assert _statuses(engine)["to blocked"] == "skipped"


def test_a_group_that_became_a_supergroup_moves_with_its_waiting_messages(engine):
    with session_scope(engine) as session:
        _queue(session, _chat(session, -100, chat_type="group"), ["to group"])
    with session_scope(engine) as session:
        move_chat(session, -100, -1001234567890)
    with session_scope(engine) as session:
        subscriber = session.exec(select(Subscriber)).one()
        assert (subscriber.chat_id, subscriber.chat_type) == (-1001234567890, "supergroup")
        assert session.exec(select(Delivery)).one().chat_id == -1001234567890


def test_the_oldest_unsent_delivery_dates_the_outbox_lag(engine):
    with session_scope(engine) as session:
        assert oldest_pending_at(session) is None
        ids = _queue(session, _chat(session, 1), ["a", "b"])
    with session_scope(engine) as session:
        mark_sent(session, ids[:1], NOW)
        assert oldest_pending_at(session) is not None
        mark_sent(session, ids[1:], NOW)
        assert oldest_pending_at(session) is None
