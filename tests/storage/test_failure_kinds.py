"""Failed checks keep their kind; value sets stored as plain strings read back as enums (both databases)."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text
from sqlmodel import Session, select

from kinds import Severity
from storage.db import session_scope
from storage.models import (
    Alert,
    Check,
    CheckOutcome,
    Delivery,
    DeliveryKind,
    DeliveryStatus,
    Document,
    FailureKind,
    Subscriber,
)
from storage.stats import Failure, overview, recent_failures
from storage.versions import FetchFacts, record_failure, record_not_modified, record_text
from tests.seed import new_document

T0 = datetime(2025, 11, 10, 21, 38, tzinfo=UTC)
FACTS = FetchFacts("https://example.com/privacy", 200, 1000, 12)


@pytest.fixture
def document_id(engine) -> int:
    with session_scope(engine) as session:
        document = new_document(session, url=FACTS.url)
        return document.id


def fail(engine, document_id: int, hours: int, reason: str, kind: FailureKind) -> None:
    with session_scope(engine) as session:
        document = session.get(Document, document_id)
        record_failure(
            session, document, FetchFacts(FACTS.url), T0 + timedelta(hours=hours), reason, kind=kind
        )


def test_failures_keep_their_kind_and_the_streak_reads_newest_first(engine, document_id):
    fail(engine, document_id, 1, "HTTP 404 from https://example.com/privacy", FailureKind.PERMANENT)
    with session_scope(engine) as session:
        record_text(session, session.get(Document, document_id), "政策 A", FACTS, T0 + timedelta(hours=2))
    fail(engine, document_id, 3, "timed out fetching https://example.com/privacy", FailureKind.TRANSIENT)
    fail(engine, document_id, 4, "the selector '.policy' matched nothing on the page", FailureKind.PERMANENT)
    with Session(engine) as session:
        checks = session.exec(select(Check).order_by(Check.id)).all()
        assert [(check.outcome, check.failure_kind) for check in checks] == [
            (CheckOutcome.FAILED, FailureKind.PERMANENT),
            (CheckOutcome.NEW_VERSION, None),
            (CheckOutcome.FAILED, FailureKind.TRANSIENT),
            (CheckOutcome.FAILED, FailureKind.PERMANENT),
        ]
        assert all(type(check.failure_kind) in (FailureKind, type(None)) for check in checks)
        streak = recent_failures(
            session, document_id, session.get(Document, document_id).consecutive_failures
        )
        assert streak == [
            Failure("the selector '.policy' matched nothing on the page", FailureKind.PERMANENT),
            Failure("timed out fetching https://example.com/privacy", FailureKind.TRANSIENT),
        ]
        (failing,) = overview(session).failing
        assert (failing.platform_slug, failing.kind, failing.failures) == ("zeekr", "privacy_policy", 2)
        assert failing.last == streak[0]
    with session_scope(engine) as session:
        record_not_modified(session, session.get(Document, document_id), FACTS, T0 + timedelta(hours=5))
    with Session(engine) as session:
        assert overview(session).failing == []


def test_a_failure_recorded_before_kinds_were_stored_reads_as_none(engine, document_id):
    fail(engine, document_id, 1, "HTTP 503", FailureKind.TRANSIENT)
    with session_scope(engine) as session:
        session.exec(text("UPDATE checks SET failure_kind = NULL"))
    with Session(engine) as session:
        assert recent_failures(session, document_id) == [Failure("HTTP 503", None)]


def test_value_sets_are_plain_strings_in_the_database_and_enums_in_python(engine, document_id):
    with session_scope(engine) as session:
        document = session.get(Document, document_id)
        old = record_text(session, document, "政策 A", FACTS, T0).version
        changed = record_text(session, document, "政策 B", FACTS, T0 + timedelta(hours=1))
        session.add(
            Alert(
                check_id=changed.check.id,
                document_id=document_id,
                from_version_id=old.id,
                to_version_id=changed.version.id,
                severity=Severity.MAJOR,
                headlines={},
                messages={},
            )
        )
        session.add(Subscriber(chat_id=1, min_severity=Severity.MODERATE))
        session.add(Delivery(kind=DeliveryKind.ADMIN, chat_id=1, text="hello"))
    fail(engine, document_id, 2, "HTTP 503", FailureKind.TRANSIENT)
    with engine.connect() as connection:
        stored = connection.execute(text("SELECT outcome, failure_kind FROM checks ORDER BY id")).all()
        assert [tuple(row) for row in stored] == [
            ("new_version", None),
            ("new_version", None),
            ("failed", "transient"),
        ]
        assert tuple(connection.execute(text("SELECT kind, status FROM deliveries")).one()) == (
            "admin",
            "pending",
        )
        assert tuple(connection.execute(text("SELECT min_severity FROM subscribers")).one()) == ("moderate",)
        assert tuple(connection.execute(text("SELECT severity FROM alerts")).one()) == ("major",)
    with Session(engine) as session:
        delivery = session.exec(select(Delivery)).one()
        assert delivery.kind is DeliveryKind.ADMIN and delivery.status is DeliveryStatus.PENDING
        assert session.exec(select(Subscriber)).one().min_severity is Severity.MODERATE
        assert session.exec(select(Alert)).one().severity is Severity.MAJOR
        outcome, kind = session.exec(
            select(Check.outcome, Check.failure_kind).order_by(Check.id.desc())
        ).first()
        assert outcome is CheckOutcome.FAILED and kind is FailureKind.TRANSIENT
