"""The HTML pages: home, platform history, compare, diff, a version (HTML and plain text).

Plain functions, run in worker threads by ``web.app.in_turn``: reads, diffs and rendering stay off the loop.
"""

from collections.abc import Mapping

from sqlmodel import Session
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response

from analysis.dates import DateInputError, parse_version_ref
from analysis.report import ChangeReport
from i18n import LANGUAGES, kind_name, say
from kinds import Severity
from storage.db import row_id
from storage.models import Document, Platform, Version
from storage.reports import Pair
from storage.search import platforms_matching
from storage.timeline import Change, CompareError, timeline, versions_to_compare
from web.diff_view import DiffView
from web.i18n import pick_language
from web.links import public_link
from web.previews import Preview, change_preview, glance, platform_name, version_title
from web.queries import (
    ChangeEntry,
    catalog_histories,
    change_entries,
    document_by_path,
    every_history,
    histories,
    newest_first,
    platform_by_slug,
    version_of,
)
from web.summaries import Summary

MAX_QUERY_CHARS = 100
MAX_ID_DIGITS = 10  # ids are 32-bit
COOKIE_SECONDS = 365 * 24 * 3600


def _session(request: Request) -> Session:
    return Session(request.app.state.engine)


def render(
    request: Request, template: str, context: Mapping[str, object], status_code: int = 200
) -> Response:
    """Render a page; ``?lang=`` switches the language and remembers it in a cookie."""
    response = request.app.state.templates.TemplateResponse(
        request, template, context, status_code=status_code
    )
    language = request.query_params.get("lang")
    if language in LANGUAGES:
        response.set_cookie("lang", language, max_age=COOKIE_SECONDS, samesite="lax")
    return response


HOME_CHANGES = 20  # changes listed on the home page
SCANNED = 300  # the latest changes a severity filter looks through
SEVERITIES = [severity.value for severity in reversed(Severity)]  # major first


def summarized(
    request: Request,
    session: Session,
    entries: list[ChangeEntry],
    language: str,
    severity: str = "",
    limit: int = 0,
) -> tuple[list[ChangeEntry], dict[Pair, Summary]]:
    """The first ``limit`` entries (all without one) of ``severity`` (any without one), with their summaries;
    summaries are made a page at a time, so a filter never summarizes more than it shows, or SCANNED."""
    summaries = request.app.state.summaries
    if not limit:
        return entries, summaries.of(session, [entry.pair for entry in entries], language)
    shown: list[ChangeEntry] = []
    found: dict[Pair, Summary] = {}
    for start in range(0, min(len(entries), SCANNED), limit):
        page = entries[start : start + limit]
        found.update(summaries.of(session, [entry.pair for entry in page], language))
        shown += [entry for entry in page if not severity or _severity_of(found, entry) == severity]
        if len(shown) >= limit:
            break
    return shown[:limit], found


def _severity_of(summaries: dict[Pair, Summary], entry: ChangeEntry) -> str | None:
    summary = summaries.get(entry.pair)
    return summary.severity.value if summary else None


def home(request: Request) -> Response:
    """The latest changes (filtered by severity and document kind), then the platforms (searched)."""
    params = request.query_params
    query = params.get("q", "").strip()[:MAX_QUERY_CHARS]
    severity = params.get("severity", "")
    severity = severity if severity in SEVERITIES else ""
    language = pick_language(request)
    with _session(request) as session:
        everything = every_history(session)
        kinds = sorted({history.document.kind for _, documents in everything for history in documents})
        kind = params.get("kind", "")
        kind = kind if kind in kinds else ""
        entries = [
            entry
            for entry in change_entries(catalog_histories(everything))
            if not kind or entry.document.kind == kind
        ]
        changes, summaries = summarized(request, session, entries, language, severity, HOME_CHANGES)
        matching = platforms_matching(session, query or None)
    by_id = {row_id(platform): documents for platform, documents in everything}
    context = {
        "changes": changes,
        "summaries": summaries,
        "platforms": [(platform, by_id.get(row_id(platform), [])) for platform in matching],
        "query": query,
        "severities": SEVERITIES,
        "severity": severity,
        "kinds": kinds,
        "kind": kind,
        "canonical": "/",
        "preview": Preview(say(language, "web.site"), say(language, "web.description_home")),
    }
    return render(request, "home.html", context)


