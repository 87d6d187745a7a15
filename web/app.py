"""The Starlette app: pages rendered with jinja2, in Chinese and English, escaping every policy text."""

from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from jinja2 import Environment, FileSystemLoader, select_autoescape
from sqlalchemy import Engine
from sqlmodel import Session
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.templating import Jinja2Templates

from analysis.report import ChangeReport
from storage.models import Version, utcnow
from storage.stats import last_check_at
from web import feeds, pages
from web.i18n import kind_namer, pick_language, translator
from web.metrics import metrics
from web.queries import NotFound

TEMPLATES = Path(__file__).resolve().parent / "templates"


@dataclass(frozen=True)
class WebConfig:
    """What the pages need to know about where they are served."""

    public_url: str = "http://localhost:8080"


def make_templates() -> Jinja2Templates:
    environment = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(["html", "xml"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    return Jinja2Templates(env=environment, context_processors=[_language_context])


def _language_context(request: Request) -> dict[str, object]:
    language = pick_language(request)
    return {
        "lang": language,
        "t": translator(language),
        "kind_name": kind_namer(language),
        "other_lang": "en" if language == "zh" else "zh",
    }


async def healthz(request: Request) -> Response:
    """Database reachability and the age of the last check, for load balancers and Docker."""
    try:
        with Session(request.app.state.engine) as session:
            checked_at = last_check_at(session)
    except Exception as error:  # any database failure means unhealthy
        return JSONResponse({"status": "error", "database": str(error)[:200]}, status_code=503)
    age = round((utcnow() - checked_at).total_seconds()) if checked_at else None
    return JSONResponse({"status": "ok", "database": "ok", "last_check_age_seconds": age})


async def not_found_page(request: Request, _exc: Exception) -> Response:
    """A 404 that helps: a search box and a way home (unknown route, platform, document or version)."""
    return request.app.state.templates.TemplateResponse(request, "404.html", status_code=404)


async def error_page(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)  # registered for HTTPException only
    templates = request.app.state.templates
    return templates.TemplateResponse(
        request, "error.html", {"message": exc.detail}, status_code=exc.status_code
    )


class ReportSource(Protocol):
    """Where the diff page gets the change report (bot/reports.py); the web app only renders it."""

    async def report_for(self, old: Version, new: Version, language: str | None = None) -> ChangeReport: ...


def create_app(
    engine: Engine, config: WebConfig | None = None, reports: ReportSource | None = None
) -> Starlette:
    """The web app over ``engine``; without ``reports`` the diff page has no report block."""
    routes = [
        Route("/", pages.home, name="home"),
        Route("/healthz", healthz, name="healthz"),
        Route("/metrics", metrics, name="metrics"),
        Route("/feeds/all.atom", feeds.all_changes, name="feed_all"),
        Route("/p/{slug}", pages.platform, name="platform"),
        Route("/p/{slug}/feed.atom", feeds.platform_changes, name="feed_platform"),
        Route("/p/{slug}/{kind}/compare", pages.compare, name="compare"),
        Route("/p/{slug}/{kind}/diff/{old:int}..{new:int}", pages.diff, name="diff"),
        Route("/p/{slug}/{kind}/v/{version:int}.txt", pages.version_text, name="version_text"),
    ]
    app = Starlette(
        routes=routes,
        exception_handlers={404: not_found_page, NotFound: not_found_page, HTTPException: error_page},
    )
    app.state.engine = engine
    app.state.config = config or WebConfig()
    app.state.templates = make_templates()
    app.state.reports = reports
    return app
