"""A real HTTP server on loopback serving fixture pages that tests can switch at any time."""

import contextlib
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler

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
