"""Fetching one URL with httpx; the only module that catches httpx's errors."""

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import Protocol

import httpx
from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception_type,
    stop_after_attempt,
    wait_exponential_jitter,
)

from scraping.decompress import BoundedDecoder
from scraping.errors import BotBlockedError, FetchError, PermanentFetchError, TransientFetchError
from scraping.guard import GuardedTransport, Resolver, refuse_redirects_off_http, resolve
from scraping.politeness import HostLimiter

USER_AGENT = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36 "
    "PolicyWatch/0.1 (+privacy policy change tracker)"
)
DEFAULT_HEADERS = {
    "User-Agent": USER_AGENT,
    "Accept": "text/html,application/xhtml+xml,application/pdf;q=0.9,text/plain;q=0.8,*/*;q=0.5",
    "Accept-Language": "zh-CN,zh;q=0.9,en;q=0.8",
}
log = logging.getLogger(__name__)

MAX_REDIRECTS = 5
MAX_BODY_BYTES = 10 * 1024 * 1024
MAX_RETRY_AFTER_SECONDS = 60.0
DEFAULT_TIMEOUT_SECONDS = 30.0


@dataclass(frozen=True)
class Fetched:
    """A successful answer: 200 with a body, or 304 (``not_modified``) without one."""

    url: str
    status: int
    body: bytes
    content_type: str | None
    etag: str | None
    last_modified: str | None
    duration_ms: int

    @property
    def not_modified(self) -> bool:
        return self.status == 304


def make_client(
    *,
    allow_private_networks: bool = False,
    timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS,
    resolver: Resolver = resolve,
) -> httpx.AsyncClient:
    """The shared HTTP client: browser-like headers, at most five redirects, through the SSRF guard.

    Only http(s) is fetched, and each host is connected at the address that was resolved and checked
    (public only, unless ``allow_private_networks``). No proxy from the environment is used.
    """
    return httpx.AsyncClient(
        transport=GuardedTransport(resolver, allow_private_networks=allow_private_networks),
        headers=DEFAULT_HEADERS,
        timeout=httpx.Timeout(timeout_seconds, connect=10.0),
        follow_redirects=True,
        max_redirects=MAX_REDIRECTS,
        event_hooks={"response": [refuse_redirects_off_http]},
    )


def _retry_after_seconds(value: str | None) -> float | None:
    """Retry-After as seconds: a number of seconds or an HTTP date."""
    if not value:
        return None
    if value.strip().isdigit():
        return float(value.strip())
    try:
        return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
    except (TypeError, ValueError):
        return None


def error_for_status(status: int, url: str, retry_after: str | None = None) -> FetchError:
    """The error an HTTP error status means, by what the caller should do about it."""
    message = f"HTTP {status} from {url}"
    if status in (403, 406):
        return BotBlockedError(message, status=status)
    if status == 429 or status >= 500:
        return TransientFetchError(message, status=status, retry_after=_retry_after_seconds(retry_after))
    return PermanentFetchError(message, status=status)


async def _read_body(response: httpx.Response) -> bytes:
    """The decoded body; fails once the wire or any Content-Encoding layer passes MAX_BODY_BYTES."""
    decoder = BoundedDecoder(response.headers.get_list("content-encoding", split_commas=True), MAX_BODY_BYTES)
    chunks: list[bytes] = []
    async for raw in response.aiter_raw():
        chunks.extend(decoder.decode(raw))
    chunks.extend(decoder.finish())
    return b"".join(chunks)


def _deadline(client: httpx.AsyncClient) -> float:
    """How long a request may take in all (httpx times each read: a body may drip a byte at a time)."""
    return client.timeout.read or DEFAULT_TIMEOUT_SECONDS


@asynccontextmanager
async def _fetch_errors(url: str) -> AsyncIterator[None]:
    """httpx's errors (and the deadline) as FetchError subclasses."""
    try:
        yield
    except httpx.TooManyRedirects:
        raise PermanentFetchError(f"more than {MAX_REDIRECTS} redirects from {url}") from None
    except (httpx.TimeoutException, TimeoutError):
        raise TransientFetchError(f"timed out fetching {url}") from None
    except httpx.UnsupportedProtocol:
        raise PermanentFetchError(f"not an http(s) URL: {url}") from None
    except (httpx.NetworkError, httpx.RemoteProtocolError) as error:
        raise TransientFetchError(f"network error fetching {url}: {error}") from None
    except httpx.InvalidURL as error:
        raise PermanentFetchError(f"invalid URL {url}: {error}") from None


