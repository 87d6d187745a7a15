"""The HTML pages: home, platform history, compare, diff, and a version's plain text.

Plain functions, run in worker threads by ``web.app.in_turn``: reads, diffs and rendering stay off the loop.
"""

from sqlmodel import Session
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response

from analysis.dates import DateInputError, parse_version_ref
from analysis.report import ChangeReport
from i18n import LANGUAGES
from storage.db import row_id
from storage.models import Version
from storage.timeline import Change, CompareError, timeline, versions_to_compare
from web.diff_view import DiffView
from web.i18n import pick_language
from web.links import public_link
from web.queries import (
    document_by_path,
    histories,
    newest_first,
    platform_by_slug,
    platforms_for_home,
    version_of,
)

MAX_QUERY_CHARS = 100
MAX_ID_DIGITS = 10  # ids are 32-bit
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


def home(request: Request) -> Response:
    query = request.query_params.get("q", "").strip()[:MAX_QUERY_CHARS]
    with _session(request) as session:
        platforms = platforms_for_home(session, query or None)
    return render(request, "home.html", {"platforms": platforms, "query": query})


def platform(request: Request) -> Response:
    technical = request.query_params.get("technical") == "1"  # show "rules updated" re-readings too
    with _session(request) as session:
        found = platform_by_slug(session, request.path_params["slug"])
        documents = [
            (history, newest_first(history.changes))
            for history in histories(session, found, technical=technical)
        ]
    context = {"platform": found, "documents": documents, "technical": technical}
    return render(request, "platform.html", context)


def _version_id(value: str) -> int:
    """A version id picked in the form: ASCII digits only (``²`` and ``٢`` are digits to ``str.isdigit``)."""
    if not (value.isascii() and value.isdigit() and len(value) <= MAX_ID_DIGITS):
        raise CompareError("pick two versions from the lists")
    return int(value)


def _compare_target(request: Request, changes: list[Change]) -> str | None:
    """The diff URL the compare form asks for, or None when it asks for nothing yet."""
    params = request.query_params
    slug, kind = request.path_params["slug"], request.path_params["kind"]
    if params.get("from") and params.get("to"):
        old_id, new_id = _version_id(params["from"]), _version_id(params["to"])
        if old_id == new_id:
            raise CompareError("pick two different versions")
        return public_link(
            request, "diff", slug=slug, kind=kind, old=min(old_id, new_id), new=max(old_id, new_id)
        )
    if params.get("date1"):
        second = params.get("date2") or "latest"
        old, new = versions_to_compare(
            changes,
            parse_version_ref(params["date1"][:MAX_QUERY_CHARS]),
            parse_version_ref(second[:MAX_QUERY_CHARS]),
        )
        return public_link(request, "diff", slug=slug, kind=kind, old=old.id, new=new.id)
    return None


def compare(request: Request) -> Response:
    with _session(request) as session:
        found, document = document_by_path(session, request.path_params["slug"], request.path_params["kind"])
        changes = timeline(session, row_id(document), texts=False)
    error = None
    try:
        target = _compare_target(request, changes)
    except (CompareError, DateInputError) as problem:
        target, error = None, str(problem)
    if target:
        return RedirectResponse(target, status_code=303)
    versions = sorted({change.version.id: change.version for change in changes}.values(), key=row_id)
    context = {"platform": found, "document": document, "versions": versions, "error": error}
    return render(request, "compare.html", context, status_code=400 if error else 200)


def _ordered_pair(request: Request) -> Response:
    """A reversed pair (``B..A``) is the same comparison as ``A..B``: one permalink, one page."""
    params = request.path_params
    target = public_link(
        request,
        "diff",
        query=request.url.query,
        slug=params["slug"],
        kind=params["kind"],
        old=params["new"],
        new=params["old"],
    )
    return RedirectResponse(target, status_code=308)


def _report(
    request: Request, old: Version, new: Version, view: DiffView, language: str
) -> ChangeReport | None:
    """A stored report of the pair, else the automatic one; never a new model call."""
    reports = request.app.state.reports
    if reports is None:
        return None
    stored = reports.stored_report(old, new, (language, view.document_language))
    return stored or view.automatic


def diff(request: Request) -> Response:
    if request.path_params["old"] > request.path_params["new"]:
        return _ordered_pair(request)
    with _session(request) as session:
        found, document = document_by_path(session, request.path_params["slug"], request.path_params["kind"])
        old = version_of(session, document, request.path_params["old"])
        new = version_of(session, document, request.path_params["new"])
    language = pick_language(request)
    view = request.app.state.diff_views.get(old, new, language)
    context = {
        "report": _report(request, old, new, view, language),
        "platform": found,
        "document": document,
        "old": old,
        "new": new,
        "view": view,
    }
    return render(request, "diff.html", context)


def version_text(request: Request) -> Response:
    with _session(request) as session:
        _platform, document = document_by_path(
            session, request.path_params["slug"], request.path_params["kind"]
        )
        version = version_of(session, document, request.path_params["version"])
    return PlainTextResponse(version.text + "\n")
