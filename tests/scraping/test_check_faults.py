"""Checking documents against a hostile web: every fault is a recorded reason, never a new version."""

import gzip
import time
from pathlib import Path

import httpx
import pytest
import yaml
from sqlmodel import Session, select
from tenacity import wait_none

from scraping.catalog import parse_catalog
from scraping.check import Checker, CheckResult, active_targets
from scraping.errors import PermanentFetchError
from scraping.fetch import Fetcher, fetch_url, make_client
from scraping.politeness import HostLimiter
from scraping.sync import sync_catalog
from storage.db import session_scope
from storage.models import CheckOutcome, Document, FailureKind, Version, utcnow
from tests.conftest import zeekr
from tests.corpus import CORPUS
from tests.pages import NEW_PAGE, OLD_PAGE, SEED_NEW, SEED_OLD, policy_page, policy_pdf, seed_text
from tests.servers import Page, on_host

OLD_TEXT, NEW_TEXT = seed_text(SEED_OLD), seed_text(SEED_NEW)
FAILED, UNCHANGED, NEW = CheckOutcome.FAILED, CheckOutcome.UNCHANGED, CheckOutcome.NEW_VERSION
TRANSIENT, PERMANENT = FailureKind.TRANSIENT, FailureKind.PERMANENT


class Tracker:
    """One catalog document served by the page server, checked with real HTTP and a real database."""

    def __init__(self, engine, server, checker: Checker) -> None:
        self.engine, self.server, self.checker = engine, server, checker

    def track(
        self, path: str, page: Page | list[Page], *, host: str | None = None, **document: object
    ) -> None:
        """Serve ``page`` at ``path`` and track it (at ``host`` instead of 127.0.0.1, when given)."""
        url = self.server.serve(path, page)
        if host:
            url = on_host(url, host)
        catalog = parse_catalog(yaml.safe_dump({"platforms": [zeekr(url, **document)]}), Path("test.yaml"))
        with session_scope(self.engine) as session:
            sync_catalog(session, catalog, utcnow())

    async def check(self) -> CheckResult:
        with Session(self.engine) as session:
            (target,) = active_targets(session)
        return await self.checker.check(target)

    def versions(self) -> list[Version]:
        with Session(self.engine) as session:
            return list(session.exec(select(Version).order_by(Version.id)))

    def failures(self) -> int:
        with Session(self.engine) as session:
            return session.exec(select(Document)).one().consecutive_failures


@pytest.fixture
async def tracker(engine, page_server):
    async with make_client(allow_private_networks=True, timeout_seconds=1.0) as client:
        # no backoff between attempts (a Retry-After still counts): the tests count attempts, not time
        fetcher = Fetcher(client, HostLimiter(delay=0), backoff=wait_none())
        yield Tracker(engine, page_server, Checker(engine, fetcher, confirm_delay=0))


async def test_gbk_pages_mislabelled_or_unlabelled_decode_to_the_policy(tracker):
    gbk = policy_page(OLD_TEXT, charset="utf-8").encode("gb18030")  # the meta tag lies
    tracker.track("/p", Page(gbk, content_type="text/html"))
    assert (await tracker.check()).outcome is NEW
    assert tracker.versions()[0].text == OLD_TEXT.replace("\xa0", " ")
    tracker.server.pages["/p"] = Page(
        policy_page(OLD_TEXT).encode("gb18030"), content_type="text/html; charset=GB2312"
    )
    assert (await tracker.check()).outcome is UNCHANGED


async def test_gbk_page_without_any_label_after_24kb_of_ascii_script(tracker):
    page = policy_page(OLD_TEXT).replace('<meta charset="utf-8">', "")
    body = ("<script>" + "var x = 1;\n" * 2400 + "</script>").encode("ascii") + page.encode("gb18030")
    tracker.track("/p", Page(body, content_type="text/html"))
    assert (await tracker.check()).outcome is NEW
    assert "极物商城由关联方浙江浩物网络科技有限公司负责运营" in tracker.versions()[0].text


