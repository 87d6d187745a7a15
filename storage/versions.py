"""Recording what a check saw: versions are deduplicated by SHA-256, every attempt is a check row."""

import hashlib
from dataclasses import astuple, dataclass, fields
from datetime import date, datetime
from typing import Any, Self

from sqlmodel import Session, col, select

from storage.db import row_id
from storage.models import UNKNOWN_FINGERPRINT, Check, CheckOutcome, Document, FailureKind, Snapshot, Version


@dataclass(frozen=True)
class FetchFacts:
    """What the fetch itself looked like, for the check row."""

    url: str
    http_status: int | None = None
    bytes: int | None = None
    duration_ms: int | None = None


@dataclass(frozen=True)
class Provenance:
    """What a text was read from (a snapshot) and with what (the fingerprint of the rules and extractor)."""

    snapshot_id: int | None = None
    fingerprint: str = UNKNOWN_FINGERPRINT


@dataclass(frozen=True)
class Recorded:
    """The stored result of one check: its outcome, the version now in force and the one before."""

    check: Check
    version: Version | None
    previous: Version | None

    @property
    def outcome(self) -> CheckOutcome:
        return CheckOutcome(self.check.outcome)

    @property
    def is_baseline(self) -> bool:
        """The first version ever seen of the document: no change to report."""
        return self.outcome is CheckOutcome.NEW_VERSION and self.previous is None


@dataclass(frozen=True)
class ChangeSize:
    """How much a change changed from the version before it: what timelines and feeds show."""

    paragraphs_added: int
    paragraphs_deleted: int
    paragraphs_modified: int
    chars_inserted: int
    chars_deleted: int

    @classmethod
    def of(cls, figures: object) -> Self:
        """The same figures read from any object that has them (``analysis.diff.DiffStats``)."""
        return cls(*(getattr(figures, name) for name in SIZE_FIELDS))

    @classmethod
    def stored_in(cls, check: Check) -> Self | None:
        """The size a check recorded, or None (a baseline, no change, or recorded before it was measured)."""
        values = [getattr(check, name) for name in SIZE_FIELDS]
        return None if None in values else cls(*values)


SIZE_FIELDS = tuple(field.name for field in fields(ChangeSize))


def text_sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class ReadFrom:
    """The response a version was first read from, without its body: its bytes' SHA-256, type and charset."""

    sha256: str
    content_type: str | None
    charset: str | None


def version_in_force(session: Session, document_id: int) -> tuple[Version | None, ReadFrom | None]:
    """The version the latest successful check saw (reverts included), and what it was first read from
    (None when it has no snapshot: recorded before snapshots, or by hand)."""
    row = session.exec(
        select(Version, Snapshot.sha256, Snapshot.content_type, Snapshot.charset)
        .join(Check, col(Check.version_id) == col(Version.id))
        .outerjoin(Snapshot, col(Snapshot.id) == col(Version.snapshot_id))
        .where(Check.document_id == document_id)
        .order_by(col(Check.id).desc())
        .limit(1)
    ).first()
    if row is None:
        return None, None
    version, sha256, content_type, charset = row
    return version, ReadFrom(sha256, content_type, charset) if sha256 is not None else None


def current_version(session: Session, document_id: int) -> Version | None:
    """The version the latest successful check saw (reverts included)."""
    return version_in_force(session, document_id)[0]


def _add_check(
    session: Session,
    document: Document,
    outcome: CheckOutcome,
    facts: FetchFacts,
    now: datetime,
    **fields: Any,  # more columns of Check
) -> Check:
    check = Check(
        document_id=row_id(document),
        checked_at=now,
        url=facts.url,
        http_status=facts.http_status,
        bytes=facts.bytes,
        duration_ms=facts.duration_ms,
        outcome=outcome,
        **fields,
    )
    session.add(check)
    session.flush()
    return check


def _reset_streaks(document: Document) -> None:
    """A good check ends both the failure streak and any suspicious-text streak."""
    document.consecutive_failures = 0
    document.suspect_sha256, document.suspect_count = None, 0


def _find_or_add_version(
    session: Session,
    document: Document,
    text: str,
    now: datetime,
    stated: tuple[date | None, date | None],
    provenance: Provenance,
    in_force: Version | None,
    **flags: bool,
) -> tuple[Version, bool]:
    """The document's version of ``text`` (seen again now), or a new one; True when it is new.

    ``in_force``, the document's version in force, is taken without a query when it is that version.
    """
    sha256 = text_sha256(text)
    version = (
        in_force
        if in_force is not None and in_force.sha256 == sha256  # (document, sha256) is unique
        else session.exec(
            select(Version).where(Version.document_id == row_id(document), Version.sha256 == sha256)
        ).first()
    )
    if version is not None:
        version.last_seen_at = now
        return version, False
    version = Version(
        document_id=row_id(document),
        text=text,
        sha256=sha256,
        chars=len(text),
        first_seen_at=now,
        last_seen_at=now,
        stated_update_date=stated[0],
        stated_effective_date=stated[1],
        snapshot_id=provenance.snapshot_id,
        fingerprint=provenance.fingerprint,
        **flags,
    )
    session.add(version)
    session.flush()
    return version, True