def _platform_preview(
    found: Platform, entries: list[ChangeEntry], summaries: dict[Pair, Summary], language: str
) -> Preview:
    """The platform's name, and its latest change (``entries`` are newest first) at a glance."""
    name = platform_name(found, language)
    title = say(language, "web.platform_title", name=name)
    if not entries:
        return Preview(title, say(language, "web.description_platform", name=name))
    latest = entries[0]
    summary = summaries.get(latest.pair)
    description = say(
        language,
        "web.platform_latest",
        kind=kind_name(language, latest.document.kind),
        date=latest.change.at.strftime("%Y-%m-%d"),
        summary=glance(summary, language) if summary else "",
    )
    return Preview(title, description)


def platform(request: Request) -> Response:
    technical = request.query_params.get("technical") == "1"  # show "rules updated" re-readings too
    language = pick_language(request)
    with _session(request) as session:
        found = platform_by_slug(session, request.path_params["slug"])
        found_histories = histories(session, found, technical=technical)
        entries = change_entries([(found, found_histories)])
        entries = [entry for entry in entries if not entry.change.technical]
        _, summaries = summarized(request, session, entries, language)
    preview = _platform_preview(found, entries, summaries, language)
    context = {
        "platform": found,
        "documents": [(history, newest_first(history.changes)) for history in found_histories],
        "summaries": summaries,
        "technical": technical,
        "preview": preview,
        "description": preview.description,
    }
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
    context = {
        "platform": found,
        "document": document,
        "versions": versions,
        "error": error,
        "description": say(pick_language(request), "web.compare_intro"),
    }
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


def _summary(
    request: Request, pair: Pair, language: str, automatic: ChangeReport | None = None
) -> Summary | None:
    """One change's summary; ``automatic``, the diff page's own automatic report, spares making it again."""
    summaries = request.app.state.summaries
    if automatic is not None:
        summaries.remember(pair, language, Summary(automatic.severity, automatic.headline, True))
    with _session(request) as session:
        return summaries.of(session, [pair], language).get(pair)


def diff(request: Request) -> Response:
    if request.path_params["old"] > request.path_params["new"]:
        return _ordered_pair(request)
    with _session(request) as session:
        found, document = document_by_path(session, request.path_params["slug"], request.path_params["kind"])
        old = version_of(session, document, request.path_params["old"])
        new = version_of(session, document, request.path_params["new"])
    language = pick_language(request)
    view = request.app.state.diff_views.get(old, new, language)
    summary = _summary(request, (row_id(old), row_id(new)), language, view.automatic)
    preview = change_preview(found, document.kind, old, new, summary, language)
    context = {
        "report": _report(request, old, new, view, language),
        "platform": found,
        "document": document,
        "old": old,
        "new": new,
        "view": view,
        "preview": preview,
        "description": preview.description,
    }
    return render(request, "diff.html", context)


def version_story(request: Request, found: Platform, document: Document, shown: Version) -> dict[str, object]:
    """What the version page (``web.asking.version_page``) adds to the text: the change that brought the
    version (its headline and severity, or "rules updated") and the next one, and its link preview."""
    language = pick_language(request)
    with _session(request) as session:
        changes = timeline(session, row_id(document), texts=False, technical=True)
    index = next((i for i, change in enumerate(changes) if change.version.id == shown.id), None)
    came = changes[index] if index is not None and changes[index].previous is not None else None
    following = changes[index + 1] if index is not None and index + 1 < len(changes) else None
    came_summary = None
    if came is not None and came.previous is not None and not came.technical:
        came_summary = _summary(request, (row_id(came.previous), row_id(shown)), language)
    description = (
        glance(came_summary, language)
        if came_summary
        else say(language, "web.description_version", name=platform_name(found, language))
    )
    return {
        "came": came,
        "came_summary": came_summary,
        "following": following,
        "preview": Preview(version_title(found, document.kind, shown, language), description),
        "description": description,
    }


def version_text(request: Request) -> Response:
    with _session(request) as session:
        _platform, document = document_by_path(
            session, request.path_params["slug"], request.path_params["kind"]
        )
        found = version_of(session, document, request.path_params["version"])
    return PlainTextResponse(found.text + "\n")
