"""A real uvicorn server on a free port, over a database holding the seed pair and a hostile policy."""

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
import uvicorn

from storage.db import session_scope
from tests.pages import SEED_NEW, SEED_OLD, seed_text
from tests.seed import NEW_AT, OLD_AT, add_document
from web.app import WebConfig, create_app

HOSTILE_NAME = "<script>alert('name')</script>"
HOSTILE_OLD = "隐私政策\n<script>alert('x')</script>\n{{ 7*7 }} {% raw %}\nTom & Jerry &amp; co"
HOSTILE_NEW = "隐私政策\n<script>alert('y')</script>\n{{ 7*8 }} {% raw %}\nTom & Jerry &amp; co <b>bold</b>"


@pytest.fixture
def seeded(engine):
    """zeekr (versions 1 and 2: the seed pair) and a hostile platform (versions 3 and 4)."""
    with session_scope(engine) as session:
        add_document(
            session, "zeekr", "极氪", "ZEEKR", [(OLD_AT, seed_text(SEED_OLD)), (NEW_AT, seed_text(SEED_NEW))]
        )
        add_document(
            session, "evil", HOSTILE_NAME, "Evil & Co", [(OLD_AT, HOSTILE_OLD), (NEW_AT, HOSTILE_NEW)]
        )
    return engine


@contextmanager
def running(app) -> Iterator[str]:
    """Serve ``app`` with uvicorn on a free loopback port; yields its base URL."""
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning"))
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
