"""What the scraping tests share: a network that never leaves the machine, and trackers with a browser."""

from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest

from scraping.browser import BrowserRenderer
from scraping.check import Checker
from scraping.fetch import Fetcher, make_client
from scraping.guard import Resolver, resolve
from scraping.politeness import HostLimiter
from tests.scraping.test_check_faults import Tracker
from tests.servers import Network

CHROMIUM = Path("/usr/bin/chromium")  # Debian's chromium, installed by the test command


@pytest.fixture(autouse=True)
def network(monkeypatch: pytest.MonkeyPatch) -> Network:
    """Every dial of these tests goes through the tests' network: loopback, or what ``routes`` says."""
    network = Network()
    network.install(monkeypatch)
    return network


@pytest.fixture
async def browser_tracker(engine, page_server) -> AsyncIterator[Callable[..., Awaitable[Tracker]]]:
    """Opens trackers whose fetcher has a browser; ``allow_private`` opens the SSRF guard for loopback."""
    opened: list[tuple] = []

    async def open_tracker(*, allow_private: bool = True, resolver: Resolver = resolve) -> Tracker:
        client = make_client(allow_private_networks=allow_private, timeout_seconds=10, resolver=resolver)
        renderer = BrowserRenderer(
            CHROMIUM, allow_private_networks=allow_private, timeout_seconds=20, resolver=resolver
        )
        opened.append((client, renderer))
        fetcher = Fetcher(client, HostLimiter(delay=0), renderer=renderer)
        return Tracker(engine, page_server, Checker(engine, fetcher, confirm_delay=0))

    yield open_tracker
    for client, renderer in opened:
        await client.aclose()
        await renderer.aclose()
