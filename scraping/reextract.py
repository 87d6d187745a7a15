"""Re-reading stored snapshots with today's rules (OTA's refilter): how the history would read, and the
version in force recorded again as a technical version where today's rules read it differently."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, select

from analysis.dates import stated_dates
from analysis.diff import build_diff
from scraping.check import Target
from scraping.errors import ExtractError
from scraping.rules import Rules, reread, reread_version
from storage.db import row_id
from storage.models import Check, Document, Snapshot, Version
from storage.snapshots import raw_response
from storage.versions import (
    ChangeSize,
    FetchFacts,
    Provenance,
    current_version,
    record_technical,
    text_sha256,
    versions_of,
)


@dataclass(frozen=True)
class Reading:
    """What today's rules make of one version's stored responses."""

    version_id: int
    first_seen_at: datetime
    technical: bool
    sha256: str  # of the version's own text
    snapshots: int = 0
    texts: frozenset[str] = frozenset()  # SHA-256 of each distinct text read today
    unreadable: int = 0  # responses today's rules cannot read at all

    @property
    def status(self) -> str:
        """``no snapshot``, ``unreadable``, ``split``, ``same`` (reads as it did) or ``different``."""
        if not self.snapshots:
            return "no snapshot"
        if not self.texts:
            return "unreadable"
        if len(self.texts) > 1:
            return "split"
        return "same" if self.sha256 in self.texts else "different"


@dataclass(frozen=True)
class Plan:
    """A document's history as today's rules would read it, and what re-extraction would record."""

    target: Target
    readings: list[Reading]
    merges: dict[int, int]  # version id -> the earlier version today's rules read exactly alike
    current_id: int | None = None
    current_text: str | None = None
    reread_text: str | None = None  # the version in force as read today from its latest snapshot
    reread_snapshot_id: int | None = None

    @property
    def would_record(self) -> bool:
        """Today's rules read the version in force differently: a technical version would be recorded."""
        return self.reread_text is not None and self.reread_text != self.current_text


def _snapshots_of(session: Session, version: Version) -> list[Snapshot]:
    """Every stored response that read as ``version``: its own and those of the checks that saw it."""
    seen = select(Check.snapshot_id).where(
        Check.document_id == version.document_id,
        Check.version_id == version.id,
        col(Check.snapshot_id).is_not(None),
    )
    ids = set(session.exec(seen)) | ({version.snapshot_id} if version.snapshot_id else set())
    return list(session.exec(select(Snapshot).where(col(Snapshot.id).in_(ids)).order_by(col(Snapshot.id))))


def _read_version(session: Session, version: Version, rules: Rules) -> Reading:
    texts, unreadable = set(), 0
    snapshots = _snapshots_of(session, version)
    for snapshot in snapshots:
        try:
            texts.add(text_sha256(reread(raw_response(session, snapshot), rules)))
        except ExtractError:
            unreadable += 1
    return Reading(
        row_id(version),
        version.first_seen_at,
        version.technical,
        version.sha256,
        len(snapshots),
        frozenset(texts),
        unreadable,
    )


def _merges(readings: list[Reading]) -> dict[int, int]:
    """Versions that today's rules read exactly like an earlier one."""
    first_with: dict[str, int] = {}
    merges = {}
    for reading in readings:
        if len(reading.texts) != 1:
            continue
        (text,) = reading.texts
        if text in first_with:
            merges[reading.version_id] = first_with[text]
        else:
            first_with[text] = reading.version_id
    return merges


def plan_reextraction(session: Session, target: Target) -> Plan:
    """Re-read every stored response of a document with today's rules; changes nothing."""
    rules = Rules.of(target.options)
    versions = versions_of(session, target.document_id)
    readings = [_read_version(session, version, rules) for version in versions]
    current = current_version(session, target.document_id)
    reread_text = snapshot_id = None
    if current is not None:
        try:
            stored = reread_version(session, current, rules)
        except ExtractError:
            stored = None
        if stored is not None:
            reread_text, snapshot_id = stored
    return Plan(
        target,
        readings,
        _merges(readings),
        current.id if current else None,
        current.text if current else None,
        reread_text,
        snapshot_id,
    )


def record_reextraction(session: Session, plan: Plan, clock: Callable[[], datetime]) -> int | None:
    """Record the version in force as today's rules read it, when they read it differently; its id."""
    if not plan.would_record or plan.reread_text is None or plan.current_text is None:
        return None
    document = session.get(Document, plan.target.document_id)
    if document is None:
        return None
    snapshot = session.get(Snapshot, plan.reread_snapshot_id)
    recorded = record_technical(
        session,
        document,
        plan.reread_text,
        FetchFacts(snapshot.url if snapshot else document.url),
        clock(),
        stated_dates(plan.reread_text),
        size=ChangeSize.of(build_diff(plan.current_text, plan.reread_text).stats),
        provenance=Provenance(plan.reread_snapshot_id, Rules.of(plan.target.options).fingerprint),
    )
    return recorded.check.version_id
