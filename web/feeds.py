"""Atom feeds of changes: all platforms, or one; each change's size as stored when it was recorded."""

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlmodel import Session, col, select
from starlette.requests import Request
from starlette.responses import Response

from storage.db import row_id
from storage.models import Document, Platform
from storage.timeline import Change, timeline
from storage.versions import documents_of
from web.queries import platform_by_slug

MAX_ENTRIES = 50


@dataclass(frozen=True)
class FeedEntry:
    platform: Platform
    document: Document
    change: Change


def _changes(session: Session, platform: Platform, document: Document) -> list[FeedEntry]:
    """A document's changes (its baseline is not one), as feed entries."""
    changes = timeline(session, row_id(document), texts=False)
    return [FeedEntry(platform, document, change) for change in changes if change.previous]


def _entries(session: Session, platforms: list[Platform]) -> list[FeedEntry]:
    """The latest changes of ``platforms``' documents, newest first."""
    documents = [
        (platform, document) for platform in platforms for document in documents_of(session, row_id(platform))
    ]
    entries = [entry for platform, document in documents for entry in _changes(session, platform, document)]
    entries.sort(key=lambda entry: entry.change.at, reverse=True)
    return entries[:MAX_ENTRIES]


def _feed(request: Request, title: str, entries: list[FeedEntry]) -> Response:
    updated = entries[0].change.at if entries else datetime(2025, 1, 1, tzinfo=UTC)
    return request.app.state.templates.TemplateResponse(
        request,
        "feed.xml",
        {"title": title, "entries": entries, "updated": updated},
        media_type="application/atom+xml",
    )


def all_changes(request: Request) -> Response:
    with Session(request.app.state.engine) as session:
        platforms = list(session.exec(select(Platform).order_by(col(Platform.slug))))
        entries = _entries(session, platforms)
    return _feed(request, "PolicyWatch", entries)


def platform_changes(request: Request) -> Response:
    with Session(request.app.state.engine) as session:
        platform = platform_by_slug(session, request.path_params["slug"])
        entries = _entries(session, [platform])
    return _feed(request, f"PolicyWatch: {platform.name_zh} / {platform.name_en}", entries)
