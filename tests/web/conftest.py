"""A real uvicorn server on a free port, over a database holding the seed pair and a hostile policy."""

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
import uvicorn

from storage.db import session_scope
from tests.seed import add_measured_pair, add_seed_pair
from tests.web.reading import add_reading_site
from web.app import WebConfig, create_app
from web.serve import server_config

HOSTILE_NAME = "<script>alert('name')</script>"
HOSTILE_OLD = "隐私政策\n<script>alert('x')</script>\n{{ 7*7 }} {% raw %}\nTom & Jerry &amp; co"
HOSTILE_NEW = "隐私政策\n<script>alert('y')</script>\n{{ 7*8 }} {% raw %}\nTom & Jerry &amp; co <b>bold</b>"


@pytest.fixture
def seeded(engine):
    """zeekr (versions 1 and 2: the seed pair) and a hostile platform (versions 3 and 4)."""
    with session_scope(engine) as session:
        add_seed_pair(session)
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


READING_PUBLIC_URL = "https://policywatch.example"


@pytest.fixture
def reading(seeded):
    """The running app over ``seeded`` and 小红书's reported changes (tests/web/reading.py)."""
    add_reading_site(seeded)
    with running(create_app(seeded, WebConfig(public_url=READING_PUBLIC_URL))) as url:
        yield url
