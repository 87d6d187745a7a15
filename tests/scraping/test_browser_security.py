"""The browser against hostile pages: nothing local is read (issue 12, item 1), DNS is pinned (item 2),
bombs are capped (item 3). Real Chromium, pages on loopback.

With ``allow_private=False`` the guard is on: this test's DNS puts every host at a public-looking
address, which the tests' network routes to the loopback servers.
"""

import base64
import gzip
import zlib
from pathlib import Path

import pytest

from storage.models import CheckOutcome
from tests.pages import SEED_OLD, policy_page, script_rendered_page, seed_text
from tests.servers import PUBLIC_A, Page, RebindingDns, TcpListener

TEXT = seed_text(SEED_OLD)
SECRET = "本机文件中的秘密内容：root:x:0:0"  # what a local file holds; must never become a version
SECRET_PAGE = policy_page(TEXT + "\n" + SECRET)


async def everything_public(_host: str, _port: int) -> list[str]:
    """This test's DNS when the guard is on: every host at a public address (routed to loopback)."""
    return [PUBLIC_A]


@pytest.fixture
def secret_file(tmp_path: Path) -> Path:
    path = tmp_path / "secret.html"
    path.write_text(SECRET_PAGE, encoding="utf-8")
    return path


@pytest.fixture
def open_guarded(browser_tracker, network):
    """A tracker with the guard on (``allow_private=False``) or off; the pages are reachable either way."""
    network.routes[PUBLIC_A] = "127.0.0.1"

    async def open_tracker(allow_private: bool):
        return await browser_tracker(allow_private=allow_private, resolver=everything_public)

    return open_tracker


def stored_texts(tracker) -> str:
    return "\n".join(version.text for version in tracker.versions())


TARGETS = {
    "file": lambda secret: secret.as_uri(),
    "data": lambda _: (
        "data:text/html;base64," + base64.b64encode(f"<main><p>{SECRET}</p></main>".encode()).decode()
    ),
    "chrome": lambda _: "chrome://version/",
    "ftp": lambda _: "ftp://ftp.example.org/policy.html",
}


@pytest.mark.parametrize("allow_private", [True, False], ids=["private allowed", "private refused"])
@pytest.mark.parametrize("target", TARGETS.values(), ids=TARGETS.keys())
async def test_a_page_refusing_plain_http_cannot_redirect_the_browser_off_http(
    open_guarded, secret_file, target, allow_private
):
    tracker = await open_guarded(allow_private)
    location = target(secret_file)
    tracker.track("/p", Page(status=302, headers={"Location": location}, refuse_agent="PolicyWatch"))
    result = await tracker.check()
    assert result.outcome is CheckOutcome.FAILED and "only http(s) URLs are fetched" in result.reason
    assert location[:20] in result.reason
    assert tracker.versions() == []


NAVIGATIONS = {
    "script": lambda uri: f"<script>setTimeout(() => {{ location = {uri!r}; }}, 0)</script>",
    "meta refresh": lambda uri: f'<meta http-equiv="refresh" content="0;url={uri}">',
    "iframe": lambda uri: f'<iframe src="{uri}"></iframe>',
}


@pytest.mark.parametrize("allow_private", [True, False], ids=["private allowed", "private refused"])
@pytest.mark.parametrize("navigation", NAVIGATIONS.values(), ids=NAVIGATIONS.keys())
async def test_scripts_refreshes_and_frames_cannot_load_a_local_file(
    open_guarded, secret_file, navigation, allow_private
):
    tracker = await open_guarded(allow_private)
    page = policy_page(TEXT).replace("</body>", navigation(secret_file.as_uri()) + "</body>")
    tracker.track("/p", Page(page.encode(), refuse_agent="PolicyWatch"))
    result = await tracker.check()
    assert result.outcome is CheckOutcome.NEW_VERSION, result.reason
    assert SECRET not in stored_texts(tracker) and tracker.versions()[0].text == TEXT.replace("\xa0", " ")


def reaching_out(port: int) -> str:
    """A page that tries every way out of the route to a loopback port: socket, worker, stream, frame."""
    worker = f"fetch('http://localhost:{port}/from-worker').catch(() => {{}})"
    return f"""<script>
      try {{ new WebSocket('ws://127.0.0.1:{port}/'); }} catch (e) {{}}
      const link = document.createElement('link');
      link.rel = 'preconnect'; link.href = 'http://127.0.0.1:{port}/';
      document.head.appendChild(link);
      new Worker(URL.createObjectURL(new Blob([{worker!r}], {{type: 'text/javascript'}})));
      new EventSource('http://localhost:{port}/events');
      fetch('http://localhost:{port}/beacon', {{method: 'POST', body: 'x'}}).catch(() => {{}});
    </script><iframe src="http://localhost:{port}/frame"></iframe>"""


