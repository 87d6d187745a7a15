"""Due times live in the database: jittered, per-document intervals, kept across restarts, no overlap;
transient failures are retried sooner."""

from datetime import timedelta

import pytest
from sqlmodel import Session, select

from scraping.catalog import DocumentOptions, load_catalog
from scraping.check import Checker
from scraping.fetch import Fetcher, make_client
from scraping.politeness import HostLimiter
from scraping.schedule import CheckScheduler, document_interval, retry_delay, tick_seconds
from scraping.sync import sync_catalog
from storage.db import session_scope
from storage.models import Check, Document, FailureKind, Platform, utcnow
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
    assert document_interval(DocumentOptions.from_stored({"interval": "PT12H"}), HOUR) == 12 * HOUR
    assert document_interval(DocumentOptions.from_stored({}), HOUR) == HOUR
    assert document_interval(DocumentOptions.from_stored({"interval": "nonsense"}), HOUR) == HOUR
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


MINUTE = timedelta(minutes=1)


def test_retry_delays_double_and_respect_retry_after():
    assert [retry_delay(n) for n in (1, 2, 3, 4)] == [5 * MINUTE, 10 * MINUTE, 20 * MINUTE, 40 * MINUTE]
    assert retry_delay(1, retry_after=3600) == HOUR  # the server asked for an hour
    assert retry_delay(3, retry_after=30) == 20 * MINUTE
    assert retry_delay(10_000, retry_after=1e15) > 30 * 24 * HOUR  # no overflow, whatever the input


async def checked_once(engine, scheduler: CheckScheduler, clock: Clock, page_server, page: Page) -> timedelta:
    """Serve ``page``, let the scheduler check the due document, and return how long until it is due again."""
    page_server.serve("/zeekr", page)
    await scheduler.tick()
    await scheduler.drain()
    return due_times(engine)["zeekr"].replace(tzinfo=None) - clock.now.replace(tzinfo=None)


@pytest.mark.parametrize(
    ("page", "kind", "due_in"),
    [
        (Page(b"down", status=503), FailureKind.TRANSIENT, [5 * MINUTE, 10 * MINUTE, 20 * MINUTE]),
        (
            Page(b"slow down", status=429, headers={"Retry-After": "3600"}),
            FailureKind.TRANSIENT,
            [HOUR, HOUR, HOUR],
        ),
        (Page(b"<h1>Not Found</h1>", status=404), FailureKind.PERMANENT, [None, None, None]),
    ],
)
async def test_transient_failures_are_retried_sooner_never_later_than_the_interval(
    engine, page_server, tmp_path, page, kind, due_in
):
    """``due_in``: when the next check is due after each failure in a row (None: the normal interval)."""
    tracked_pair(engine, page_server, tmp_path, interval="12h")
    clock = Clock()
    async with make_client(allow_private_networks=True, timeout_seconds=5) as client:
        checker = Checker(engine, Fetcher(client, HostLimiter(delay=0), attempts=1), confirm_delay=0)
        scheduler = CheckScheduler(engine, checker, HOUR, idle, clock=clock)
        await scheduler.tick()  # both baselines
        await scheduler.drain()
        for expected in due_in:
            clock.now += 14 * HOUR  # zeekr (and nio) due again, whatever the jitter
            due = await checked_once(engine, scheduler, clock, page_server, page)
            if expected is None:
                assert 0.9 * 12 * HOUR <= due <= 1.1 * 12 * HOUR
            else:
                assert due == expected
        clock.now += 14 * HOUR
        assert await checked_once(engine, scheduler, clock, page_server, Page(OLD_PAGE)) >= 0.9 * 12 * HOUR
    with Session(engine) as session:
        checks = session.exec(select(Check).join(Document).where(Document.url.endswith("/zeekr"))).all()
    assert [check.failure_kind for check in checks] == [None, kind, kind, kind, None]


async def test_a_transient_retry_never_comes_after_the_normal_due_time(engine, page_server, tmp_path):
    tracked_pair(engine, page_server, tmp_path, interval="8m")
    clock = Clock()
    async with make_client(allow_private_networks=True, timeout_seconds=5) as client:
        checker = Checker(engine, Fetcher(client, HostLimiter(delay=0), attempts=1), confirm_delay=0)
        scheduler = CheckScheduler(engine, checker, HOUR, idle, clock=clock)
        await scheduler.tick()
        await scheduler.drain()
        for expected in (5 * MINUTE, None):  # the second retry (10 minutes) comes after the interval (8)
            clock.now += HOUR
            due = await checked_once(engine, scheduler, clock, page_server, Page(b"down", status=503))
            if expected is None:
                assert 0.9 * 8 * MINUTE <= due <= 1.1 * 8 * MINUTE
            else:
                assert due == expected


async def test_a_page_nobody_tracks_is_not_checked_and_retires_after_30_days_followers_or_not(engine):
    from scraping.tracking import add_tracked
    from storage.subscribers import ensure_subscriber, follow
    from storage.tracking import track, untrack

    clock = Clock()
    with session_scope(engine) as session:
        alone = add_tracked(session, "https://bank.example.org/privacy", "privacy_policy", clock.now)
        followed = add_tracked(session, "https://shop.example.net/privacy", "privacy_policy", clock.now)
        kept = add_tracked(session, "https://shop.example.net/terms", "terms", clock.now)
        chat = ensure_subscriber(session, 1, "private", "en")
        for document in (alone, followed, kept):
            track(session, chat, document)
        for document in (alone, followed):
            untrack(session, chat, document, clock.now)
        follow(
            session,
            ensure_subscriber(session, 2, "private", "en"),
            session.get(Platform, followed.platform_id),
        )
    scheduler = CheckScheduler(engine, None, HOUR, idle, clock=clock)
    # Nobody tracks them: not checked, whoever follows their platform; the tracked one is.
    assert [t.url for t in scheduler.claim_due()] == ["https://shop.example.net/terms"]
    assert scheduler.retire_unfollowed() == []
    clock.now += timedelta(days=30, minutes=1)
    retired = sorted(d.url for d in scheduler.retire_unfollowed())
    assert retired == ["https://bank.example.org/privacy", "https://shop.example.net/privacy"]
    with Session(engine) as session:
        assert (
            session.get(Document, alone.id).retired_at is not None
        )  # the history stays: retired, not deleted
        assert session.get(Document, followed.id).retired_at is not None  # followers do not keep it
        assert session.get(Document, kept.id).retired_at is None
