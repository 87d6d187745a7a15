"""A real uvicorn server on a free port, over a database holding the seed pair and a hostile policy."""

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
import uvicorn
from sqlmodel import Session, col, select

from analysis.dates import stated_dates
from analysis.diff import build_diff
from storage.db import session_scope
from storage.models import Document, Platform
from storage.versions import ChangeSize, FetchFacts, record_text
from tests.pages import SEED_NEW, SEED_OLD, seed_text
from tests.seed import NEW_AT, OLD_AT, add_document
from web.app import WebConfig, create_app
from web.serve import server_config

HOSTILE_NAME = "<script>alert('name')</script>"
HOSTILE_OLD = "隐私政策\n<script>alert('x')</script>\n{{ 7*7 }} {% raw %}\nTom & Jerry &amp; co"
HOSTILE_NEW = "隐私政策\n<script>alert('y')</script>\n{{ 7*8 }} {% raw %}\nTom & Jerry &amp; co <b>bold</b>"


def document_of_slug(session: Session, slug: str) -> Document:
    """The privacy policy of the platform ``slug``."""
    return session.exec(
        select(Document)
        .join(Platform, col(Platform.id) == col(Document.platform_id))
        .where(Platform.slug == slug)
    ).one()


def add_measured_pair(session: Session, slug: str, name_zh: str, name_en: str, old: str, new: str) -> None:
    """A platform whose policy changed from ``old`` to ``new``, its size stored as the checker stores it."""
    add_document(session, slug, name_zh, name_en, [(OLD_AT, old)])
    document = document_of_slug(session, slug)
    size = ChangeSize.of(build_diff(old, new).stats)
    record_text(session, document, new, FetchFacts(document.url, 200), NEW_AT, stated_dates(new), size=size)


@pytest.fixture
def seeded(engine):
    """zeekr (versions 1 and 2: the seed pair) and a hostile platform (versions 3 and 4)."""
    with session_scope(engine) as session:
        add_measured_pair(session, "zeekr", "极氪", "ZEEKR", seed_text(SEED_OLD), seed_text(SEED_NEW))
        add_measured_pair(session, "evil", HOSTILE_NAME, "Evil & Co", HOSTILE_OLD, HOSTILE_NEW)
    return engine


@contextmanager
def running(app, **limits: float) -> Iterator[str]:
    """Serve ``app`` as production does (``server_config``) on a free loopback port; yields its base URL."""
    with serving(server_config(app, "127.0.0.1", 0, log_level="warning", **limits)) as url:
        yield url


@contextmanager
def serving(config: uvicorn.Config) -> Iterator[str]:
    """Run a uvicorn server in a thread; yields its base URL."""
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@pytest.fixture
def site(seeded):
    """The base URL of the running app."""
    with running(create_app(seeded, WebConfig(public_url="https://policywatch.example"))) as url:
        yield url