async def test_server_errors_are_retried_then_succeed(tracker):
    tracker.track("/p", [Page(b"oops", status=500), Page(b"busy", status=503), Page(OLD_PAGE)])
    assert (await tracker.check()).outcome is NEW
    assert tracker.server.hits("/p") == 3


async def test_429_honours_retry_after(tracker):
    tracker.track("/p", [Page(b"slow down", status=429, headers={"Retry-After": "1"}), Page(OLD_PAGE)])
    started = time.monotonic()
    assert (await tracker.check()).outcome is NEW
    assert time.monotonic() - started >= 1.0


@pytest.mark.parametrize(
    ("page", "reason", "attempts", "kind"),
    [
        (Page(b"<h1>Not Found</h1>", status=404), "HTTP 404", 1, PERMANENT),
        (Page(b"down", status=500), "HTTP 500", 3, TRANSIENT),
        (Page(b"slow down", status=429), "HTTP 429", 3, TRANSIENT),
        (Page(b"go away", status=403), "HTTP 403", 1, PERMANENT),
        (Page(OLD_PAGE, delay=2.0), "timed out", 3, TRANSIENT),
        (Page(OLD_PAGE, drip=0.3), "timed out", 3, TRANSIENT),
        (Page(OLD_PAGE, declared_length=len(OLD_PAGE) * 2), "network error", 3, TRANSIENT),
        (Page(b"x" * (50 * 1024 * 1024)), "larger than 10 MB", 1, PERMANENT),
        (
            Page(gzip.compress(b" " * (200 * 1024 * 1024)), headers={"Content-Encoding": "gzip"}),
            "larger than 10 MB",
            1,
            PERMANENT,
        ),
        (Page("<html><body><p>请输入验证码</p></body>".encode()), "captcha", 2, PERMANENT),
        (Page("<main><h1>登录</h1><p>请登录后查看完整内容</p></main>".encode()), "login page", 2, PERMANENT),
        (Page("<html><body><h1>404 页面不存在</h1></body></html>".encode()), "error page", 2, PERMANENT),
        # what acdelco.com served Open Terms Archive in place of its policy (tests/fixtures/corpus)
        (Page((CORPUS / "acdelco-maintenance.html").read_bytes()), "error page", 2, PERMANENT),
        (Page(b"<html><body></body></html>"), "no text", 1, PERMANENT),
    ],
)
async def test_faults_are_failed_checks_with_a_reason(tracker, page, reason, attempts, kind):
    """``attempts``: retries for transient faults, a confirming fetch for a text that differs; ``kind``:
    transient faults are retried sooner by the scheduler, permanent ones wait for the next interval."""
    tracker.track("/p", Page(OLD_PAGE))
    await tracker.check()
    tracker.server.pages["/p"] = page
    before = tracker.server.hits("/p")
    result = await tracker.check()
    assert result.outcome is FAILED and reason in result.reason and result.failure_kind is kind
    assert tracker.server.hits("/p") - before == attempts
    assert len(tracker.versions()) == 1 and tracker.failures() == 1


async def test_faults_on_the_first_fetch_make_no_baseline(tracker):
    tracker.track("/p", Page("<p>请完成安全验证</p><p>拖动滑块</p>".encode()))
    assert (await tracker.check()).outcome is FAILED
    assert tracker.versions() == []


async def test_redirects_are_followed_and_loops_stopped(tracker):
    tracker.server.serve("/final", Page(OLD_PAGE))
    for hop in range(3):
        tracker.server.serve(f"/hop{hop}", Page(status=302, headers={"Location": f"/hop{hop + 1}"}))
    tracker.server.serve("/hop3", Page(status=301, headers={"Location": "/final"}))
    tracker.track("/p", Page(status=302, headers={"Location": "/hop0"}))
    assert (await tracker.check()).outcome is NEW
    tracker.server.pages["/p"] = Page(status=302, headers={"Location": "/p"})
    looped = await tracker.check()
    assert looped.outcome is FAILED and "more than 5 redirects" in looped.reason


