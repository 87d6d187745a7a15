"""What the pages show, read from storage in one place."""

import re
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, select

from storage.db import row_id
from storage.models import Document, Platform, Version
from storage.timeline import Change, timeline
from storage.versions import documents_of


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


PlatformHistories = list[tuple[Platform, list[DocumentHistory]]]


def every_history(session: Session) -> PlatformHistories:
    """Every platform, retired ones included (their changes happened), with its documents' histories."""
    platforms = session.exec(select(Platform).order_by(col(Platform.slug)))
    return [(platform, histories(session, platform)) for platform in platforms]


def catalog_histories(platforms: PlatformHistories) -> PlatformHistories:
    """The histories without the documents people added with /track: what lists of every platform's
    changes show (home, /weekly, the feed of all, inline mode); a platform's own page still shows them."""
    return [
        (platform, [history for history in documents if not history.document.added_by_users])
        for platform, documents in platforms
    ]


@dataclass(frozen=True)
class ChangeEntry:
    """A change (never a baseline) with the platform and document it belongs to."""

    platform: Platform
    document: Document
    change: Change

    @property
    def previous(self) -> Version:
        assert self.change.previous is not None  # change_entries leaves baselines out
        return self.change.previous

    @property
    def pair(self) -> tuple[int, int]:
        """(old version id, new version id): the diff's and the report's key."""
        return row_id(self.previous), row_id(self.change.version)


def change_entries(
    platforms: PlatformHistories, start: datetime | None = None, end: datetime | None = None
) -> list[ChangeEntry]:
    """The changes of these histories (``start <= at < end`` when given), newest first."""
    entries = [
        ChangeEntry(platform, history.document, change)
        for platform, documents in platforms
        for history in documents
        for change in history.changes
        if change.previous is not None
        and (start is None or change.at >= start)
        and (end is None or change.at < end)
    ]
    entries.sort(key=lambda entry: (entry.change.at, row_id(entry.change.version)), reverse=True)
    return entries


def histories(session: Session, platform: Platform, *, technical: bool = False) -> list[DocumentHistory]:
    """Each document's timeline; technical re-readings ("rules updated") only when asked for."""
    return [
        DocumentHistory(document, timeline(session, row_id(document), texts=False, technical=technical))
        for document in documents_of(session, row_id(platform))
    ]


# What a slug or a document kind can be (the catalog's rules, loosened): anything else is not asked for.
_NAME = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}")


def _known_shape(name: str) -> str:
    """``name`` when it could be a slug or a kind; else NotFound (PostgreSQL refuses NUL in text)."""
    if not _NAME.fullmatch(name):
        raise NotFound(name)
    return name


def platform_by_slug(session: Session, slug: str) -> Platform:
    platform = session.exec(select(Platform).where(Platform.slug == _known_shape(slug))).first()
    if platform is None:
        raise NotFound(slug)
    return platform


def document_of(session: Session, platform: Platform, kind: str) -> Document:
    document = session.exec(
        select(Document).where(Document.platform_id == platform.id, Document.kind == _known_shape(kind))
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


def newest_first(changes: list[Change]) -> list[Change]:
    """A timeline to show: the latest change on top."""
    return changes[::-1]
