"""The Starlette app: pages rendered with jinja2, in Chinese and English, escaping every policy text.

Every endpoint that reads the database or diffs is a plain function run in a worker thread, so the event
loop shared with the bot, the checks and the sender never waits on a page.
"""

import asyncio
import functools
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Protocol

from jinja2 import Environment, FileSystemLoader, select_autoescape
from sqlalchemy import Engine
from sqlmodel import Session
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates

from analysis.report import ChangeReport
from i18n import kind_namer, say, translator
from storage.inbox import MAX_PENDING
from storage.models import Version, utcnow
from storage.stats import last_check_at
from web import asking, feeds, pages, webhook, weekly
from web.diff_view import DIFF_CACHE_CHARS, DiffViews
from web.i18n import pick_language
from web.links import path_for, public_base
from web.metrics import metrics
from web.queries import NotFound
from web.security import SecurityHeaders
from web.summaries import Summaries
from web.when import how_long_ago

TEMPLATES = Path(__file__).resolve().parent / "templates"
STATIC = Path(__file__).resolve().parent / "static"

log = logging.getLogger(__name__)

# Pages worked on at once. Python runs one thread at a time (the GIL): more threads diffing and rendering
# only take turns, and each turn makes /healthz, the bot and the sender wait longer for theirs.
PAGE_SLOTS = 2


@dataclass(frozen=True)
class WebConfig:
    """What the pages need to know about where they are served."""

    public_url: str = "http://localhost:8080"  # the base of every absolute link and redirect
    metrics_token: str | None = None  # METRICS_TOKEN: /metrics for others than loopback clients
    diff_cache_chars: int = DIFF_CACHE_CHARS  # rendered diff tables kept, in characters (0: none)
    webhook_path: str | None = None  # the path of WEBHOOK_URL: Telegram posts updates there
    webhook_secret: str | None = None  # WEBHOOK_SECRET: the header those posts carry
    webhook_max_pending: int = MAX_PENDING  # updates waiting for the worker before posts get 503


class ReportSource(Protocol):
    """Stored change reports (``alerts.reports.ReportService``); the web never asks for a new one."""

    def stored_report(self, old: Version, new: Version, languages: Sequence[str]) -> ChangeReport | None:
        """The stored report of ``old`` → ``new``, a model's first, then in the order of ``languages``."""
        ...