async def test_an_empty_selector_is_a_failure(tracker):
    tracker.track("/p", Page(OLD_PAGE), select=[".policy-content"])
    result = await tracker.check()
    assert (
        result.outcome is FAILED and "matched nothing" in result.reason and result.failure_kind is PERMANENT
    )


async def test_last_modified_makes_a_304(tracker):
    tracker.track("/p", Page(OLD_PAGE, last_modified="Mon, 10 Nov 2025 21:38:00 GMT"))
    await tracker.check()
    assert (await tracker.check()).outcome is CheckOutcome.NOT_MODIFIED


async def test_per_request_noise_is_not_a_change(tracker):
    def noisy(n: int) -> Page:
        extra = (
            f'<p>本页阅读量: {1000 + n}</p><p><a href="/x?rid={n}abc">相关链接</a></p>'
            f"<p>csrf_token=Ab{n}9fQ2ZkLmNoPqRsTuVwXyZ0123456789abcdEF</p><p>页面生成于{n}分钟前</p>"
        )
        return Page(OLD_PAGE.replace(b"</article>", extra.encode() + b"</article>"))

    tracker.track("/p", noisy(1))
    assert (await tracker.check()).outcome is NEW
    for n in range(2, 5):
        tracker.server.pages["/p"] = noisy(n)
        assert (await tracker.check()).outcome is UNCHANGED
    assert len(tracker.versions()) == 1


async def test_an_ab_page_alternating_two_texts_makes_no_version(tracker):
    tracker.track("/p", Page(OLD_PAGE))
    await tracker.check()
    tracker.server.pages["/p"] = [Page(NEW_PAGE), Page(OLD_PAGE)] * 5 + [Page(NEW_PAGE)]
    for _ in range(4):
        assert (await tracker.check()).outcome is UNCHANGED
    assert len(tracker.versions()) == 1


async def test_a_change_that_holds_on_the_confirming_fetch_is_a_version(tracker):
    tracker.track("/p", Page(OLD_PAGE))
    await tracker.check()
    tracker.server.pages["/p"] = Page(NEW_PAGE)
    before = tracker.server.hits("/p")
    assert (await tracker.check()).outcome is NEW
    assert tracker.server.hits("/p") - before == 2


async def test_a_text_that_changes_again_while_confirmed_is_a_transient_failure(tracker):
    tracker.track("/p", Page(OLD_PAGE))
    await tracker.check()
    tracker.server.pages["/p"] = [Page(NEW_PAGE), Page(policy_page(NEW_TEXT + "\n第三个版本。").encode())]
    result = await tracker.check()
    assert result.outcome is FAILED and "changed again" in result.reason and result.failure_kind is TRANSIENT
    assert len(tracker.versions()) == 1


@pytest.mark.parametrize(
    ("replacement", "reason"),
    [
        ("\n".join(OLD_TEXT.split("\n")[:140]), "shrank"),
        (
            "Privacy Policy\n"
            + "We collect and use your personal information to provide the service.\n" * 300,
            "another language",
        ),
    ],
)
async def test_a_suspicious_text_becomes_a_large_change_only_after_three_checks(tracker, replacement, reason):
    tracker.track("/p", Page(OLD_PAGE))
    await tracker.check()
    tracker.server.pages["/p"] = Page(policy_page(replacement).encode())
    for seen in (1, 2):
        result = await tracker.check()
        assert result.outcome is FAILED and reason in result.reason and f"seen {seen} of 3" in result.reason
        assert result.failure_kind is PERMANENT  # accepted after more sightings, not sooner ones
    assert tracker.failures() == 2
    accepted = await tracker.check()
    assert accepted.outcome is NEW
    assert [v.is_large_change for v in tracker.versions()] == [False, True]
    assert tracker.failures() == 0


