"""Due times live in the database: jittered, per-document intervals, kept across restarts, no overlap."""

from datetime import timedelta

from sqlmodel import Session, select

from scraping.catalog import load_catalog
from scraping.check import Checker
from scraping.fetch import Fetcher, make_client
from scraping.politeness import HostLimiter
from scraping.schedule import CheckScheduler, document_interval, tick_seconds
from scraping.sync import sync_catalog
from storage.db import session_scope
from storage.models import Check, Document, utcnow
from tests.conftest import nio, write_catalog, zeekr
from tests.pages import OLD_PAGE
from tests.servers import Page

HOUR = timedelta(hours=1)


class Clock:
    def __init__(self) -> None:
        self.now = utcnow()

    def __call__(self):
        return self.now


def tracked_pair(engine, page_server, tmp_path, **zeekr_options):
    urls = [page_server.serve(path, Page(OLD_PAGE, delay=0.5)) for path in ("/zeekr", "/nio")]
    catalog = write_catalog(tmp_path / "catalog.yaml", [zeekr(urls[0], **zeekr_options), nio(urls[1])])
    with session_scope(engine) as session:
        sync_catalog(session, load_catalog(catalog), utcnow())


def due_times(engine) -> dict[str, timedelta]:
    with Session(engine) as session:
        return {d.url.rsplit("/", 1)[1]: d.next_check_at for d in session.exec(select(Document))}


async def idle(*_):
    return None


def test_due_times_are_jittered_per_document_and_survive_a_restart(engine, page_server, tmp_path):
    tracked_pair(engine, page_server, tmp_path, interval="12h")
    clock = Clock()
    scheduler = CheckScheduler(engine, None, HOUR, idle, clock=clock)
    assert sorted(t.platform_slug for t in scheduler.claim_due()) == [
        "nio",
        "zeekr",
    ]  # never checked: due now
    due = due_times(engine)
    assert clock.now + 0.9 * HOUR <= due["nio"] <= clock.now + 1.1 * HOUR
    assert clock.now + 0.9 * 12 * HOUR <= due["zeekr"] <= clock.now + 1.1 * 12 * HOUR
    assert scheduler.claim_due() == []
    restarted = CheckScheduler(engine, None, HOUR, idle, clock=clock)  # a restart resets nothing
    clock.now += timedelta(minutes=30)
    assert restarted.claim_due() == []
    clock.now += timedelta(minutes=40)
    assert [t.platform_slug for t in restarted.claim_due()] == ["nio"]
    assert due_times(engine)["zeekr"] == due["zeekr"]


def test_intervals_and_ticks():
    assert document_interval({"interval": "PT12H"}, HOUR) == 12 * HOUR
    assert document_interval({}, HOUR) == HOUR
    assert document_interval({"interval": "nonsense"}, HOUR) == HOUR
    assert tick_seconds(timedelta(seconds=2)) == 1.0
    assert tick_seconds(timedelta(hours=6)) == 60.0


async def test_a_document_is_never_checked_twice_at_once(engine, page_server, tmp_path):
    tracked_pair(engine, page_server, tmp_path)
    clock = Clock()
    async with make_client(allow_private_networks=True, timeout_seconds=5) as client:
        checker = Checker(engine, Fetcher(client, HostLimiter()), confirm_delay=0)
        scheduler = CheckScheduler(engine, checker, timedelta(seconds=1), idle, clock=clock)
        await scheduler.tick()
        clock.now += timedelta(hours=1)  # due again while the first checks (0.5 s each) are running
        await scheduler.tick()
        await scheduler.tick()
        await scheduler.drain()
    with Session(engine) as session:
        assert len(session.exec(select(Check)).all()) == 2
    assert page_server.hits("/zeekr") == 1 and page_server.hits("/nio") == 1
