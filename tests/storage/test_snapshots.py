"""Snapshots: each distinct response stored once per document, compressed, most as a delta; retention."""

import hashlib
from datetime import UTC, datetime, timedelta

from sqlmodel import Session, select

from storage.db import session_scope
from storage.models import Check, Document, Platform, Snapshot
from storage.snapshots import RawResponse, prune_snapshots, raw_response, store_snapshot
from storage.versions import FetchFacts, Provenance, record_text
from tests.pages import NEW_PAGE, OLD_PAGE

T0 = datetime(2025, 11, 10, 21, 38, tzinfo=UTC)
URL = "https://example.com/privacy"


def response(body: bytes, at: datetime = T0) -> RawResponse:
    return RawResponse(body, URL, "text/html; charset=utf-8", "utf-8", at)


def document_id(session: Session) -> int:
    platform = Platform(slug="zeekr", name_zh="极氪", name_en="ZEEKR")
    session.add(platform)
    session.flush()
    document = Document(platform_id=platform.id, kind="privacy_policy", url=URL)
    session.add(document)
    session.flush()
    return document.id


def test_a_response_is_stored_once_compressed_and_read_back_whole(engine):
    later = T0 + timedelta(hours=6)
    with session_scope(engine) as session:
        owner = document_id(session)
        first = store_snapshot(session, owner, response(OLD_PAGE))
        again = store_snapshot(session, owner, response(OLD_PAGE, later))
        assert again.id == first.id
    with Session(engine) as session:
        (stored,) = session.exec(select(Snapshot)).all()
        assert (stored.fetched_at, stored.last_fetched_at, stored.size) == (T0, later, len(OLD_PAGE))
        assert len(stored.body) < len(OLD_PAGE) / 2
        raw = raw_response(session, stored)
    assert raw == response(OLD_PAGE)


def test_a_page_close_to_its_base_costs_a_small_delta(engine):
    with session_scope(engine) as session:
        owner = document_id(session)
        base = store_snapshot(session, owner, response(OLD_PAGE))
        delta = store_snapshot(session, owner, response(NEW_PAGE))
        assert (base.base_id, delta.base_id) == (None, base.id)
        assert len(delta.body) < len(base.body) / 20
        assert raw_response(session, delta).body == NEW_PAGE
        other_page = "".join(hashlib.sha256(str(i).encode()).hexdigest() for i in range(2000)).encode()
        unlike = store_snapshot(session, owner, response(other_page))
        assert unlike.base_id is None  # far from the base: a base of its own


def _three_snapshots(engine) -> tuple[int, list[int]]:
    """A version's snapshot fetched at T0, and two later responses no version uses, at T0+10d and T0+40d."""
    with session_scope(engine) as session:
        owner = document_id(session)
        document = session.get(Document, owner)
        ids = [
            store_snapshot(session, owner, response(body, T0 + timedelta(days=days))).id
            for body, days in ((OLD_PAGE, 0), (OLD_PAGE + b"<!-- a -->", 10), (OLD_PAGE + b"<!-- b -->", 40))
        ]
        record_text(session, document, "政策", FetchFacts(URL), T0, provenance=Provenance(ids[0], "f"))
        for snapshot_id in ids[1:]:
            record_text(
                session, document, "政策", FetchFacts(URL), T0, provenance=Provenance(snapshot_id, "f")
            )
    return owner, ids


def _left(engine) -> list[int]:
    with Session(engine) as session:
        return list(session.exec(select(Snapshot.id).order_by(Snapshot.id)))


def test_retention_keeps_all_or_what_versions_use_or_recent_ones(engine):
    owner, ids = _three_snapshots(engine)
    now = T0 + timedelta(days=45)
    with session_scope(engine) as session:
        assert prune_snapshots(session, owner, "all", now) == 0
        assert prune_snapshots(session, owner, 30, now) == 1
    assert _left(engine) == [ids[0], ids[2]]
    with session_scope(engine) as session:
        assert prune_snapshots(session, owner, "versions", now) == 1
    assert _left(engine) == [ids[0]]
    with Session(engine) as session:
        links = session.exec(select(Check.snapshot_id).order_by(Check.id)).all()
    assert links == [ids[0], None, None]  # the checks that read a pruned snapshot lose the link
