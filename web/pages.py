"""The HTML pages: home, platform history, compare, diff, and a version's plain text."""

from sqlmodel import Session
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response

from analysis.dates import DateInputError, parse_version_ref
from analysis.diff import build_diff
from storage.timeline import Change, CompareError, timeline, versions_to_compare
from web.diff_table import render_diff_table
from web.i18n import LANGUAGES
from web.queries import (
    document_by_path,
    histories,
    platform_by_slug,
    platforms_for_home,
    timeline_entries,
    version_of,
)

MAX_QUERY_CHARS = 100
COOKIE_SECONDS = 365 * 24 * 3600


def _session(request: Request) -> Session:
    return Session(request.app.state.engine)


def render(request: Request, template: str, context: dict, status_code: int = 200) -> Response:
    """Render a page; ``?lang=`` switches the language and remembers it in a cookie."""
    response = request.app.state.templates.TemplateResponse(
        request, template, context, status_code=status_code
    )
    language = request.query_params.get("lang")
    if language in LANGUAGES:
        response.set_cookie("lang", language, max_age=COOKIE_SECONDS, samesite="lax")
    return response


async def home(request: Request) -> Response:
    query = request.query_params.get("q", "").strip()[:MAX_QUERY_CHARS]
    with _session(request) as session:
        platforms = platforms_for_home(session, query or None)
    return render(request, "home.html", {"platforms": platforms, "query": query})


async def platform(request: Request) -> Response:
    with _session(request) as session:
        found = platform_by_slug(session, request.path_params["slug"])
        documents = [(history, timeline_entries(history.changes)) for history in histories(session, found)]
    return render(request, "platform.html", {"platform": found, "documents": documents})


def _compare_target(request: Request, changes: list[Change]) -> str | None:
    """The diff URL the compare form asks for, or None when it asks for nothing yet."""
    params = request.query_params
    slug, kind = request.path_params["slug"], request.path_params["kind"]
    if params.get("from") and params.get("to"):
        if not (params["from"].isdigit() and params["to"].isdigit()):
            raise CompareError("pick two versions from the lists")
        old_id, new_id = int(params["from"]), int(params["to"])
        if old_id == new_id:
            raise CompareError("pick two different versions")
        return str(
            request.url_for("diff", slug=slug, kind=kind, old=min(old_id, new_id), new=max(old_id, new_id))
        )
    if params.get("date1"):
        second = params.get("date2") or "latest"
        old, new = versions_to_compare(
            changes,
            parse_version_ref(params["date1"][:MAX_QUERY_CHARS]),
            parse_version_ref(second[:MAX_QUERY_CHARS]),
        )
        return str(request.url_for("diff", slug=slug, kind=kind, old=old.id, new=new.id))
    return None


async def compare(request: Request) -> Response:
    with _session(request) as session:
        found, document = document_by_path(session, request.path_params["slug"], request.path_params["kind"])
        changes = timeline(session, document.id)
        error = None
        try:
            target = _compare_target(request, changes)
        except (CompareError, DateInputError) as problem:
            target, error = None, str(problem)
        if target:
            return RedirectResponse(target, status_code=303)
        versions = sorted(
            {change.version.id: change.version for change in changes}.values(), key=lambda v: v.id
        )
    context = {"platform": found, "document": document, "versions": versions, "error": error}
    return render(request, "compare.html", context, status_code=400 if error else 200)


async def diff(request: Request) -> Response:
    with _session(request) as session:
        found, document = document_by_path(session, request.path_params["slug"], request.path_params["kind"])
        old = version_of(session, document, request.path_params["old"])
        new = version_of(session, document, request.path_params["new"])
    changes = build_diff(old.text, new.text)
    reports = request.app.state.reports
    context = {
        "report": await reports.report_for(old, new) if reports else None,
        "platform": found,
        "document": document,
        "old": old,
        "new": new,
        "diff": changes,
        "render_table": render_diff_table,
    }
    return render(request, "diff.html", context)


async def version_text(request: Request) -> Response:
    with _session(request) as session:
        _platform, document = document_by_path(
            session, request.path_params["slug"], request.path_params["kind"]
        )
        version = version_of(session, document, request.path_params["version"])
    return PlainTextResponse(version.text + "\n")
