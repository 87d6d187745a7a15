"""Rendering pages in headless Chromium (Playwright driving the system's browser), for JavaScript pages.

Optional: needs the ``browser`` extra (playwright) and a Chromium binary such as Debian's ``chromium``.
"""

import asyncio
import logging
import time
from pathlib import Path
from urllib.parse import urljoin

import httpx
from playwright.async_api import APIResponse, Browser, Playwright, Route, async_playwright
from playwright.async_api import Error as PlaywrightError
from playwright.async_api import TimeoutError as PlaywrightTimeout

from scraping.errors import FetchError, PermanentFetchError, TransientFetchError
from scraping.fetch import MAX_REDIRECTS, Fetched, error_for_status
from scraping.guard import Resolver, is_public_address, resolve

log = logging.getLogger(__name__)

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
MAX_PAGES_AT_ONCE = 2  # each page costs tens of MB


class BrowserRenderer:
    """Renders URLs to their final HTML; the browser starts on first use and stops with ``aclose``."""

    def __init__(
        self,
        executable_path: Path,
        *,
        allow_private_networks: bool = False,
        timeout_seconds: float = 30.0,
        resolver: Resolver = resolve,
    ) -> None:
        self.executable_path = executable_path
        self.allow_private_networks = allow_private_networks
        self.timeout_ms = timeout_seconds * 1000
        self.resolver = resolver
        self._pages = asyncio.Semaphore(MAX_PAGES_AT_ONCE)
        self._starting = asyncio.Lock()
        self._playwright: Playwright | None = None
        self._browser: Browser | None = None

    async def _ensure_browser(self) -> Browser:
        async with self._starting:
            if self._browser is None:
                self._playwright = await async_playwright().start()
                self._browser = await self._playwright.chromium.launch(
                    executable_path=str(self.executable_path), headless=True, args=CHROMIUM_ARGS
                )
            return self._browser

    async def refusal(self, url: str) -> str | None:
        """Why the SSRF guard refuses ``url``, or None when it may be requested."""
        if self.allow_private_networks:
            return None
        host = httpx.URL(url).host
        try:
            addresses = await self.resolver(host, 443 if url.startswith("https:") else 80)
        except FetchError as error:
            return str(error)
        private = [address for address in addresses if not is_public_address(address)]
        return f"refused {url}: {host} resolves to the non-public address {private[0]}" if private else None

    async def render(self, url: str) -> Fetched:
        """Load ``url``, let its scripts run, and return the page's HTML; redirects are checked hop by hop."""
        started = time.perf_counter()
        for _ in range(MAX_REDIRECTS + 1):
            try:
                html, final_url = await self._load(url)
            except _Redirected as redirect:
                url = redirect.location
                continue
            return Fetched(
                url=final_url,
                status=200,
                body=html.encode("utf-8"),
                content_type="text/html; charset=utf-8",
                etag=None,
                last_modified=None,
                duration_ms=round((time.perf_counter() - started) * 1000),
            )
        raise PermanentFetchError(f"more than {MAX_REDIRECTS} redirects rendering {url}")

    async def _load(self, url: str) -> tuple[str, str]:
        """The HTML and URL of one page load; raises _Redirected when the page itself redirects."""
        browser = await self._ensure_browser()
        async with self._pages:
            context = await browser.new_context(locale="zh-CN")
            try:
                page = await context.new_page()
                guard = _PageGuard(self)
                await page.route("**/*", guard.handle)
                try:
                    response = await page.goto(url, wait_until="networkidle", timeout=self.timeout_ms)
                except PlaywrightTimeout:
                    raise TransientFetchError(f"timed out rendering {url} in the browser") from None
                except PlaywrightError as error:
                    raise guard.explain(url, error) from None
                if response is None:
                    raise TransientFetchError(f"the browser got no response for {url}")
                if response.status >= 400:
                    raise error_for_status(response.status, page.url, response.headers.get("retry-after"))
                return await page.content(), page.url
            finally:
                await context.close()

    async def aclose(self) -> None:
        if self._browser is not None:
            await self._browser.close()
        if self._playwright is not None:
            await self._playwright.stop()
        self._browser = self._playwright = None


class _Redirected(Exception):
    """The page redirected; the renderer checks the target and loads it afresh."""

    def __init__(self, location: str) -> None:
        super().__init__(location)
        self.location = location


class _PageGuard:
    """Routes every request of one page load through the SSRF guard, one redirect hop at a time.

    Chromium follows redirects without asking the route again, so each request is fetched here with
    redirects off. The page's own redirect ends the load (the renderer loads the target afresh, so the
    page keeps its real URL); a subresource's redirects are followed here, each hop checked.
    """

    def __init__(self, renderer: BrowserRenderer) -> None:
        self.renderer = renderer
        self.refusals: list[str] = []
        self.redirect_to: str | None = None

    async def handle(self, route: Route) -> None:
        """Route one request; an error here must end the request, or the page load would hang."""
        try:
            await self._route(route)
        except PlaywrightError as error:
            log.info("request %s failed in the browser: %s", route.request.url, error.message)
            await route.abort("failed")

    async def _route(self, route: Route) -> None:
        request = route.request
        if not request.url.startswith(("http://", "https://")):
            await route.continue_()
            return
        is_page = request.is_navigation_request() and request.frame.parent_frame is None
        response = await self._fetch_hops(route, max_hops=1 if is_page else MAX_REDIRECTS + 1)
        if response is None:
            await route.abort("blockedbyclient")
        elif is_page and (location := _redirect_location(request.url, response)):
            self.redirect_to = location
            await route.abort("aborted")
        else:
            await route.fulfill(response=response)

    async def _fetch_hops(self, route: Route, max_hops: int) -> APIResponse | None:
        url = route.request.url
        for hop in range(max_hops):
            if reason := await self.renderer.refusal(url):
                self.refusals.append(reason)
                return None
            response = await route.fetch(url=url, max_redirects=0)
            location = _redirect_location(url, response)
            if location is None or hop == max_hops - 1:
                return response
            url = location
        return None

    def explain(self, url: str, error: PlaywrightError) -> Exception:
        """What a failed page load means: a redirect to follow, a refusal, or a transient failure."""
        if self.redirect_to:
            return _Redirected(self.redirect_to)
        if self.refusals:
            return PermanentFetchError(self.refusals[0])
        return TransientFetchError(f"the browser could not load {url}: {error.message}")


def _redirect_location(url: str, response: APIResponse) -> str | None:
    location = response.headers.get("location")
    return urljoin(url, location) if 300 <= response.status < 400 and location else None
