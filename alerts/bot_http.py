"""The sender's way to the Bot API: python-telegram-bot's requests over aiohttp, connections kept alive.

PTB's own transport (httpx) spends about 1 ms of CPU on each request on a 2-core machine, aiohttp about
0.2 ms: at Telegram's paid 1,000 messages a second that difference is the whole core
(``benchmarks/fanout_bench.py``). Parameters go as one JSON body, objects as objects (PTB's
``json_payload`` would send ``reply_markup`` as a string of JSON inside the JSON).
"""

import asyncio
import json
import urllib.request
from functools import cache
from urllib.parse import urlsplit

import aiohttp
from telegram import Bot
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData

from alerts.telegram_html import NO_PREVIEW

_NO_PREVIEW = NO_PREVIEW.to_dict()  # as Telegram reads it, made once
JSON_HEADERS = {"Content-Type": "application/json", "User-Agent": BaseRequest.USER_AGENT}


def _seconds(value: object, default: float) -> float | None:
    """A timeout PTB passed (seconds, or None for none), else ``default`` (PTB's DEFAULT_NONE)."""
    return float(value) if isinstance(value, int | float) else None if value is None else default


@cache
def environment_proxy(scheme: str, host: str) -> str | None:
    """The proxy the environment names for ``host`` (HTTPS_PROXY, NO_PROXY...), looked up once: as PTB's
    httpx transport takes it, so a deployment that reaches Telegram through one keeps sending (aiohttp's
    own ``trust_env`` looks it up again for every request, a third of the sender's time)."""
    if urllib.request.proxy_bypass(host):
        return None
    return urllib.request.getproxies().get(scheme)


class AiohttpRequest(BaseRequest):
    """Text requests (the sender sends no files) on up to ``connections`` kept-alive connections."""

    def __init__(self, connections: int = 64, timeout: float = 10.0) -> None:
        self._connections = connections
        self._timeout = timeout
        self._session: aiohttp.ClientSession | None = None

    @property
    def read_timeout(self) -> float | None:
        return self._timeout

    async def initialize(self) -> None:
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(limit=self._connections, keepalive_timeout=60)
            self._session = aiohttp.ClientSession(connector=connector, headers=JSON_HEADERS)

    async def shutdown(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: object = BaseRequest.DEFAULT_NONE,
        write_timeout: object = BaseRequest.DEFAULT_NONE,
        connect_timeout: object = BaseRequest.DEFAULT_NONE,
        pool_timeout: object = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        if self._session is None:
            raise RuntimeError("this AiohttpRequest is not initialized")
        if request_data is not None and request_data.contains_files:
            raise ValueError("the sender's transport sends text only, not files")
        timeout = aiohttp.ClientTimeout(
            connect=_seconds(connect_timeout, self._timeout),
            sock_read=_seconds(read_timeout, self._timeout),
        )
        body = json.dumps(request_data.parameters).encode() if request_data is not None else None
        parts = urlsplit(url)
        proxy = environment_proxy(parts.scheme, parts.hostname or "")
        try:
            async with self._session.request(
                method, url, data=body, timeout=timeout, proxy=proxy
            ) as response:
                return response.status, await response.read()
        except TimeoutError as error:
            raise TimedOut from error
        except (aiohttp.ClientError, asyncio.IncompleteReadError) as error:
            raise NetworkError(f"aiohttp.{type(error).__name__}: {error}") from error


class OutboxBot(Bot):
    """The outbox sender's bot: no rate limiter of its own (the sender paces every message and handles
    429 itself), and messages posted from plain values without making a ``Message`` of each answer
    (at 1,000 messages a second that took a fifth of the sender's time)."""

    async def send_html(self, chat_id: int | str, text: str, markup: dict | None, paid: bool) -> None:
        """sendMessage in HTML with link previews off; Telegram's refusals raise as from send_message."""
        message = {
            "chat_id": chat_id,
            "text": text,
            "parse_mode": "HTML",
            "link_preview_options": _NO_PREVIEW,
            "reply_markup": markup,
            "allow_paid_broadcast": paid or None,  # None: not sent
        }
        await self._post("sendMessage", message)


def outbox_bot(token: str, base_url: str, connections: int = 64) -> OutboxBot:
    """The sender's bot on its own kept-alive connections."""
    return OutboxBot(token, base_url=base_url, request=AiohttpRequest(connections))