async def test_private_addresses_are_refused_before_connecting(engine, page_server):
    async with make_client() as client:
        checker = Checker(engine, Fetcher(client, HostLimiter(delay=0)), confirm_delay=0)
        tracker = Tracker(engine, page_server, checker)
        tracker.track("/p", Page(OLD_PAGE))
        result = await tracker.check()
    assert result.outcome is FAILED and "non-public address 127.0.0.1" in result.reason
    assert page_server.requests == []


async def test_the_policy_coming_back_ends_a_suspicious_streak(tracker):
    tracker.track("/p", Page(OLD_PAGE, etag='"old"'))
    await tracker.check()
    shrunk = Page(policy_page("\n".join(OLD_TEXT.split("\n")[:140])).encode())
    for _ in range(2):
        tracker.server.pages["/p"] = shrunk
        assert (await tracker.check()).outcome is FAILED
        tracker.server.pages["/p"] = Page(OLD_PAGE, etag='"old"')
        assert (await tracker.check()).outcome is CheckOutcome.NOT_MODIFIED
    tracker.server.pages["/p"] = shrunk
    result = await tracker.check()
    assert result.outcome is FAILED and "seen 1 of 3" in result.reason
    assert len(tracker.versions()) == 1


async def test_a_pdf_policy_is_tracked_like_a_page(tracker):
    tracker.track("/policy.pdf", Page(policy_pdf(OLD_TEXT), content_type="application/pdf"))
    assert (await tracker.check()).outcome is NEW
    tracker.server.pages["/policy.pdf"] = Page(policy_pdf(NEW_TEXT), content_type="application/pdf")
    assert (await tracker.check()).outcome is NEW
    old, new = (version.text.split("\n") for version in tracker.versions())
    changed = [(a, b) for a, b in zip(old, new, strict=True) if a != b]
    assert len(changed) == 1 and "浙江浩物" in changed[0][0] and "浙江吉利汽车备件" in changed[0][1]
    assert tracker.versions()[1].stated_update_date.isoformat() == "2025-05-19"


async def test_a_redirect_to_a_private_address_is_refused_before_connecting(engine, page_server, network):
    network.routes["93.184.216.34"] = "127.0.0.1"  # the public address the first hop is connected at

    async def resolver(host: str, _port: int) -> list[str]:
        """This test's DNS: the first hop passes for a public host, the redirect target is loopback."""
        return ["93.184.216.34"] if host == "127.0.0.1" else ["127.0.0.1"]

    port = httpx.URL(page_server.url("/")).port
    page_server.serve("/final", Page(OLD_PAGE))
    async with make_client(resolver=resolver) as client:
        tracker = Tracker(engine, page_server, Checker(engine, Fetcher(client, HostLimiter(delay=0)), 0))
        tracker.track("/p", Page(status=302, headers={"Location": f"http://localhost:{port}/final"}))
        result = await tracker.check()
    assert (
        result.outcome is FAILED and "localhost resolves to the non-public address 127.0.0.1" in result.reason
    )
    assert page_server.hits("/p") == 1 and page_server.hits("/final") == 0


@pytest.mark.parametrize(
    "url",
    ["http://10.0.0.1/privacy", "http://169.254.169.254/latest", "http://[::1]:8080/", "http://224.0.0.1/"],
)
async def test_non_public_hosts_are_refused_before_any_connection(url):
    async with make_client() as client:
        with pytest.raises(PermanentFetchError, match="non-public address"):
            await fetch_url(client, url)


async def test_a_gbk_page_served_as_latin_1_is_not_mojibake(tracker):
    body = policy_page(OLD_TEXT, charset="iso-8859-1").encode("gb18030")
    tracker.track("/p", Page(body, content_type="text/html; charset=ISO-8859-1"))
    assert (await tracker.check()).outcome is NEW
    assert tracker.versions()[0].text == OLD_TEXT.replace("\xa0", " ")