async def test_nothing_a_page_does_reaches_a_refused_address(browser_tracker, page_server, network):
    network.routes[PUBLIC_A] = "127.0.0.1"

    async def dns(host: str, _port: int) -> list[str]:
        """The page's host is public; localhost is what it is."""
        return ["127.0.0.1"] if host == "localhost" else [PUBLIC_A]

    tracker = await browser_tracker(allow_private=False, resolver=dns)
    with TcpListener() as listener:
        page = script_rendered_page(TEXT).replace("</body>", reaching_out(listener.port) + "</body>")
        tracker.track("/app", Page(page.encode()), render="browser")
        result = await tracker.check()
    assert result.outcome is CheckOutcome.NEW_VERSION, result.reason
    assert listener.connections == 0


async def test_websockets_and_preconnects_never_leave_the_browser_even_to_allowed_addresses(browser_tracker):
    tracker = await browser_tracker(allow_private=True)
    with TcpListener() as listener:
        sockets = (
            f"<script>new WebSocket('ws://127.0.0.1:{listener.port}/');</script>"
            f'<link rel="preconnect" href="http://127.0.0.1:{listener.port}/">'
        )
        page = script_rendered_page(TEXT).replace("</body>", sockets + "</body>")
        tracker.track("/app", Page(page.encode()), render="browser")
        result = await tracker.check()
    assert result.outcome is CheckOutcome.NEW_VERSION, result.reason
    assert listener.connections == 0


async def test_service_workers_are_blocked(browser_tracker, page_server):
    tracker = await browser_tracker(allow_private=True)
    page_server.serve(
        "/sw.js", Page(b"self.addEventListener('fetch', () => {});", content_type="text/javascript")
    )
    register = "<script>navigator.serviceWorker && navigator.serviceWorker.register('/sw.js')</script>"
    page = script_rendered_page(TEXT).replace("</body>", register + "</body>")
    tracker.track("/app", Page(page.encode()), render="browser")
    result = await tracker.check()
    assert result.outcome is CheckOutcome.NEW_VERSION, result.reason
    assert page_server.hits("/sw.js") == 0


async def test_the_browser_is_connected_at_the_address_that_was_checked(
    browser_tracker, page_server, network
):
    network.routes[PUBLIC_A] = "127.0.0.1"
    tracker = await browser_tracker(allow_private=False, resolver=RebindingDns("localhost", PUBLIC_A))
    tracker.track("/app", Page(script_rendered_page(TEXT).encode()), host="localhost", render="browser")
    result = await tracker.check()
    assert network.dialled_hosts() == {PUBLIC_A}, "connected somewhere the guard did not check"
    assert result.outcome is CheckOutcome.NEW_VERSION, result.reason


async def test_a_compression_bomb_fails_in_the_browser_too(browser_tracker):
    tracker = await browser_tracker(allow_private=True)
    compressor = zlib.compressobj(1, zlib.DEFLATED, zlib.MAX_WBITS | 16)
    body = compressor.compress(bytes(64 * 1024 * 1024)) + compressor.flush()
    bomb = gzip.compress(gzip.compress(body))
    tracker.track("/app", Page(bomb, headers={"Content-Encoding": "gzip, gzip, gzip"}), render="browser")
    result = await tracker.check()
    assert result.outcome is CheckOutcome.FAILED and "encoded 3 times" in result.reason


async def test_cookies_set_by_the_page_and_its_server_are_sent_back(browser_tracker, page_server):
    tracker = await browser_tracker(allow_private=True)
    challenge = Page(
        b"<script>document.cookie = 'challenge=passed; path=/'; location.reload();</script>",
        headers={"Set-Cookie": "session=abc; Path=/"},
    )
    tracker.track("/app", [challenge, Page(script_rendered_page(TEXT).encode())], render="browser")
    result = await tracker.check()
    assert result.outcome is CheckOutcome.NEW_VERSION, result.reason
    cookies = [
        next((value for name, value in headers.items() if name.lower() == "cookie"), "")
        for path, headers in page_server.requests
        if path == "/app"
    ]
    assert cookies[:2] == ["", "session=abc; challenge=passed"]  # the second is the reload
