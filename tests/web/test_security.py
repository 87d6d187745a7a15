"""Hostile requests: headers every answer carries, links that ignore the Host header, guarded endpoints."""

import httpx
import pytest
from lxml import html as lxml_html

from storage.db import make_engine
from tests.web.conftest import running
from web.app import WebConfig, create_app

PUBLIC = "https://policywatch.example"
TOKEN = "metrics-secret-token"
DIFF_REVERSED = "/p/zeekr/privacy_policy/diff/2..1"
PAGES = [
    "/",
    "/p/zeekr",
    "/p/zeekr/privacy_policy/compare",
    "/p/zeekr/privacy_policy/diff/1..2",
    "/p/zeekr/privacy_policy/v/1.txt",
    "/p/zeekr/privacy_policy/v/1",
    "/p/zeekr/ask?q=%E6%8C%87%E7%BA%B9",
    "/feeds/all.atom",
    "/p/zeekr/feed.atom",
    "/healthz",
    "/no/such/page",
]


def asgi_client(app, client_host: str) -> httpx.AsyncClient:
    """The app over ASGI, as seen from ``client_host`` (a real server on loopback is always 127.0.0.1)."""
    transport = httpx.ASGITransport(app=app, client=(client_host, 40000))
    return httpx.AsyncClient(transport=transport, base_url="http://testserver")


@pytest.mark.parametrize("path", PAGES)
def test_every_answer_carries_the_security_headers(site, path):
    headers = httpx.get(site + path, timeout=30).headers
    policy = {
        part.strip().split(" ")[0]: part.strip() for part in headers["content-security-policy"].split(";")
    }
    assert policy["default-src"] == "default-src 'self'"
    assert policy["frame-ancestors"] == "frame-ancestors 'none'"
    assert "unsafe-inline" not in headers["content-security-policy"]
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] == "same-origin"


@pytest.mark.parametrize("path", [p for p in PAGES if not p.endswith((".txt", ".atom", "healthz"))])
def test_pages_need_no_inline_script_or_style(site, path):
    page = lxml_html.fromstring(httpx.get(site + path, timeout=30).text)
    assert page.xpath("//script | //style | //*[@style]") == []
    assert [a for a in page.xpath("//@*") if a.attrname.startswith("on")] == []
    stylesheet = page.xpath("//link[@rel='stylesheet']/@href")[0]
    css = httpx.get(site + stylesheet, timeout=30)
    assert css.status_code == 200 and css.headers["content-type"].startswith("text/css")
    assert "table.diff" in css.text


@pytest.mark.parametrize(("method", "path"), [("POST", "/"), ("DELETE", "/p/zeekr"), ("PUT", "/healthz")])
def test_a_wrong_method_gets_405_with_allow(site, method, path):
    response = httpx.request(method, site + path, timeout=30)
    assert response.status_code == 405
    assert set(response.headers["allow"].replace(" ", "").split(",")) == {"GET", "HEAD"}


def test_links_and_redirects_come_from_public_url_not_the_host_header(site):
    evil = {"Host": "evil.example", "X-Forwarded-Host": "evil.example"}
    for path in [*PAGES, "/p/zeekr/privacy_policy/compare?from=1&to=2", "/p/zeekr/", DIFF_REVERSED]:
        response = httpx.get(site + path, headers=evil, timeout=30, follow_redirects=False)
        assert "evil.example" not in response.text, path
        assert "evil.example" not in response.headers.get("location", ""), path
    redirect = httpx.get(site + "/p/zeekr/privacy_policy/compare?from=1&to=2", headers=evil, timeout=30)
    assert redirect.headers["location"] == PUBLIC + "/p/zeekr/privacy_policy/diff/1..2"
    diff = lxml_html.fromstring(httpx.get(site + "/p/zeekr/privacy_policy/diff/1..2", headers=evil).text)
    assert diff.xpath("//link[@rel='canonical']/@href") == [PUBLIC + "/p/zeekr/privacy_policy/diff/1..2"]


async def test_metrics_needs_the_token_or_a_loopback_client(seeded):
    app = create_app(seeded, WebConfig(public_url=PUBLIC, metrics_token=TOKEN))
    async with asgi_client(app, "203.0.113.7") as remote:
        refused = await remote.get("/metrics")
        assert refused.status_code == 401 and refused.headers["www-authenticate"].startswith("Bearer")
        assert "policywatch_" not in refused.text
        for wrong in ("Bearer nope", f"Basic {TOKEN}", f"Bearer {TOKEN}x", "Bearer "):
            assert (await remote.get("/metrics", headers={"Authorization": wrong})).status_code == 401
        allowed = await remote.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
        assert allowed.status_code == 200 and "policywatch_versions_total" in allowed.text
    for loopback in ("127.0.0.1", "::1", "::ffff:127.0.0.1"):
        async with asgi_client(app, loopback) as local:
            assert (await local.get("/metrics")).status_code == 200, loopback


async def test_without_a_token_metrics_are_for_loopback_only(seeded):
    app = create_app(seeded, WebConfig(public_url=PUBLIC))
    async with asgi_client(app, "198.51.100.1") as remote:
        assert (await remote.get("/metrics", headers={"Authorization": "Bearer "})).status_code == 401
    with running(app) as site:
        assert httpx.get(site + "/metrics", timeout=30).status_code == 200


def test_healthz_does_not_tell_the_drivers_message():
    engine = make_engine("postgresql://watcher:hunter2@127.0.0.1:9/policywatch")
    with running(create_app(engine, WebConfig(public_url=PUBLIC))) as site:
        response = httpx.get(site + "/healthz", timeout=30)
    assert response.status_code == 503
    assert response.json() == {"status": "error", "database": "database unavailable"}


def test_behind_a_proxy_on_this_machine_the_forwarded_client_is_the_one_that_counts(seeded):
    with running(create_app(seeded, WebConfig(public_url=PUBLIC, metrics_token=TOKEN))) as site:
        for forwarded in ("203.0.113.9", "127.0.0.1, 203.0.113.9"):  # the second: a client's forged first hop
            response = httpx.get(site + "/metrics", headers={"X-Forwarded-For": forwarded}, timeout=30)
            assert response.status_code == 401, forwarded
        assert httpx.get(site + "/metrics", timeout=30).status_code == 200
