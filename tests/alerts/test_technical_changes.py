"""A change of our rules or our extractor is recorded as technical and never alerted; the policy's own
change is alerted once, its diff against the version in force as today's rules read it.

Real HTTP from the loopback page server, real checks and storage (both databases), the alert pipeline
and the sender against the fake Bot API server.
"""

import pytest
from sqlmodel import Session, select

import scraping.extract
import scraping.rules
from alerts.channel import Channel
from analysis.diff import build_diff
from scraping.check import Checker, CheckResult
from scraping.fetch import Fetcher, make_client
from scraping.politeness import HostLimiter
from storage.db import session_scope
from storage.models import CheckOutcome, Document, Snapshot, Version
from storage.subscribers import ensure_subscriber
from storage.versions import FetchFacts, record_text
from storage.watches import add_watch
from tests.alerts.test_channel import channel_pipeline, drain_with
from tests.alerts.test_delivery import drain, pipeline, subscribe
from tests.pages import NEW_COMPANY, NEW_PAGE, OLD_COMPANY, OLD_PAGE, SEED_OLD, seed_text
from tests.scraping.test_check_faults import Tracker
from tests.servers import Page

pytestmark = pytest.mark.both_databases

POLICY = {"select": ["article.policy"]}
WIDER = {"select": ["body"]}  # the example: the whole page, site furniture included
FOOTER = "© 2025 浙江极氪智能科技有限公司 版权所有"
TECHNICAL, NEW, REVERTED = CheckOutcome.TECHNICAL, CheckOutcome.NEW_VERSION, CheckOutcome.REVERTED


@pytest.fixture
async def tracker(engine, page_server):
    async with make_client(allow_private_networks=True, timeout_seconds=5.0) as client:
        yield Tracker(
            engine, page_server, Checker(engine, Fetcher(client, HostLimiter(delay=0)), confirm_delay=0)
        )


def version(engine, version_id: int) -> Version:
    with Session(engine) as session:
        return session.get(Version, version_id)


def diff_of(engine, result: CheckResult):
    """The diff an alert of ``result`` shows: from the version before it to the one it recorded."""
    return build_diff(
        version(engine, result.previous_version_id).text, version(engine, result.version_id).text
    )


def assert_only_the_policy_changed(engine, result: CheckResult) -> None:
    stats = diff_of(engine, result).stats
    assert (stats.paragraphs_added, stats.paragraphs_deleted, stats.paragraphs_modified) == (0, 0, 1)
    assert NEW_COMPANY in version(engine, result.version_id).text
    assert OLD_COMPANY in version(engine, result.previous_version_id).text


async def alerted(engine, telegram, chat_id: int) -> list:
    """Run the alert pipeline and the sender; the messages ``chat_id`` got."""
    await pipeline(engine).sweep()
    await drain(engine, telegram)
    return telegram.to_chat(chat_id)


async def test_a_selector_change_is_technical_and_then_the_policys_change_alone_is_alerted(tracker, telegram):
    tracker.track("/zeekr", Page(OLD_PAGE), **POLICY)
    baseline = await tracker.check()
    subscribe(tracker.engine, 501, ["zeekr"])
    tracker.track("/zeekr", Page(OLD_PAGE), **WIDER)
    technical = await tracker.check()
    assert technical.outcome is TECHNICAL and technical.previous_version_id == baseline.version_id
    reread = version(tracker.engine, technical.version_id)
    assert reread.technical and FOOTER in reread.text
    assert await alerted(tracker.engine, telegram, 501) == []
    tracker.server.pages["/zeekr"] = Page(NEW_PAGE)
    change = await tracker.check()
    assert change.outcome is NEW and change.previous_version_id == technical.version_id
    assert_only_the_policy_changed(tracker.engine, change)
    (message,) = await alerted(tracker.engine, telegram, 501)
    assert NEW_COMPANY in message.text
    assert message.button("View diff")["url"].endswith(f"/diff/{technical.version_id}..{change.version_id}")
    assert len(await alerted(tracker.engine, telegram, 501)) == 1  # alerted once


async def test_an_extractor_version_bump_is_technical_then_the_policys_change_is_alerted(
    tracker, telegram, monkeypatch
):
    share = '<p class="share">分享到微信</p></article>'.encode()
    tracker.track("/zeekr", Page(OLD_PAGE.replace(b"</article>", share)))
    await tracker.check()
    subscribe(tracker.engine, 502, ["zeekr"])
    # The extractor learns to drop share buttons: its output changes, so its version is bumped.
    monkeypatch.setattr(scraping.extract, "_ALWAYS_DROPPED", scraping.extract._ALWAYS_DROPPED + ", .share")
    monkeypatch.setattr(scraping.rules, "EXTRACTOR_VERSION", scraping.rules.EXTRACTOR_VERSION + 1)
    technical = await tracker.check()
    assert technical.outcome is TECHNICAL
    assert "分享到微信" not in version(tracker.engine, technical.version_id).text
    tracker.server.pages["/zeekr"] = Page(NEW_PAGE.replace(b"</article>", share))
    change = await tracker.check()
    assert change.outcome is NEW and change.previous_version_id == technical.version_id
    assert_only_the_policy_changed(tracker.engine, change)
    (message,) = await alerted(tracker.engine, telegram, 502)
    assert NEW_COMPANY in message.text


