"""The webhook inbox: each update stored once, claimed in order by one worker, handled, forgotten a day on."""

import json
from datetime import timedelta

import pytest
from sqlmodel import Session, select

from storage.db import session_scope
from storage.inbox import (
    MAX_ATTEMPTS,
    Stored,
    claim_updates,
    inbox_counts,
    mark_done,
    mark_failed,
    prune_finished,
    release_claimed,
    store_update,
)
from storage.models import InboxStatus, InboxUpdate, utcnow


def body(update_id: int, text: str = "/start") -> str:
    return json.dumps({"update_id": update_id, "message": {"text": text}}, ensure_ascii=False)


def store(engine, *update_ids: int, max_pending: int = 1000) -> list[Stored]:
    with session_scope(engine) as session:
        return [store_update(session, update_id, body(update_id), max_pending) for update_id in update_ids]


def claim(engine, limit: int = 10) -> list[int]:
    with session_scope(engine) as session:
        return [claimed.update_id for claimed in claim_updates(session, limit)]


def rows(engine) -> dict[int, InboxUpdate]:
    with Session(engine) as session:
        return {row.update_id: row for row in session.exec(select(InboxUpdate)).all()}


def test_a_redelivered_update_is_stored_once(engine):
    assert store(engine, 7, 8) == [Stored.NEW, Stored.NEW]
    assert store(engine, 7) == [Stored.AGAIN]
    assert sorted(rows(engine)) == [7, 8]
    assert rows(engine)[7].body == body(7)


def test_updates_are_claimed_once_lowest_update_id_first(engine):
    store(engine, 12, 10, 11, 2**40)  # Telegram's ids need more than 32 bits in time
    assert claim(engine, 2) == [10, 11]
    assert claim(engine) == [12, 2**40]
    assert claim(engine) == []
    with session_scope(engine) as session:
        assert inbox_counts(session) == {InboxStatus.PROCESSING: 4}


def test_a_claimed_update_carries_its_body_and_is_forgotten_once_handled(engine):
    store(engine, 5)
    with session_scope(engine) as session:
        (claimed,) = claim_updates(session, 10)
    assert json.loads(claimed.body) == {"update_id": 5, "message": {"text": "/start"}}
    with session_scope(engine) as session:
        mark_done(session, claimed.id, utcnow())
    done = rows(engine)[5]
    assert done.status == InboxStatus.DONE and done.body is None  # people's messages are not kept
    assert store(engine, 5) == [Stored.AGAIN]  # a redelivery after it was handled is still recognised
    assert claim(engine) == []


def test_a_failed_update_keeps_its_reason_and_is_never_claimed_again(engine):
    store(engine, 5, 6)
    with session_scope(engine) as session:
        first, _ = claim_updates(session, 10)
    with session_scope(engine) as session:
        mark_failed(session, first.id, "KeyError: 'chat'", utcnow())
        release_claimed(session)
    assert rows(engine)[5].status == InboxStatus.FAILED and rows(engine)[5].error == "KeyError: 'chat'"
    assert claim(engine) == [6]


def test_claims_cut_short_are_handled_again_then_given_up(engine):
    store(engine, 1)
    for _ in range(MAX_ATTEMPTS):
        assert claim(engine) == [1]
        with session_scope(engine) as session:
            assert release_claimed(session) == 1  # the worker died handling it; the next one starts
    assert claim(engine) == []
    given_up = rows(engine)[1]
    assert given_up.status == InboxStatus.FAILED and f"after {MAX_ATTEMPTS} attempts" in given_up.error


def test_updates_never_handled_lose_their_messages_and_are_pruned_in_their_time(engine):
    store(engine, 1, 2)
    for _ in range(MAX_ATTEMPTS):  # update 1 kills the worker each time
        with session_scope(engine) as session:
            assert [claimed.update_id for claimed in claim_updates(session, 1)] == [1]
            release_claimed(session)
    with session_scope(engine) as session:
        assert [claimed.update_id for claimed in claim_updates(session, 2)] == [2]  # 1 is given up
    with session_scope(engine) as session:
        mark_failed(session, rows(engine)[2].id, "KeyError: 'chat'", utcnow())
    assert [rows(engine)[n].body for n in (1, 2)] == [None, None]  # people's messages, never to be read
    with session_scope(engine) as session:
        assert prune_finished(session, utcnow() + timedelta(seconds=1)) == 2
    assert rows(engine) == {}


def test_finished_updates_are_pruned_after_their_time_pending_ones_never(engine):
    store(engine, 1, 2, 3)
    with session_scope(engine) as session:
        one, two = claim_updates(session, 2)
        mark_done(session, one.id, utcnow() - timedelta(days=2))
        mark_failed(session, two.id, "bad", utcnow())
        release_claimed(session)
    with session_scope(engine) as session:
        assert prune_finished(session, utcnow() - timedelta(days=1)) == 1
    assert sorted(rows(engine)) == [2, 3]
    with session_scope(engine) as session:
        assert prune_finished(session, utcnow() + timedelta(seconds=1)) == 1
    assert sorted(rows(engine)) == [3]


def test_two_workers_claiming_at_once_never_get_the_same_update(engine):
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite has one writer at a time: a second claim waits for the first")
    store(engine, *range(1, 7))
    with Session(engine) as first, Session(engine) as second:
        mine = [c.update_id for c in claim_updates(first, 3)]  # locked until `first` commits
        theirs = [c.update_id for c in claim_updates(second, 10)]
        first.commit()
        second.commit()
    assert mine == [1, 2, 3] and theirs == [4, 5, 6]


def test_a_stopping_worker_hands_back_only_the_updates_it_left_unhandled(engine):
    store(engine, 1, 2, 3)
    with session_scope(engine) as session:
        first, _, third = claim_updates(session, 3)
        mark_done(session, first.id, utcnow())
    with session_scope(engine) as session:
        assert release_claimed(session, [third.id]) == 1
    assert claim(engine) == [3]  # the second is still someone's


def test_past_the_cap_of_waiting_updates_new_ones_are_refused_and_redeliveries_recognised(engine):
    assert store(engine, 1, 2, 3, max_pending=2) == [Stored.NEW, Stored.NEW, Stored.FULL]
    assert store(engine, 2, max_pending=2) == [Stored.AGAIN]
    assert claim(engine, limit=1) == [1]  # the worker takes one: there is room again
    assert store(engine, 3, max_pending=2) == [Stored.NEW]