def make_templates() -> Jinja2Templates:
    environment = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(["html", "xml"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.globals["url_for"] = path_for
    return Jinja2Templates(env=environment, context_processors=[_page_context])


def _page_context(request: Request) -> dict[str, object]:
    language = pick_language(request)
    now = utcnow()

    def ago(moment: datetime) -> str:
        """ "3 天前", "3 days ago"."""
        unit, count = how_long_ago(moment, now)
        return say(language, f"web.ago_{unit}", count=count)

    return {
        "lang": language,
        "t": translator(language),
        "kind_name": kind_namer(language),
        "other_lang": "en" if language == "zh" else "zh",
        "public_url": public_base(request),
        "ago": ago,
    }


FAVICON = (STATIC / "favicon.svg").read_bytes()
ROBOTS = "User-agent: *\nAllow: /\n"
DAY_SECONDS = 86400


def favicon(_request: Request) -> Response:
    """The site's icon, at /favicon.svg (what pages link to) and /favicon.ico (what browsers try alone)."""
    return Response(
        FAVICON, media_type="image/svg+xml", headers={"cache-control": f"public, max-age={DAY_SECONDS}"}
    )


def robots(_request: Request) -> Response:
    return PlainTextResponse(ROBOTS)


def healthz(request: Request) -> Response:
    """Database reachability and the age of the last check, for load balancers and Docker."""
    try:
        with Session(request.app.state.engine) as session:
            checked_at = last_check_at(session)
    except Exception as error:  # any database failure means unhealthy; its details stay in the log
        log.warning("health check: the database is unavailable: %s", error)
        return JSONResponse({"status": "error", "database": "database unavailable"}, status_code=503)
    age = round((utcnow() - checked_at).total_seconds()) if checked_at else None
    return JSONResponse({"status": "ok", "database": "ok", "last_check_age_seconds": age})


async def not_found_page(request: Request, _exc: Exception) -> Response:
    """A 404 that helps: a search box and a way home (unknown route, platform, document or version)."""
    return request.app.state.templates.TemplateResponse(request, "404.html", status_code=404)


async def error_page(request: Request, exc: Exception) -> Response:
    """Other HTTP errors, with their headers (``Allow`` on a 405)."""
    assert isinstance(exc, HTTPException)  # registered for HTTPException only
    return request.app.state.templates.TemplateResponse(
        request, "error.html", {"message": exc.detail}, status_code=exc.status_code, headers=exc.headers
    )


def in_turn(endpoint: Callable[[Request], Response]) -> Callable[[Request], Awaitable[Response]]:
    """A page in a worker thread, PAGE_SLOTS pages at a time: the others wait on the loop, not in threads."""

    @functools.wraps(endpoint)
    async def run(request: Request) -> Response:
        async with request.app.state.page_slots:
            return await run_in_threadpool(endpoint, request)

    return run


def create_app(
    engine: Engine,
    config: WebConfig | None = None,
    reports: ReportSource | None = None,
    ask: asking.AskSource | None = None,
    on_update: webhook.WakeUp | None = None,
) -> Starlette:
    """The web app over ``engine``; without ``reports`` the diff page has no report block, without ``ask``
    questions get search results only. ``on_update`` is called when the webhook has stored a new update."""
    config = config or WebConfig()
    routes = [
        Route("/", in_turn(pages.home), name="home"),
        Route("/weekly", in_turn(weekly.weekly), name="weekly_current"),
        Route("/weekly/{week}", in_turn(weekly.weekly), name="weekly"),
        Route("/favicon.svg", favicon, name="favicon"),
        Route("/favicon.ico", favicon, name="favicon_ico"),
        Route("/robots.txt", robots, name="robots"),
        Route("/healthz", healthz, name="healthz"),
        Route("/metrics", metrics, name="metrics"),
        Route("/feeds/all.atom", in_turn(feeds.all_changes), name="feed_all"),
        Route("/p/{slug}", in_turn(pages.platform), name="platform"),
        Route("/p/{slug}/feed.atom", in_turn(feeds.platform_changes), name="feed_platform"),
        Route("/p/{slug}/{kind}/compare", in_turn(pages.compare), name="compare"),
        Route("/p/{slug}/{kind}/diff/{old:int}..{new:int}", in_turn(pages.diff), name="diff"),
        Route("/p/{slug}/ask", asking.ask_page, name="ask"),
        Route("/p/{slug}/{kind}/v/{version:int}", in_turn(asking.version_page), name="version"),
        Route("/p/{slug}/{kind}/v/{version:int}.txt", in_turn(pages.version_text), name="version_text"),
        Mount("/static", StaticFiles(directory=STATIC), name="static"),
    ]
    if config.webhook_path is not None and config.webhook_secret:
        routes.insert(0, Route(config.webhook_path, webhook.receive_update, methods=["POST"], name="webhook"))
    app = Starlette(
        routes=routes,
        middleware=[Middleware(SecurityHeaders)],
        exception_handlers={404: not_found_page, NotFound: not_found_page, HTTPException: error_page},
    )
    app.router.redirect_slashes = False  # its redirects are built from the Host header
    app.state.engine = engine
    app.state.config = config
    app.state.on_update = on_update
    app.state.templates = make_templates()
    app.state.reports = reports
    app.state.ask = ask or asking.SearchOnly()
    app.state.diff_views = DiffViews(app.state.config.diff_cache_chars)
    app.state.summaries = Summaries()
    app.state.page_slots = asyncio.Semaphore(PAGE_SLOTS)
    return app
