"""What the pages show, read from storage in one place."""

from dataclasses import dataclass

from sqlmodel import Session, col, select

from analysis.diff import DiffStats, build_diff
from storage.models import Document, Platform, Version
from storage.search import platforms_matching
from storage.timeline import Change, timeline


class NotFound(LookupError):
    """No such platform, document or version."""


@dataclass(frozen=True)
class DocumentHistory:
    document: Document
    changes: list[Change]

    @property
    def last_change(self) -> Change | None:
        """The latest change that is not the baseline."""
        return self.changes[-1] if len(self.changes) > 1 else None


@dataclass(frozen=True)
class TimelineEntry:
    change: Change
    stats: DiffStats | None  # None for the first version


def platforms_for_home(session: Session, query: str | None) -> list[tuple[Platform, list[DocumentHistory]]]:
    """Active platforms (or those matching ``query``) with their documents' histories."""
    platforms = platforms_matching(session, query)
    return [(platform, histories(session, platform)) for platform in platforms]


def histories(session: Session, platform: Platform) -> list[DocumentHistory]:
    documents = session.exec(
        select(Document).where(Document.platform_id == platform.id).order_by(col(Document.kind))
    ).all()
    return [DocumentHistory(document, timeline(session, document.id)) for document in documents]


def platform_by_slug(session: Session, slug: str) -> Platform:
    platform = session.exec(select(Platform).where(Platform.slug == slug)).first()
    if platform is None:
        raise NotFound(slug)
    return platform


def document_of(session: Session, platform: Platform, kind: str) -> Document:
    document = session.exec(
        select(Document).where(Document.platform_id == platform.id, Document.kind == kind)
    ).first()
    if document is None:
        raise NotFound(kind)
    return document


def document_by_path(session: Session, slug: str, kind: str) -> tuple[Platform, Document]:
    """The platform and document a URL names."""
    platform = platform_by_slug(session, slug)
    return platform, document_of(session, platform, kind)


MAX_ID = 2**31 - 1  # ids are 32-bit integers in PostgreSQL: a larger one in a URL is simply unknown


def version_of(session: Session, document: Document, version_id: int) -> Version:
    version = session.get(Version, version_id) if 0 < version_id <= MAX_ID else None
    if version is None or version.document_id != document.id:
        raise NotFound(str(version_id))
    return version


def timeline_entries(changes: list[Change]) -> list[TimelineEntry]:
    """Each change with the size of its diff from the version before, newest first."""
    entries = [
        TimelineEntry(
            change, build_diff(change.previous.text, change.version.text).stats if change.previous else None
        )
        for change in changes
    ]
    return entries[::-1]
