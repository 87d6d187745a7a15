"""`policywatch demo`: the whole product on one machine, with no bot token and no network.

Two bundled versions of the Zeekr app's privacy policy are served from a local server; the demo
tracks the policy, detects the change, writes the report (the automatic one without OPENAI_API_KEY),
prints the alert exactly as the bot would send it, and serves the web app with the diff page.
"""

import asyncio
import html
import tempfile
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from sqlalchemy import Engine
from sqlmodel import Session

from alerts.links import Links
from alerts.text import alert_buttons, alert_message
from app.service import make_report_service, make_web_app, make_web_server, open_checker
from app.settings import Settings
from scraping.catalog import parse_catalog
from scraping.check import CheckResult, active_targets
from scraping.sync import sync_catalog
from storage.db import make_engine, row_id, session_scope
from storage.migrate import upgrade_database
from storage.models import Document, Platform, Version, utcnow

POLICIES = Path(__file__).resolve().parent / "demo_policies"
VERSIONS = ["zeekr_2025-11-10.txt", "zeekr_2025-12-31.txt"]
CATALOG = """
platforms:
  - slug: zeekr
    name: {{zh: 极氪, en: ZEEKR}}
    aliases: [jike]
    documents:
      - kind: privacy_policy
        url: {url}
"""


def policy_html(text: str) -> bytes:
    """The policy as a web page: one paragraph per line."""
    paragraphs = "\n".join(f"<p>{html.escape(line)}</p>" for line in text.split("\n"))
    return (
        '<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8"><title>极氪APP个人信息保护政策</title>'
        f"</head><body><main>{paragraphs}</main></body></html>"
    ).encode()


@contextmanager
def policy_server() -> Iterator[tuple[str, Callable[[int], None]]]:
    """A loopback server for the policy; yields its URL and a function choosing the version served."""
    pages = [policy_html((POLICIES / name).read_text(encoding="utf-8")) for name in VERSIONS]
    served = [pages[0]]

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(served[0])))
            self.end_headers()
            self.wfile.write(served[0])

        def log_message(self, *_: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield (
            f"http://127.0.0.1:{server.server_address[1]}/privacy",
            lambda n: served.__setitem__(0, pages[n]),
        )
    finally:
        server.shutdown()
        server.server_close()


def _say(result: CheckResult, step: str) -> None:
    print(f"{step}: {result.target.platform_slug}/{result.target.kind} → {result.summary}", flush=True)


def _demo_settings(settings: Settings, public_url: str) -> Settings:
    """The demo's own: its loopback policy server allowed, no confirming wait, links to where it serves."""
    return settings.model_copy(
        update={"ALLOW_PRIVATE_NETWORKS": True, "CONFIRM_DELAY": timedelta(0), "PUBLIC_URL": public_url}
    )


async def _track(
    engine: Engine, settings: Settings, url: str, serve_version: Callable[[int], None]
) -> CheckResult:
    """Check the policy, switch to the second version, check again; returns the change."""
    with session_scope(engine) as session:
        sync_catalog(session, parse_catalog(CATALOG.format(url=url), Path("demo-catalog.yaml")), utcnow())
    async with open_checker(settings, engine) as checker:
        with Session(engine) as session:
            (target,) = active_targets(session)
        _say(await checker.check(target), "1. first check (the baseline)")
        serve_version(1)
        change = await checker.check(target)
        _say(change, "2. the policy changed")
        return change


@dataclass(frozen=True)
class DemoRun:
    """What the demo produced: its database, the alert as the bot sends it, the diff page's URL."""

    engine: Engine
    database: Path
    alert_html: str
    buttons: list[str]
    report_kind: str
    diff_url: str
    settings: Settings  # the demo's own (see _demo_settings)


async def _alert(
    engine: Engine, settings: Settings, links: Links, change: CheckResult
) -> tuple[str, list[str], str]:
    """Write the report; the alert (Telegram HTML), its buttons and what wrote the report."""
    with Session(engine) as session:
        old = session.get_one(Version, change.previous_version_id)
        new = session.get_one(Version, change.version_id)
        document = session.get_one(Document, change.target.document_id)
        platform = session.get_one(Platform, document.platform_id)
    report = await make_report_service(settings, engine).report_for(old, new, "zh")
    text = alert_message(platform, document, old, new, report, "zh", links)
    keyboard = alert_buttons(platform, document, row_id(old), row_id(new), "zh", links).inline_keyboard
    kind = "automatic (no OPENAI_API_KEY)" if report.is_automatic else settings.LLM_MODEL
    return text, [button.text for row in keyboard for button in row], kind


def prepare_demo(settings: Settings, public_url: str) -> DemoRun:
    """Track the bundled policy in a new SQLite database through its change, and make the alert."""
    settings = _demo_settings(settings, public_url)
    folder = Path(tempfile.mkdtemp(prefix="policywatch-demo-"))
    engine = make_engine(f"sqlite:///{folder / 'demo.db'}")
    upgrade_database(engine)
    links = Links(public_url)
    with policy_server() as (url, serve_version):
        change = asyncio.run(_track(engine, settings, url, serve_version))
    if change.previous_version_id is None or change.version_id is None:
        raise RuntimeError(f"the demo's second check saw no change: {change.summary}")
    text, buttons, kind = asyncio.run(_alert(engine, settings, links, change))
    diff_url = links.diff(
        change.target.platform_slug, change.target.kind, change.previous_version_id, change.version_id
    )
    return DemoRun(engine, folder / "demo.db", text, buttons, kind, diff_url, settings)


def run_demo(settings: Settings) -> None:
    """Run the demo, print the alert, then serve the web app until Ctrl-C or SIGTERM."""
    public_url = f"http://{settings.WEB_HOST}:{settings.WEB_PORT}"
    demo = prepare_demo(settings, public_url)
    print(f"3. the report ({demo.report_kind}) and the alert, as the bot sends it (Telegram HTML):\n")
    print(demo.alert_html)
    print("\nbuttons: " + " | ".join(f"[{label}]" for label in demo.buttons))
    print(
        f"\n4. the diff page: {demo.diff_url}\n   (the demo's database is {demo.database}; Ctrl-C stops)\n",
        flush=True,
    )
    app = make_web_app(demo.settings, demo.engine)
    make_web_server(settings, app).run()