def _size_fields(size: ChangeSize | None) -> dict[str, int]:
    return dict(zip(SIZE_FIELDS, astuple(size), strict=True)) if size else {}


def record_text(
    session: Session,
    document: Document,
    text: str,
    facts: FetchFacts,
    now: datetime,
    stated: tuple[date | None, date | None] = (None, None),
    *,
    is_large_change: bool = False,
    size: ChangeSize | None = None,
    provenance: Provenance = Provenance(),
) -> Recorded:
    """Store a successfully extracted text: a new version, a revert, or the same version seen again.

    ``size`` is the change's size from the version in force (``current_version``), measured by the caller;
    it is kept on the check when the text is a change (a new version after the first, or a revert).
    """
    previous = current_version(session, row_id(document))
    version, is_new = _find_or_add_version(
        session, document, text, now, stated, provenance, previous, is_large_change=is_large_change
    )
    if is_new:
        outcome = CheckOutcome.NEW_VERSION
    else:
        is_same = previous is not None and previous.id == version.id
        outcome = CheckOutcome.UNCHANGED if is_same else CheckOutcome.REVERTED
    _reset_streaks(document)
    is_change = outcome is not CheckOutcome.UNCHANGED and previous is not None
    sizes = _size_fields(size) if is_change else {}
    check = _add_check(
        session,
        document,
        outcome,
        facts,
        now,
        version_id=version.id,
        snapshot_id=provenance.snapshot_id,
        **sizes,
    )
    return Recorded(check, version, None if outcome is CheckOutcome.UNCHANGED else previous)


def record_technical(
    session: Session,
    document: Document,
    text: str,
    facts: FetchFacts,
    now: datetime,
    stated: tuple[date | None, date | None] = (None, None),
    *,
    size: ChangeSize | None = None,
    provenance: Provenance = Provenance(),
) -> Recorded:
    """Store the version in force as today's rules read it: a technical version, never a change.

    The caller has made sure ``text`` differs from the version in force; it may equal an older version
    (rules put back as they were), which is then in force again, technically.
    """
    previous = current_version(session, row_id(document))
    version, _ = _find_or_add_version(
        session, document, text, now, stated, provenance, previous, technical=True
    )
    _reset_streaks(document)
    check = _add_check(
        session,
        document,
        CheckOutcome.TECHNICAL,
        facts,
        now,
        version_id=version.id,
        snapshot_id=provenance.snapshot_id,
        **_size_fields(size),
    )
    return Recorded(check, version, previous)


def record_not_modified(session: Session, document: Document, facts: FetchFacts, now: datetime) -> Recorded:
    """The server answered 304: the version in force was seen again."""
    version = current_version(session, row_id(document))
    if version is not None:
        version.last_seen_at = now
    _reset_streaks(document)
    check = _add_check(
        session, document, CheckOutcome.NOT_MODIFIED, facts, now, version_id=version.id if version else None
    )
    return Recorded(check, version, None)


def record_failure(
    session: Session,
    document: Document,
    facts: FetchFacts,
    now: datetime,
    reason: str,
    *,
    kind: FailureKind,
    snapshot_id: int | None = None,
) -> Recorded:
    """A failed attempt, with why and what kind of failure: counted on the document, never a version.

    ``snapshot_id``: the response whose text was judged and refused, when there was one.
    """
    document.consecutive_failures += 1
    check = _add_check(
        session,
        document,
        CheckOutcome.FAILED,
        facts,
        now,
        error=reason,
        failure_kind=kind,
        snapshot_id=snapshot_id,
    )
    return Recorded(check, current_version(session, row_id(document)), None)


def suspect_streak(document: Document, text: str) -> int:
    """Count one more sighting of a suspicious text; returns how many checks in a row have seen it."""
    sha256 = text_sha256(text)
    if document.suspect_sha256 == sha256:
        document.suspect_count += 1
    else:
        document.suspect_sha256, document.suspect_count = sha256, 1
    return document.suspect_count


def versions_of(session: Session, document_id: int, *, technical: bool = True) -> list[Version]:
    """Every version of a document, oldest first; ``technical=False`` leaves out technical re-readings."""
    query = select(Version).where(Version.document_id == document_id)
    if not technical:
        query = query.where(~col(Version.technical))
    return list(session.exec(query.order_by(col(Version.first_seen_at), col(Version.id))))


def documents_of(session: Session, platform_id: int, *, include_retired: bool = True) -> list[Document]:
    """A platform's documents, the privacy policy first, then by kind.

    Retired documents (dropped from the catalog) are included by default: their history stays readable.
    """
    query = select(Document).where(Document.platform_id == platform_id)
    if not include_retired:
        query = query.where(col(Document.retired_at).is_(None))
    documents = session.exec(query).all()
    return sorted(documents, key=lambda document: (document.kind != "privacy_policy", document.kind))
