"""A real HTTP server on loopback serving fixture pages that tests can switch at any time."""

import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Page:
    """One canned answer; ``etag``/``last_modified`` make the server answer conditional requests."""

    body: bytes = b""
    status: int = 200
    content_type: str = "text/html; charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)
    etag: str | None = None
    last_modified: str | None = None


class PageServer:
    """Serves ``pages[path]``; records every request's path and headers in ``requests``."""

    def __init__(self) -> None:
        self.pages: dict[str, Page] = {}
        self.requests: list[tuple[str, dict[str, str]]] = []
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def url(self, path: str) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}{path}"

    def serve(self, path: str, page: Page) -> str:
        self.pages[path] = page
        return self.url(path)

    def hits(self, path: str) -> int:
        return sum(1 for requested, _ in self.requests if requested == path)

    def __enter__(self) -> "PageServer":
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                server.requests.append((self.path, dict(self.headers)))
                page = server.pages.get(self.path)
                if page is None:
                    self._answer(Page(b"<h1>Not Found</h1>", status=404))
                elif page.etag and self.headers.get("If-None-Match") == page.etag:
                    self._answer(Page(status=304, etag=page.etag))
                elif page.last_modified and self.headers.get("If-Modified-Since") == page.last_modified:
                    self._answer(Page(status=304, last_modified=page.last_modified))
                else:
                    self._answer(page)

            def _answer(self, page: Page) -> None:
                self.send_response(page.status)
                headers = {"Content-Type": page.content_type, **page.headers}
                if page.etag:
                    headers["ETag"] = page.etag
                if page.last_modified:
                    headers["Last-Modified"] = page.last_modified
                for name, value in headers.items():
                    self.send_header(name, value)
                if page.status != 304:
                    self.send_header("Content-Length", str(len(page.body)))
                self.end_headers()
                if page.status != 304:
                    self.wfile.write(page.body)

            def log_message(self, *_: object) -> None:
                pass

        return Handler