async def fetch_url(
    client: httpx.AsyncClient, url: str, *, etag: str | None = None, last_modified: str | None = None
) -> Fetched:
    """GET ``url`` (conditionally when validators are known); raises a FetchError subclass on failure."""
    headers = {}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    started = time.perf_counter()
    async with (
        _fetch_errors(url),
        asyncio.timeout(_deadline(client)),
        client.stream("GET", url, headers=headers) as response,
    ):
        if response.status_code not in (200, 304):
            raise error_for_status(
                response.status_code, str(response.url), response.headers.get("retry-after")
            )
        body = await _read_body(response) if response.status_code == 200 else b""
    return Fetched(
        url=str(response.url),
        status=response.status_code,
        body=body,
        content_type=response.headers.get("content-type"),
        etag=response.headers.get("etag"),
        last_modified=response.headers.get("last-modified"),
        duration_ms=round((time.perf_counter() - started) * 1000),
    )


@dataclass(frozen=True)
class Answer:
    """Any HTTP answer, its body decoded within the caps (for the browser, which gets it as it is)."""

    url: str
    status: int
    headers: httpx.Headers
    body: bytes


async def fetch_answer(
    client: httpx.AsyncClient,
    method: str,
    url: str,
    *,
    headers: list[tuple[str, str]],
    content: bytes | None = None,
    follow_redirects: bool,
) -> Answer:
    """One request made on the browser's behalf through the guarded client; any status is an answer."""
    async with (
        _fetch_errors(url),
        asyncio.timeout(_deadline(client)),
        client.stream(
            method, url, headers=headers, content=content, follow_redirects=follow_redirects
        ) as response,
    ):
        body = await _read_body(response)
    return Answer(str(response.url), response.status_code, response.headers, body)


Backoff = Callable[[RetryCallState], float]
# Between attempts when the server did not say how long to wait: 0.5 s, 1 s, 2 s … up to 8 s, with jitter.
DEFAULT_BACKOFF: Backoff = wait_exponential_jitter(multiplier=0.5, max=8)


def _wait_before_retry(backoff: Backoff) -> Backoff:
    """The server's Retry-After when it gave one (capped), else ``backoff``."""

    def wait(state: RetryCallState) -> float:
        error = state.outcome.exception() if state.outcome else None
        retry_after = getattr(error, "retry_after", None)
        if retry_after is not None:
            return min(retry_after, MAX_RETRY_AFTER_SECONDS)
        return backoff(state)

    return wait


class Renderer(Protocol):
    """Something that loads a URL the way a browser does (see scraping/browser.py)."""

    async def render(self, url: str) -> Fetched: ...


class Fetcher:
    """Fetches with retries of transient failures, politeness per host, and a browser when needed."""

    def __init__(
        self,
        client: httpx.AsyncClient,
        limiter: HostLimiter,
        attempts: int = 3,
        renderer: Renderer | None = None,
        backoff: Backoff = DEFAULT_BACKOFF,
    ) -> None:
        self.client = client
        self.limiter = limiter
        self.attempts = attempts
        self.renderer = renderer
        self.wait = _wait_before_retry(backoff)

    async def _retrying(self, url: str, attempt_once: Callable[[], Awaitable[Fetched]]) -> Fetched:
        host = httpx.URL(url).host
        retrying = AsyncRetrying(
            retry=retry_if_exception_type(TransientFetchError),
            stop=stop_after_attempt(self.attempts),
            wait=self.wait,
            reraise=True,
        )
        async for attempt in retrying:
            with attempt:
                async with self.limiter.slot(host):
                    return await attempt_once()
        raise AssertionError("unreachable: tenacity re-raises the last error")

    async def fetch(
        self, url: str, *, etag: str | None = None, last_modified: str | None = None, render: bool = False
    ) -> Fetched:
        """GET ``url`` (in the browser when ``render``), retrying timeouts, network errors, 429 and 5xx.

        A page refusing plain HTTP as a bot (403/406) is tried once more in the browser, when there is one.
        """
        renderer = self.renderer
        if render and renderer is not None:
            return await self._retrying(url, lambda: renderer.render(url))
        try:
            return await self._retrying(
                url, lambda: fetch_url(self.client, url, etag=etag, last_modified=last_modified)
            )
        except BotBlockedError:
            if renderer is None:
                raise
            log.info("%s refused plain HTTP; trying the browser", url)
            return await self._retrying(url, lambda: renderer.render(url))
