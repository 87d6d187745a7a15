"""What the tests' fake servers share: a threaded HTTP server on a free loopback port, and scripts."""

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Self, TypeVar

Scripted = TypeVar("Scripted")


def next_in_script(script: Scripted | list[Scripted], lock: threading.Lock) -> Scripted:
    """A list is answered in turn, its last item again and again; anything else every time."""
    with lock:
        if isinstance(script, list):
            return script.pop(0) if len(script) > 1 else script[0]
        return script


class LoopbackServer:
    """Runs ``handler`` on 127.0.0.1 in a thread, as a context manager."""

    def __init__(self, handler: type[BaseHTTPRequestHandler]) -> None:
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        # serve_forever polls for shutdown every 0.5 s by default: each test would wait that long to stop it
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.02,), daemon=True)
        self.script_lock = threading.Lock()  # guards scripted answers served from several threads

    @property
    def origin(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._server.shutdown()
        self._server.server_close()