async def test_a_rule_change_and_a_policy_change_at_one_check_give_one_alert_of_the_policys_change(
    tracker, telegram
):
    tracker.track("/zeekr", Page(OLD_PAGE), **POLICY)
    baseline = await tracker.check()
    subscribe(tracker.engine, 503, ["zeekr"])
    tracker.track("/zeekr", Page(NEW_PAGE), **WIDER)
    change = await tracker.check()
    assert change.outcome is NEW and change.previous_version_id != baseline.version_id
    reread = version(tracker.engine, change.previous_version_id)
    assert reread.technical and FOOTER in reread.text  # the old snapshot read with today's rules
    assert_only_the_policy_changed(tracker.engine, change)
    (message,) = await alerted(tracker.engine, telegram, 503)
    assert NEW_COMPANY in message.text and "版权所有" not in message.text


async def test_a_revert_is_still_a_revert_before_and_after_a_rule_change(tracker):
    tracker.track("/zeekr", Page(OLD_PAGE), **POLICY)
    first = await tracker.check()
    tracker.server.pages["/zeekr"] = Page(NEW_PAGE)
    await tracker.check()
    tracker.server.pages["/zeekr"] = Page(OLD_PAGE)
    back = await tracker.check()
    assert back.outcome is REVERTED and back.version_id == first.version_id
    tracker.track("/zeekr", Page(OLD_PAGE), **WIDER)
    reread = await tracker.check()
    assert reread.outcome is TECHNICAL
    tracker.server.pages["/zeekr"] = Page(NEW_PAGE)
    assert (await tracker.check()).outcome is NEW
    tracker.server.pages["/zeekr"] = Page(OLD_PAGE)
    again = await tracker.check()
    assert again.outcome is REVERTED and again.version_id == reread.version_id


async def test_putting_the_rules_back_is_technical_too(tracker):
    tracker.track("/zeekr", Page(OLD_PAGE), **POLICY)
    first = await tracker.check()
    tracker.track("/zeekr", Page(OLD_PAGE), **WIDER)
    assert (await tracker.check()).outcome is TECHNICAL
    tracker.track("/zeekr", Page(OLD_PAGE), **POLICY)
    back = await tracker.check()
    assert back.outcome is TECHNICAL and back.version_id == first.version_id


def legacy_version(tracker: Tracker, text: str) -> None:
    """A version as recorded before snapshots: no snapshot, fingerprint unknown, the options kept."""
    with session_scope(tracker.engine) as session:
        document = session.exec(select(Document)).one()
        document.legacy_options = dict(document.options)
        record_text(session, document, text, FetchFacts(document.url, 200), tracker.checker.clock())


async def test_the_first_check_after_the_upgrade_rebaselines_a_rule_change_as_technical(tracker):
    tracker.track("/zeekr", Page(OLD_PAGE), **POLICY)
    legacy_version(tracker, seed_text(SEED_OLD).replace("\xa0", " "))
    tracker.track("/zeekr", Page(OLD_PAGE), **WIDER)  # the catalog changed in the same deploy
    result = await tracker.check()
    assert result.outcome is TECHNICAL
    with Session(tracker.engine) as session:
        reread = session.get(Version, result.version_id)
        assert reread.snapshot_id is not None and reread.fingerprint != "unknown"
        assert session.exec(select(Snapshot)).one().id == reread.snapshot_id


async def test_after_the_upgrade_a_changed_policy_is_still_a_new_version(tracker):
    tracker.track("/zeekr", Page(OLD_PAGE), **POLICY)
    legacy_version(tracker, seed_text(SEED_OLD).replace("\xa0", " "))
    tracker.server.pages["/zeekr"] = Page(NEW_PAGE)
    result = await tracker.check()
    assert result.outcome is NEW and not result.is_baseline
    assert NEW_COMPANY in version(tracker.engine, result.version_id).text


async def test_after_the_upgrade_an_unchanged_page_is_what_a_later_rule_change_is_reread_from(tracker):
    tracker.track("/zeekr", Page(OLD_PAGE), **POLICY)
    legacy_version(tracker, seed_text(SEED_OLD).replace("\xa0", " "))
    assert (await tracker.check()).outcome is CheckOutcome.UNCHANGED
    with session_scope(tracker.engine) as session:
        session.exec(select(Document)).one().legacy_options = None  # only the stored response can tell now
    tracker.track("/zeekr", Page(NEW_PAGE), **WIDER)
    change = await tracker.check()
    assert change.outcome is NEW
    assert_only_the_policy_changed(tracker.engine, change)


async def test_a_technical_version_never_matches_a_keyword_nor_is_posted_to_the_channel(tracker, telegram):
    channel_id = -1001234567890
    telegram.add_channel("policywatch_cn", channel_id)
    channel = Channel("@policywatch_cn")
    tracker.track("/zeekr", Page(OLD_PAGE), **POLICY)
    await tracker.check()
    with session_scope(tracker.engine) as session:
        add_watch(
            session, ensure_subscriber(session, 601, "private", "zh"), "版权所有", None, 20
        )  # the footer's
        add_watch(session, ensure_subscriber(session, 602, "private", "zh"), "吉利", None, 20)
    tracker.track("/zeekr", Page(OLD_PAGE), **WIDER)  # the footer comes in: technical
    assert (await tracker.check()).outcome is TECHNICAL
    await channel_pipeline(tracker.engine, channel).sweep()
    await drain_with(tracker.engine, telegram, channel)
    assert telegram.sent_messages() == []
    tracker.server.pages["/zeekr"] = Page(NEW_PAGE)
    assert (await tracker.check()).outcome is NEW
    await channel_pipeline(tracker.engine, channel).sweep()
    await drain_with(tracker.engine, telegram, channel)
    assert telegram.to_chat(601) == []
    (hit,) = telegram.to_chat(602)
    assert "<b>吉利</b>" in hit.html
    assert len(telegram.posts(channel_id)) == 1
