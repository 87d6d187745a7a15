"""The headless-browser path, in real Chromium: JavaScript pages, the 403 fallback, the SSRF guard."""

from pathlib import Path

import httpx
import pytest

from scraping.browser import BrowserRenderer
from scraping.check import Checker
from scraping.fetch import Fetcher, make_client
from scraping.politeness import HostLimiter
from storage.models import CheckOutcome
from tests.pages import SEED_OLD, policy_page, script_rendered_page, seed_text
from tests.scraping.test_check_faults import Tracker
from tests.servers import Page

CHROMIUM = Path("/usr/bin/chromium")  # Debian's chromium, installed by the test command
TEXT = seed_text(SEED_OLD)


@pytest.fixture
async def browser_tracker(engine, page_server):
    """Opens trackers whose fetcher has a browser; ``allow_private`` opens the SSRF guard for loopback."""
    opened: list[tuple] = []

    async def open_tracker(*, allow_private: bool = True) -> Tracker:
        client = make_client(allow_private_networks=allow_private, timeout_seconds=10)
        renderer = BrowserRenderer(CHROMIUM, allow_private_networks=allow_private, timeout_seconds=20)
        opened.append((client, renderer))
        fetcher = Fetcher(client, HostLimiter(delay=0), renderer=renderer)
        return Tracker(engine, page_server, Checker(engine, fetcher, confirm_delay=0))

    yield open_tracker
    for client, renderer in opened:
        await client.aclose()
        await renderer.aclose()


async def test_a_javascript_page_is_read_after_its_scripts_run(browser_tracker):
    tracker = await browser_tracker()
    tracker.track("/app", Page(script_rendered_page(TEXT).encode()), render="browser")
    result = await tracker.check()
    assert result.outcome is CheckOutcome.NEW_VERSION, result.reason
    assert tracker.versions()[0].text == TEXT.replace("\xa0", " ")


async def test_the_same_page_over_plain_http_has_no_text(engine, page_server):
    async with make_client(allow_private_networks=True) as client:
        tracker = Tracker(engine, page_server, Checker(engine, Fetcher(client, HostLimiter(delay=0)), 0))
        tracker.track("/app", Page(script_rendered_page(TEXT).encode()))
        result = await tracker.check()
    assert result.outcome is CheckOutcome.FAILED and "no text" in result.reason


async def test_a_page_refusing_plain_http_is_read_in_the_browser(browser_tracker):
    tracker = await browser_tracker()
    tracker.track("/p", Page(policy_page(TEXT).encode(), refuse_agent="PolicyWatch"))
    result = await tracker.check()
    assert result.outcome is CheckOutcome.NEW_VERSION, result.reason
    agents = [headers.get("User-Agent", "") for _, headers in tracker.server.requests]
    assert "PolicyWatch" in agents[0] and "PolicyWatch" not in agents[-1]


async def test_the_browser_refuses_private_addresses_too(browser_tracker):
    tracker = await browser_tracker(allow_private=False)
    tracker.track("/app", Page(script_rendered_page(TEXT).encode()), render="browser")
    result = await tracker.check()
    assert result.outcome is CheckOutcome.FAILED and "non-public address 127.0.0.1" in result.reason
    assert tracker.server.requests == []


async def test_the_browser_refuses_a_redirect_to_a_private_address(engine, page_server):
    async def resolver(host: str, _port: int) -> list[str]:
        """This test's DNS: the first hop passes for a public host, the redirect target is loopback."""
        return ["93.184.216.34"] if host == "127.0.0.1" else ["127.0.0.1"]

    port = httpx.URL(page_server.url("/")).port
    page_server.serve("/final", Page(script_rendered_page(TEXT).encode()))
    renderer = BrowserRenderer(CHROMIUM, resolver=resolver, timeout_seconds=20)
    async with make_client(resolver=resolver) as client:
        tracker = Tracker(
            engine, page_server, Checker(engine, Fetcher(client, HostLimiter(delay=0), renderer=renderer), 0)
        )
        tracker.track(
            "/p", Page(status=302, headers={"Location": f"http://localhost:{port}/final"}), render="browser"
        )
        try:
            result = await tracker.check()
        finally:
            await renderer.aclose()
    assert (
        result.outcome is CheckOutcome.FAILED
        and "localhost resolves to the non-public address" in result.reason
    )
    assert page_server.hits("/final") == 0
