"""Each check keeps the response it read as a snapshot: once per distinct body, nothing for a 304."""

import pytest
from sqlmodel import Session, select

from scraping.check import Checker
from scraping.fetch import Fetcher, make_client
from scraping.politeness import HostLimiter
from storage.models import Check, CheckOutcome, Snapshot, Version
from storage.snapshots import raw_response
from tests.pages import NEW_PAGE, OLD_PAGE, SEED_OLD, policy_page, seed_text
from tests.scraping.test_check_faults import Tracker
from tests.servers import Page

pytestmark = pytest.mark.both_databases


@pytest.fixture
async def tracked(engine, page_server):
    """A tracker whose checks keep only the snapshots versions use."""
    async with make_client(allow_private_networks=True, timeout_seconds=5.0) as client:
        checker = Checker(
            engine, Fetcher(client, HostLimiter(delay=0)), confirm_delay=0, retention="versions"
        )
        yield Tracker(engine, page_server, checker)


def rows(engine, model: type) -> list:
    with Session(engine) as session:
        return list(session.exec(select(model).order_by(model.id)))


async def test_a_page_fetched_again_is_stored_once_and_its_version_points_to_it(tracked):
    tracked.track("/zeekr", Page(OLD_PAGE))
    await tracked.check()
    assert (await tracked.check()).outcome is CheckOutcome.UNCHANGED
    (snapshot,) = rows(tracked.engine, Snapshot)
    (version,) = rows(tracked.engine, Version)
    assert version.snapshot_id == snapshot.id and len(version.fingerprint) == 64
    assert [check.snapshot_id for check in rows(tracked.engine, Check)] == [snapshot.id, snapshot.id]
    assert (snapshot.url, snapshot.content_type, snapshot.charset) == (
        tracked.server.url("/zeekr"),
        "text/html; charset=utf-8",
        "utf-8",
    )
    with Session(tracked.engine) as session:
        assert raw_response(session, snapshot).body == OLD_PAGE


async def test_a_304_stores_nothing_new(tracked):
    tracked.track("/zeekr", Page(OLD_PAGE, etag='"v1"'))
    await tracked.check()
    assert (await tracked.check()).outcome is CheckOutcome.NOT_MODIFIED
    assert len(rows(tracked.engine, Snapshot)) == 1
    assert rows(tracked.engine, Check)[-1].snapshot_id is None


async def test_a_gbk_page_keeps_the_charset_it_was_read_with(tracked):
    gbk = policy_page(seed_text(SEED_OLD), charset="gbk").encode("gb18030")
    tracked.track("/zeekr", Page(gbk, content_type="text/html"))
    await tracked.check()
    (snapshot,) = rows(tracked.engine, Snapshot)
    assert (snapshot.content_type, snapshot.charset) == ("text/html", "gb18030")


async def test_with_versions_retention_responses_no_version_uses_are_dropped(tracked):
    pages = [Page(OLD_PAGE + f"<!-- served {n} -->".encode()) for n in range(3)]  # volatile bytes
    tracked.track("/zeekr", pages)
    for _ in pages:
        await tracked.check()
    tracked.server.pages["/zeekr"] = Page(NEW_PAGE)
    await tracked.check()
    versions = rows(tracked.engine, Version)
    assert sorted(s.id for s in rows(tracked.engine, Snapshot)) == sorted(v.snapshot_id for v in versions)


async def test_the_same_bytes_served_as_another_type_are_read_again(tracked):
    tracked.track("/zeekr", Page(OLD_PAGE, content_type="text/plain; charset=utf-8"))
    await tracked.check()
    tracked.server.pages["/zeekr"] = Page(OLD_PAGE)  # the very bytes of the version in force, now as HTML
    assert (await tracked.check()).outcome is CheckOutcome.NEW_VERSION
    as_text, as_html = rows(tracked.engine, Version)
    assert as_text.text.startswith("<!DOCTYPE html>") and "<" not in as_html.text
