"""A real HTTP server on loopback serving fixture pages that tests can switch at any time."""

import contextlib
import socket
import ssl
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import httpcore
import pytest

from tests.loopback import LoopbackServer, next_in_script


@dataclass
class Page:
    """One canned answer; ``etag``/``last_modified`` make the server answer conditional requests."""

    body: bytes = b""
    status: int = 200
    content_type: str = "text/html; charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)
    etag: str | None = None
    last_modified: str | None = None
    delay: float = 0.0  # seconds to wait before answering
    declared_length: int | None = None  # a Content-Length other than the body's (a truncated body)
    refuse_agent: str | None = None  # answer 403 to clients whose User-Agent contains this
    drip: float = 0.0  # seconds between each of 10 slices of the body (a slow body)


class PageServer(LoopbackServer):
    """Serves ``pages[path]``; records every request's path and headers in ``requests``."""

    def __init__(self) -> None:
        self.pages: dict[str, Page | list[Page]] = {}
        self.requests: list[tuple[str, dict[str, str]]] = []
        super().__init__(self._handler_class())

    def url(self, path: str) -> str:
        return self.origin + path

    def serve(self, path: str, page: Page | list[Page]) -> str:
        """Serve ``page``; a list is served in turn, its last page again and again."""
        self.pages[path] = page
        return self.url(path)

    def _next_page(self, path: str) -> Page | None:
        page = self.pages.get(path)
        return None if page is None else next_in_script(page, self.script_lock)

    def hits(self, path: str) -> int:
        return sum(1 for requested, _ in self.requests if requested == path)

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                server.requests.append((self.path, dict(self.headers)))
                page = server._next_page(self.path)
                if page is None:
                    self._answer(Page(b"<h1>Not Found</h1>", status=404))
                elif page.refuse_agent and page.refuse_agent in self.headers.get("User-Agent", ""):
                    self._answer(Page(b"<h1>Forbidden</h1>", status=403))
                elif page.etag and self.headers.get("If-None-Match") == page.etag:
                    self._answer(Page(status=304, etag=page.etag))
                elif page.last_modified and self.headers.get("If-Modified-Since") == page.last_modified:
                    self._answer(Page(status=304, last_modified=page.last_modified))
                else:
                    self._answer(page)

            def _answer(self, page: Page) -> None:
                time.sleep(page.delay)
                self.send_response(page.status)
                headers = {"Content-Type": page.content_type, **page.headers}
                if page.etag:
                    headers["ETag"] = page.etag
                if page.last_modified:
                    headers["Last-Modified"] = page.last_modified
                for name, value in headers.items():
                    self.send_header(name, value)
                if page.status != 304:
                    self.send_header("Content-Length", str(page.declared_length or len(page.body)))
                self.end_headers()
                if page.status != 304:
                    # the client may give up reading (size caps, timeouts)
                    with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                        self._write_body(page)
                if page.declared_length:
                    self.close_connection = True

            def _write_body(self, page: Page) -> None:
                if not page.drip:
                    self.wfile.write(page.body)
                    return
                size = len(page.body) // 10 + 1
                for start in range(0, len(page.body), size):
                    self.wfile.write(page.body[start : start + size])
                    self.wfile.flush()
                    time.sleep(page.drip)

            def log_message(self, *_: object) -> None:
                pass

        return Handler


LOOPBACK_HOSTS = frozenset({"127.0.0.1", "::1", "localhost"})


class Network:
    """The tests' network, at httpcore's dialler: every TCP dial is recorded, and none leaves the machine.

    ``routes`` makes an address (a public-looking one, say) lead to a loopback address, as if that
    server lived there; other non-loopback addresses are unreachable. Install it with ``install``.
    """

    def __init__(self) -> None:
        self.routes: dict[str, str] = {}
        self.dials: list[tuple[str, int]] = []

    def dialled_hosts(self) -> set[str]:
        return {host for host, _ in self.dials}

    def install(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """Route every httpcore dial in this process through the network (undone with ``monkeypatch``)."""
        original = httpcore.AnyIOBackend.connect_tcp
        network = self

        async def connect_tcp(
            backend: httpcore.AnyIOBackend, host: str, port: int, *args: object, **kwargs: object
        ) -> httpcore.AsyncNetworkStream:
            network.dials.append((host, port))
            target = network.routes.get(host, host)
            if target not in LOOPBACK_HOSTS:
                raise httpcore.ConnectError(f"{host} is unreachable from the tests' network")
            return await original(backend, target, port, *args, **kwargs)

        monkeypatch.setattr(httpcore.AnyIOBackend, "connect_tcp", connect_tcp)


class TlsPageServer(PageServer):
    """The page server over TLS with the given certificate; records the server names (SNI) clients ask for."""

    def __init__(self, certificate: Path, key: Path) -> None:
        super().__init__()
        self.server_names: list[str | None] = []
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(certificate, key)
        context.sni_callback = lambda _socket, name, _context: self.server_names.append(name)
        self._server.socket = context.wrap_socket(self._server.socket, server_side=True)

    @property
    def port(self) -> int:
        return self._server.server_address[1]


class TcpListener:
    """A bare TCP port on loopback that counts the connections made to it (nothing should come)."""

    def __init__(self) -> None:
        self._socket = socket.create_server(("127.0.0.1", 0))
        self._socket.settimeout(0.2)
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self.connections = 0

    @property
    def port(self) -> int:
        return self._socket.getsockname()[1]

    def _accept(self) -> None:
        while not self._stopping.is_set():
            try:
                connection, _ = self._socket.accept()
            except TimeoutError:
                continue
            self.connections += 1
            connection.close()

    def __enter__(self) -> "TcpListener":
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stopping.set()
        self._thread.join()
        self._socket.close()


PUBLIC_A, PUBLIC_B = "93.184.216.34", "93.184.216.35"  # public-looking; the tests' network routes them


class RebindingDns:
    """A DNS for tests: a host's first answers are the scripted ones, then it rebinds to 127.0.0.1."""

    def __init__(self, host: str, *first: str) -> None:
        self.host, self.first = host, list(first)
        self.lookups = 0

    async def __call__(self, host: str, _port: int) -> list[str]:
        assert host == self.host
        self.lookups += 1
        return [self.first.pop(0) if self.first else "127.0.0.1"]


def on_host(url: str, host: str) -> str:
    """``url`` (on 127.0.0.1) with ``host`` in its place."""
    return url.replace("127.0.0.1", host, 1)
