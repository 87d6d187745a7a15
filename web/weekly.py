"""The weekly page: a week's changes by severity, like the digest the bot sends, with the weeks around it.

``/weekly/2025-W48`` is a permalink; ``/weekly`` is the current week (its canonical link names it). The
week's changes are those recorded from Monday 00:00 to the next Monday 00:00 UTC, every platform's, as
the timelines hold them.
"""

from sqlmodel import Session
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from i18n import say
from kinds import Severity
from storage.models import utcnow
from web.i18n import pick_language
from web.links import public_link
from web.pages import render, summarized
from web.previews import Preview
from web.queries import ChangeEntry, catalog_histories, change_entries, every_history
from web.weeks import FIRST_YEAR, Week, WeekError


def _problem(request: Request, language: str, problem: WeekError) -> Response:
    """400 for a text that is not shaped like a week, 404 for a week that does not exist."""
    values = {"text": request.path_params["week"][:40], **problem.values}
    message = say(language, f"web.week_{problem.code}", **values)
    return _error(request, message, 400 if problem.malformed else 404)


def _error(request: Request, message: str, status_code: int) -> Response:
    context = {"message": message, "description": message, "weeks": True}
    return render(request, "error.html", context, status_code=status_code)


def weekly(request: Request) -> Response:
    language = pick_language(request)
    current = Week.of(utcnow())
    asked = request.path_params.get("week")
    if asked is None:
        week = current
    else:
        try:
            week = Week.parse(asked)
        except WeekError as problem:
            return _problem(request, language, problem)
        if week > current:
            message = say(language, "web.week_future", week=week.canonical)
            return _error(request, message, 404)
        if asked != week.canonical:  # 2025-w48, 2025-W8: one permalink per week
            return RedirectResponse(public_link(request, "weekly", week=week.canonical), status_code=308)
    with Session(request.app.state.engine) as session:
        entries, summaries = summarized(
            request,
            session,
            change_entries(catalog_histories(every_history(session)), week.start, week.end),
            language,
        )
    by_severity: dict[Severity, list[ChangeEntry]] = {}
    for entry in entries:
        found = summaries.get(entry.pair)
        by_severity.setdefault(found.severity if found else Severity.NONE, []).append(entry)
    groups = [(severity, by_severity[severity]) for severity in reversed(Severity) if severity in by_severity]
    heading = say(language, "web.weekly_title", year=week.year, week=week.number)
    description = say(
        language, "web.description_weekly", count=len(entries), year=week.year, week=week.number
    )
    previous = week.previous()
    context = {
        "week": week,
        "heading": heading,
        "groups": groups,
        "count": len(entries),
        "summaries": summaries,
        "previous": previous if previous.year >= FIRST_YEAR else None,
        "next": week.next() if week < current else None,
        "canonical": f"/weekly/{week.canonical}",
        "preview": Preview(heading, description),
        "description": description,
    }
    return render(request, "weekly.html", context)
