"""The headless-browser path, in real Chromium: JavaScript pages, the 403 fallback, the SSRF guard."""

import httpx

from scraping.browser import BrowserRenderer
from scraping.check import Checker
from scraping.fetch import Fetcher, make_client
from scraping.politeness import HostLimiter
from storage.models import CheckOutcome
from tests.pages import SEED_OLD, policy_page, script_rendered_page, seed_text
from tests.scraping.conftest import CHROMIUM
from tests.scraping.test_check_faults import Tracker
from tests.servers import Page

TEXT = seed_text(SEED_OLD)


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


async def test_the_browser_refuses_a_redirect_to_a_private_address(engine, page_server, network):
    network.routes["93.184.216.34"] = "127.0.0.1"  # the public address the first hop is connected at

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
