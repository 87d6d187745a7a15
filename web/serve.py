"""The uvicorn server for the pages, with limits on slow clients, many clients and large headers.

uvicorn bounds the time between requests (``timeout_keep_alive``) but not the time a client takes to send
one: its keep-alive timer is reset by every byte received and is not started before the first request, so a
client trickling a header byte at a time (or sending nothing) holds its connection for ever. The protocol
below adds that deadline; ``limit_concurrency`` then caps the connections such clients can hold.
"""

import asyncio
import logging
from typing import Any

import h11
import uvicorn
from starlette.types import ASGIApp
from uvicorn.protocols.http.h11_impl import H11Protocol

REQUEST_TIMEOUT = 10.0  # seconds for a client to send a whole request: request line, headers and body
MAX_CONNECTIONS = 200  # requests beyond this many connections (open or idle) are answered 503
MAX_HEADER_BYTES = 8 * 1024  # request line and headers still arriving; more is a 400 (h11 allows 16 KB)
KEEP_ALIVE_SECONDS = 5  # an idle connection between requests is closed after this

log = logging.getLogger(__name__)


class DeadlineH11Protocol(H11Protocol):
    """uvicorn's h11 protocol, closing a connection whose request is not in after ``request_timeout``."""

    request_timeout = REQUEST_TIMEOUT
    _deadline: asyncio.TimerHandle | None = None

    # Like uvicorn's own, it takes an asyncio.Transport (narrower than BaseProtocol's): ignored there too.
    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm()

    def data_received(self, data: bytes) -> None:
        if self.conn.their_state is h11.IDLE:  # a request starts (or goes on arriving)
            self._arm()
        super().data_received(data)
        if self.conn.their_state not in (h11.IDLE, h11.SEND_BODY):  # received whole (or upgraded, or bad)
            self._disarm()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def _arm(self) -> None:
        if self._deadline is None:
            self._deadline = self.loop.call_later(self.request_timeout, self._too_slow)

    def _disarm(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None

    def _too_slow(self) -> None:
        self._deadline = None
        if not self.transport.is_closing():
            log.debug("closing a connection that did not send its request in %s s", self.request_timeout)
            self.transport.close()


def server_config(
    app: ASGIApp,
    host: str,
    port: int,
    *,
    request_timeout: float = REQUEST_TIMEOUT,
    max_connections: int = MAX_CONNECTIONS,
    **options: Any,
) -> uvicorn.Config:
    """uvicorn's Config for ``app`` with the limits above; ``options`` (``log_config``, ...) go to uvicorn."""
    protocol = type("PagesProtocol", (DeadlineH11Protocol,), {"request_timeout": request_timeout})
    return uvicorn.Config(
        app,
        host=host,
        port=port,
        http=protocol,
        ws="none",  # no page speaks WebSocket
        limit_concurrency=max_connections,
        timeout_keep_alive=KEEP_ALIVE_SECONDS,
        h11_max_incomplete_event_size=MAX_HEADER_BYTES,
        server_header=False,
        **options,
    )
