"""Rendering pages in headless Chromium (Playwright driving the system's browser), for JavaScript pages.

Optional: needs the ``browser`` extra (playwright) and a Chromium binary such as Debian's ``chromium``.
"""

import asyncio
import contextlib
import logging
import time
from http.cookiejar import DefaultCookiePolicy
from pathlib import Path
from urllib.parse import urljoin

import httpx
from playwright.async_api import Browser, Playwright, Request, Route, async_playwright
from playwright.async_api import Error as PlaywrightError
from playwright.async_api import TimeoutError as PlaywrightTimeout

from scraping.errors import FetchError, PermanentFetchError, TransientFetchError
from scraping.fetch import MAX_REDIRECTS, Answer, Fetched, error_for_status, fetch_answer, make_client
from scraping.guard import Resolver, resolve, scheme_refusal

log = logging.getLogger(__name__)

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
    # Chromium itself reaches nothing: every request is answered by the route (see _PageGuard). What
    # could go around it (WebSockets, WebRTC, preconnects) meets a proxy that does not exist, loopback
    # included, and a resolver that knows no host.
    "--proxy-server=http://proxy.invalid:1",
    "--proxy-bypass-list=<-loopback>",
    "--host-resolver-rules=MAP * ~NOTFOUND",
    "--force-webrtc-ip-handling-policy=disable_non_proxied_udp",
]
MAX_PAGES_AT_ONCE = 2  # each page costs tens of MB
# Hop-by-hop headers, and those httpx sets itself: it offers only the encodings it can decode within the caps.
_NOT_FORWARDED = {
    "accept-encoding",
    "connection",
    "content-length",
    "host",
    "keep-alive",
    "proxy-connection",
    "transfer-encoding",
    "upgrade",
}
# The browser gets bodies decoded, so the headers describing the encoding go too.
_NOT_RETURNED = {"connection", "content-encoding", "content-length", "keep-alive", "transfer-encoding"}


class BrowserRenderer:
    """Renders URLs to their final HTML; the browser starts on first use and stops with ``aclose``.

    Chromium fetches nothing itself: each of its requests is made by the guarded HTTP client (the same
    SSRF guard, pinned DNS and size caps as plain fetches) and handed back to it.
    """

    def __init__(
        self,
        executable_path: Path,
        *,
        allow_private_networks: bool = False,
        timeout_seconds: float = 30.0,
        resolver: Resolver = resolve,
    ) -> None:
        self.executable_path = executable_path
        self.timeout_ms = timeout_seconds * 1000
        self.client = make_client(
            allow_private_networks=allow_private_networks, timeout_seconds=timeout_seconds, resolver=resolver
        )
        self.client.cookies.jar.set_policy(DefaultCookiePolicy(allowed_domains=[]))  # Chromium keeps cookies
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

    async def render(self, url: str) -> Fetched:
        """Load ``url``, let its scripts run, and return the page's HTML; redirects are checked hop by hop."""
        started = time.perf_counter()
        for _ in range(MAX_REDIRECTS + 1):
            if reason := scheme_refusal(url):
                raise PermanentFetchError(reason)
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
            context = await browser.new_context(locale="zh-CN", service_workers="block")
            try:
                guard = _PageGuard(self.client)
                await context.route("**/*", guard.handle)
                page = await context.new_page()
                try:
                    response = await page.goto(url, wait_until="networkidle", timeout=self.timeout_ms)
                except PlaywrightTimeout:
                    raise TransientFetchError(f"timed out rendering {url} in the browser") from None
                except PlaywrightError as error:
                    raise guard.explain(url, error) from None
                if reason := scheme_refusal(page.url):
                    raise PermanentFetchError(reason)
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
        await self.client.aclose()


class _Redirected(Exception):
    """The page redirected; the renderer checks the target and loads it afresh."""

    def __init__(self, location: str) -> None:
        super().__init__(location)
        self.location = location


class _PageGuard:
    """Answers every request of one page load (frames, subresources, workers) through the guarded client.

    Chromium follows redirects without asking the route again, so the page's own request is made with
    redirects off: its redirect ends the load and the renderer loads the target afresh (so the page keeps
    its real URL). A subresource's redirects are followed by the client, each hop checked. Anything but
    http(s) is refused here; Chromium refuses file: and top-level data: navigations from pages itself.
    """

    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client = client
        self.refusals: list[str] = []
        self.page_error: FetchError | None = None
        self.redirect_to: str | None = None

    async def handle(self, route: Route) -> None:
        """Route one request; any error here must end the request, or the page load would hang."""
        try:
            await self._route(route)
        except Exception as error:  # whatever went wrong, the request must be answered
            log.info("request %s failed in the browser: %s", route.request.url, error)
            with contextlib.suppress(PlaywrightError):
                await route.abort("failed")

    async def _route(self, route: Route) -> None:
        request = route.request
        is_page = request.is_navigation_request() and request.frame.parent_frame is None
        try:
            answer = await self._fetch(request, follow_redirects=not is_page)
        except FetchError as error:
            await self._fail(route, error, is_page)
            return
        if is_page and (location := _redirect_location(request.url, answer)):
            self.redirect_to = location
            await route.abort("aborted")
        else:
            await route.fulfill(
                status=answer.status, headers=_returned_headers(answer.headers), body=answer.body
            )

    async def _fetch(self, request: Request, *, follow_redirects: bool) -> Answer:
        if reason := scheme_refusal(request.url):
            raise PermanentFetchError(reason)
        headers = [
            (header["name"], header["value"])
            for header in await request.headers_array()
            if header["name"].lower() not in _NOT_FORWARDED and not header["name"].startswith(":")
        ]
        return await fetch_answer(
            self.client,
            request.method,
            request.url,
            headers=headers,
            content=request.post_data_buffer,
            follow_redirects=follow_redirects,
        )

    async def _fail(self, route: Route, error: FetchError, is_page: bool) -> None:
        if is_page:
            self.page_error = error
        if isinstance(error, PermanentFetchError):
            self.refusals.append(str(error))
            await route.abort("blockedbyclient")
        else:
            log.info("request %s failed in the browser: %s", route.request.url, error)
            await route.abort("failed")

    def explain(self, url: str, error: PlaywrightError) -> Exception:
        """What a failed page load means: a redirect to follow, the page's failure, a refusal, or a glitch."""
        if self.redirect_to:
            return _Redirected(self.redirect_to)
        if self.page_error:
            return self.page_error
        if self.refusals:
            return PermanentFetchError(self.refusals[0])
        return TransientFetchError(f"the browser could not load {url}: {error.message}")


def _returned_headers(headers: httpx.Headers) -> dict[str, str]:
    """The answer's headers for Chromium, repeats joined (Set-Cookie by newlines, which Playwright splits)."""
    joined: dict[str, list[str]] = {}
    for name, value in headers.multi_items():
        if name.lower() not in _NOT_RETURNED:
            joined.setdefault(name.lower(), []).append(value)
    return {name: ("\n" if name == "set-cookie" else ", ").join(values) for name, values in joined.items()}


def _redirect_location(url: str, answer: Answer) -> str | None:
    location = answer.headers.get("location")
    return urljoin(url, location) if 300 <= answer.status < 400 and location else None
