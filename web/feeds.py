"""Atom feeds of changes: all platforms, or one; each change's size as stored when it was recorded."""

from datetime import UTC, datetime

from sqlmodel import Session
from starlette.requests import Request
from starlette.responses import Response

from web.links import path_for_route
from web.queries import (
    ChangeEntry,
    catalog_histories,
    change_entries,
    every_history,
    histories,
    platform_by_slug,
)

MAX_ENTRIES = 50


def _feed(request: Request, title: str, entries: list[ChangeEntry], alternate: str) -> Response:
    """The feed of ``entries``; ``alternate`` is the path of the page listing the same changes."""
    entries = entries[:MAX_ENTRIES]
    updated = entries[0].change.at if entries else datetime(2025, 1, 1, tzinfo=UTC)
    return request.app.state.templates.TemplateResponse(
        request,
        "feed.xml",
        {"title": title, "entries": entries, "updated": updated, "alternate": alternate},
        media_type="application/atom+xml",
    )


def all_changes(request: Request) -> Response:
    with Session(request.app.state.engine) as session:
        entries = change_entries(catalog_histories(every_history(session)))
    return _feed(request, "PolicyWatch", entries, path_for_route(request, "home"))


def platform_changes(request: Request) -> Response:
    with Session(request.app.state.engine) as session:
        platform = platform_by_slug(session, request.path_params["slug"])
        entries = change_entries([(platform, histories(session, platform))])
    title = f"PolicyWatch: {platform.name_zh} / {platform.name_en}"
    return _feed(request, title, entries, path_for_route(request, "platform", slug=platform.slug))
