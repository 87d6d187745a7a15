"""Recording checks: one row per distinct text, reverts, 304s and failures, on both databases."""

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from storage.db import session_scope
from storage.models import Check, CheckOutcome, Document, FailureKind, Version
from storage.versions import FetchFacts, record_failure, record_not_modified, record_text, versions_of
from tests.seed import new_document

T0 = datetime(2025, 11, 10, 21, 38, tzinfo=UTC)
FACTS = FetchFacts("https://example.com/privacy", 200, 1000, 12)


@pytest.fixture
def document_id(engine):
    with session_scope(engine) as session:
        document = new_document(session, url=FACTS.url)
        return document.id


def record(engine, document_id, text, at, **kwargs):
    with session_scope(engine) as session:
        return record_text(session, session.get(Document, document_id), text, FACTS, at, **kwargs)


def test_texts_become_versions_once_and_reverts_are_recognised(engine, document_id):
    stated = (date(2025, 5, 19), date(2025, 5, 25))
    baseline = record(engine, document_id, "政策 A", T0, stated=stated)
    assert (baseline.outcome, baseline.is_baseline) == (CheckOutcome.NEW_VERSION, True)
    assert record(engine, document_id, "政策 A", T0 + timedelta(hours=6)).outcome is CheckOutcome.UNCHANGED
    changed = record(engine, document_id, "政策 B", T0 + timedelta(days=1))
    assert (changed.outcome, changed.is_baseline, changed.previous.id) == (
        CheckOutcome.NEW_VERSION,
        False,
        baseline.version.id,
    )
    back = record(engine, document_id, "政策 A", T0 + timedelta(days=2))
    assert (back.outcome, back.version.id, back.previous.id) == (
        CheckOutcome.REVERTED,
        baseline.version.id,
        changed.version.id,
    )
    with Session(engine) as session:
        versions = versions_of(session, document_id)
    assert [v.text for v in versions] == ["政策 A", "政策 B"]
    first = versions[0]
    assert (first.first_seen_at, first.last_seen_at) == (T0, T0 + timedelta(days=2))
    assert (first.stated_update_date, first.stated_effective_date) == stated
    assert first.chars == 4 and len(first.sha256) == 64


def test_the_same_text_can_never_make_a_second_row(engine, document_id):
    baseline = record(engine, document_id, "政策 A", T0)
    with pytest.raises(IntegrityError), session_scope(engine) as session:
        duplicate = baseline.version.model_copy(update={"id": None})
        session.add(Version.model_validate(duplicate))


def test_not_modified_and_failures(engine, document_id):
    baseline = record(engine, document_id, "政策 A", T0)
    with session_scope(engine) as session:
        document = session.get(Document, document_id)
        failed = record_failure(
            session,
            document,
            FetchFacts(FACTS.url, 503),
            T0 + timedelta(hours=1),
            "HTTP 503",
            kind=FailureKind.TRANSIENT,
        )
        failed_again = record_failure(
            session,
            document,
            FetchFacts(FACTS.url),
            T0 + timedelta(hours=2),
            "timed out",
            kind=FailureKind.TRANSIENT,
        )
        assert document.consecutive_failures == 2
        not_modified = record_not_modified(
            session, document, FetchFacts(FACTS.url, 304), T0 + timedelta(hours=3)
        )
        assert document.consecutive_failures == 0
    assert failed.outcome is failed_again.outcome is CheckOutcome.FAILED
    assert (
        not_modified.outcome is CheckOutcome.NOT_MODIFIED and not_modified.version.id == baseline.version.id
    )
    with Session(engine) as session:
        checks = list(session.exec(select(Check).order_by(Check.id)))
        version = session.get(Version, baseline.version.id)
    assert [(c.outcome, c.http_status, c.error, c.version_id) for c in checks] == [
        ("new_version", 200, None, baseline.version.id),
        ("failed", 503, "HTTP 503", None),
        ("failed", None, "timed out", None),
        ("not_modified", 304, None, baseline.version.id),
    ]
    assert version.last_seen_at == T0 + timedelta(hours=3)
