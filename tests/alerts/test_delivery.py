"""From a recorded change to messages in chats: alerts, the outbox sender, digests and admin notices.

The pipeline and the sender run in-process against the fake Bot API server (which checks HTML, limits
and buttons as Telegram does); the bot itself answers the people who talk to it meanwhile.
"""

import asyncio
import itertools
from datetime import timedelta

import pytest
from sqlmodel import Session, select
from telegram import Bot

from alerts.bot_http import outbox_bot
from alerts.digest import enqueue_digests
from alerts.links import Links
from alerts.pipeline import AlertPipeline
from alerts.reports import ReportService
from alerts.sender import Sender, SenderPolicy
from scraping.check import Checker, active_targets
from scraping.fetch import Fetcher, make_client
from scraping.politeness import HostLimiter
from storage.db import session_scope
from storage.models import Delivery, Document, Platform, Subscriber
from storage.subscribers import ensure_subscriber, follow
from tests.pages import OLD_PAGE
from tests.people import person
from tests.seed import NEW_AT
from tests.servers import Page
from tests.telegram_server import TOKEN, BotApiError, Limits, TelegramServer

LINKS = Links("https://pw.example")
SOON_AFTER = NEW_AT + timedelta(hours=1)
FAST = SenderPolicy(rate=200, backoff=timedelta(milliseconds=100), idle_poll=0.05)


def subscribe(engine, chat_id: int, slugs: list[str], language: str = "en", **preferences) -> None:
    with session_scope(engine) as session:
        subscriber = ensure_subscriber(session, chat_id, "private" if chat_id > 0 else "supergroup", language)
        for name, value in preferences.items():
            setattr(subscriber, name, value)
        for slug in slugs:
            follow(session, subscriber, session.exec(select(Platform).where(Platform.slug == slug)).one())


def pipeline(engine, **options) -> AlertPipeline:
    return AlertPipeline(
        engine, ReportService(engine, None, "unused"), LINKS, clock=lambda: SOON_AFTER, **options
    )


def deliveries(engine) -> list[Delivery]:
    with Session(engine) as session:
        return list(session.exec(select(Delivery).order_by(Delivery.id)))


async def drain(
    engine, server: TelegramServer, policy: SenderPolicy = FAST, timeout: float = 20, **sender_options
) -> None:
    """Run the sender (with its own bot, as `run` does) until nothing is pending or being sent."""
    async with outbox_bot(TOKEN, server.base_url) as bot:
        sender = Sender(engine, bot, LINKS, policy, **sender_options)
        task = asyncio.create_task(sender.run())
        deadline = asyncio.get_running_loop().time() + timeout
        while any(d.status in ("pending", "sending") for d in deliveries(engine)):
            assert asyncio.get_running_loop().time() < deadline, deliveries(engine)
            await asyncio.sleep(0.05)
        await sender.stop()
        await task


async def test_each_follower_gets_one_alert_in_their_language_others_none(bot, telegram, platforms):
    subscribe(platforms, 501, ["zeekr"], "en")
    subscribe(platforms, 502, ["zeekr", "nio"], "zh")
    subscribe(platforms, 503, ["nio"], "en")
    assert await pipeline(platforms).sweep() == 2
    assert await pipeline(platforms).sweep() == 0  # a change is alerted once
    await drain(platforms, telegram)
    (english,) = telegram.to_chat(501)
    (chinese,) = telegram.to_chat(502)
    assert telegram.to_chat(503) == []
    assert english.text.startswith(
        "🔔 ZEEKR · Privacy policy changed\nStated update date 2025-05-19 · effective 2025-05-25"
    )
    assert "浙江吉利汽车备件有限公司" in english.text
    assert chinese.text.startswith("🔔 极氪 · 隐私政策 有更新\n政策更新日期 2025-05-19 · 生效日期 2025-05-25")
    assert "\n[轻微] 1 处变化\n" in chinese.text  # no English word in the Chinese headline
    assert "\n[minor] 1 change\n" in english.text
    assert [b["text"] for b in english.buttons] == ["View diff", "Full report", "Unfollow"]
    assert english.button("View diff")["url"] == "https://pw.example/p/zeekr/privacy_policy/diff/1..2"
    assert english.params["link_preview_options"] == {"is_disabled": True}
    assert telegram.errors == []
    reader = person(telegram, "en", user_id=501)
    _, (report,) = await reader.press(english, "Full report", replies=1)
    assert report.text.startswith("[minor]") and "Automatic analysis (no AI)" in report.text
    _, (gone,) = await reader.press(english, "Unfollow", replies=1)
    assert gone.text == "You no longer follow ZEEKR."


async def test_the_severity_filter_and_the_digest_choice_hold_back_instant_alerts(bot, telegram, platforms):
    subscribe(platforms, 601, ["zeekr"], min_severity="none")
    subscribe(platforms, 602, ["zeekr"], min_severity="moderate")  # the seed change is minor
    subscribe(platforms, 603, ["zeekr"], digest=True)
    await pipeline(platforms).sweep()
    await drain(platforms, telegram)
    assert len(telegram.to_chat(601)) == 1
    assert telegram.to_chat(602) == [] and telegram.to_chat(603) == []


async def test_settings_buttons_store_the_choice(bot, telegram, platforms):
    someone = person(telegram, "en")
    (menu,) = await someone.say("/settings")
    assert [b["text"] for b in menu.buttons] == [
        "✓ Every change",
        "Moderate and major changes only",
        "Weekly digest",
    ]
    answer, _ = await someone.press(menu, "Weekly digest")
    assert answer["text"] == "Saved: Weekly digest"
    (marked,) = telegram.to_chat(someone.chat["id"], "editMessageReplyMarkup")
    assert marked.buttons[2]["text"] == "✓ Weekly digest"
    await someone.press(menu, "Moderate")
    with Session(platforms) as session:
        subscriber = session.exec(select(Subscriber).where(Subscriber.chat_id == someone.chat["id"])).one()
    assert (subscriber.min_severity, subscriber.digest) == ("moderate", False)


async def test_weekly_digest_lists_the_weeks_changes_once(bot, telegram, platforms):
    subscribe(platforms, 701, ["zeekr", "xiaohongshu"], "zh", digest=True)
    subscribe(platforms, 702, ["nio"], digest=True)  # nothing changed there: no message
    subscribe(platforms, 703, ["zeekr"], "en", digest=True)
    await pipeline(platforms).sweep()
    monday = SOON_AFTER + timedelta(days=3)
    assert enqueue_digests(platforms, LINKS, monday) == 2
    assert enqueue_digests(platforms, LINKS, monday + timedelta(hours=1)) == 0  # a second run sends nothing
    await drain(platforms, telegram)
    (digest,) = telegram.to_chat(701)
    assert digest.text.splitlines() == [
        "📰 本周政策变化(共 1 项)",
        "• 极氪 · 隐私政策 [轻微] 1 处变化",
    ]
    assert 'href="https://pw.example/p/zeekr/privacy_policy/diff/1..2"' in digest.html
    assert telegram.to_chat(702) == []
    (english,) = telegram.to_chat(703)
    assert english.text.splitlines() == [
        "📰 This week's policy changes (1)",
        "• ZEEKR · Privacy policy [minor] 1 change",
    ]
    next_week = monday + timedelta(days=7)
    assert enqueue_digests(platforms, LINKS, next_week) == 0  # last week's change is not repeated


async def test_a_blocked_user_is_paused_and_back_when_they_talk_again(bot, telegram, platforms):
    subscribe(platforms, 801, ["zeekr"])
    subscribe(platforms, 802, ["zeekr"])
    telegram.blocked.add(801)
    await pipeline(platforms).sweep()
    await drain(platforms, telegram)
    by_chat = {d.chat_id: d for d in deliveries(platforms)}
    assert by_chat[801].status == "failed" and by_chat[801].error.startswith("blocked")
    assert by_chat[802].status == "sent"
    with Session(platforms) as session:
        paused = session.exec(select(Subscriber).where(Subscriber.chat_id == 801)).one()
    assert not paused.is_active
    telegram.blocked.discard(801)
    (listing,) = await person(telegram, "en", user_id=801).say("/list")
    assert "ZEEKR (zeekr)" in listing.text  # subscriptions were kept
    with Session(platforms) as session:
        assert session.exec(select(Subscriber).where(Subscriber.chat_id == 801)).one().is_active


async def test_a_migrated_group_moves_to_its_new_id(bot, telegram, platforms):
    subscribe(platforms, -901, ["zeekr"])
    telegram.migrated[-901] = -100901
    await pipeline(platforms).sweep()
    await drain(platforms, telegram)
    assert len(telegram.to_chat(-100901)) == 1
    with Session(platforms) as session:
        assert session.exec(select(Subscriber.chat_id)).all() == [-100901]


async def test_a_429_storm_is_waited_out_and_nothing_is_lost_or_doubled(bot, telegram, platforms):
    for chat_id in range(1001, 1021):
        subscribe(platforms, chat_id, ["zeekr"])
    telegram.scripted.extend(
        BotApiError(429, "Too Many Requests: retry after 1", {"retry_after": 1}) for _ in range(6)
    )
    await pipeline(platforms).sweep()
    await drain(platforms, telegram, timeout=60)
    assert sorted(s.chat_id for s in telegram.sent) == list(range(1001, 1021))
    assert [e[1] for e in telegram.errors].count(429) == 6
    assert {d.status for d in deliveries(platforms)} == {"sent"}


async def test_refusals_are_recorded_and_network_errors_retried_then_given_up(bot, telegram, platforms):
    subscribe(platforms, 1101, ["zeekr"])
    subscribe(platforms, 1102, ["zeekr"])
    telegram.missing.add(1101)
    telegram.scripted.extend(BotApiError(502, "Bad Gateway") for _ in range(2))  # 1102: twice, then it works
    await pipeline(platforms).sweep()
    await drain(platforms, telegram)
    by_chat = {d.chat_id: d for d in deliveries(platforms)}
    assert (by_chat[1101].status, by_chat[1101].error) == ("failed", "Chat not found")
    assert (by_chat[1102].status, by_chat[1102].attempts) == ("sent", 3)
    telegram.scripted.extend(BotApiError(502, "Bad Gateway") for _ in range(10))
    subscribe(platforms, 1103, ["zeekr"])
    with session_scope(platforms) as session:
        session.add(Delivery(kind="admin", chat_id=1103, text="hello"))
    await drain(
        platforms, telegram, SenderPolicy(rate=200, backoff=timedelta(milliseconds=10), max_attempts=3)
    )
    (given_up,) = [d for d in deliveries(platforms) if d.chat_id == 1103]
    assert given_up.status == "failed" and given_up.error.startswith("gave up after 3 attempts")


async def test_sending_stays_within_telegrams_limits(platforms):
    """60 people and a group getting alerts, and one person three messages: no 429 from a strict server."""
    with TelegramServer(Limits()) as strict:
        for chat_id in range(2001, 2061):
            subscribe(platforms, chat_id, ["zeekr"])
        subscribe(platforms, -2100, ["zeekr"])
        with session_scope(platforms) as session:
            session.add_all(Delivery(kind="admin", chat_id=2001, text=f"note {n}") for n in range(3))
        await pipeline(platforms).sweep()
        await drain(platforms, strict, SenderPolicy(), timeout=60)
        assert strict.errors == []
        assert len(strict.sent) == 64
        to_one = [s.at for s in strict.to_chat(2001)]
        assert all(b - a >= 0.95 for a, b in itertools.pairwise(to_one))


async def test_a_paid_broadcast_goes_past_telegrams_free_30_a_second_without_a_429(platforms):
    """With allow_paid_broadcast Telegram takes up to 1,000 a second; the free 30 would refuse this burst."""
    with TelegramServer(Limits()) as strict:
        for chat_id in range(3001, 3091):
            subscribe(platforms, chat_id, ["zeekr"])
        await pipeline(platforms).sweep()
        await drain(platforms, strict, SenderPolicy(rate=300, paid_broadcast=True), timeout=60)
        assert strict.errors == []
        assert sorted(s.chat_id for s in strict.sent) == list(range(3001, 3091))
        assert {s.params["allow_paid_broadcast"] for s in strict.sent} == {True}


async def test_the_fake_telegram_refuses_a_burst_past_30_a_second_unless_it_is_paid():
    async with asyncio.timeout(60):
        for paid, refused in ((None, True), (True, False)):
            with TelegramServer(Limits()) as strict:
                async with Bot(TOKEN, base_url=strict.base_url) as bot:
                    burst = (bot.send_message(chat, "hi", allow_paid_broadcast=paid) for chat in range(1, 41))
                    await asyncio.gather(*burst, return_exceptions=True)
                assert (429 in [e[1] for e in strict.errors]) is refused


@pytest.fixture
def failing_page(page_server, platforms):
    """NIO's document (no version yet) served by the local page server, which the test breaks and mends."""
    with session_scope(platforms) as session:
        document = session.exec(select(Document).join(Platform).where(Platform.slug == "nio")).one()
        document.url = page_server.serve("/nio", Page(b"down", status=503))
    return page_server


async def test_admins_hear_once_when_a_document_keeps_failing_and_once_when_it_recovers(
    bot, telegram, platforms, failing_page
):
    subscribe(platforms, 1201, ["nio"])
    alerts = pipeline(platforms, admin_ids=frozenset({77}), failure_alert_after=3)
    async with make_client(allow_private_networks=True, timeout_seconds=5) as client:
        checker = Checker(platforms, Fetcher(client, HostLimiter(), attempts=1), confirm_delay=0)
        with Session(platforms) as session:
            (target,) = [t for t in active_targets(session) if t.platform_slug == "nio"]
        for _ in range(4):
            await checker.check(target)
            await alerts.sweep()
        failing_page.serve("/nio", Page(OLD_PAGE))  # its first version: a baseline, no alert
        await checker.check(target)
        await alerts.sweep()
    await drain(platforms, telegram)
    notices = telegram.to_chat(77)
    assert len(notices) == 2
    assert notices[0].text.startswith(
        "⚠️ nio/privacy_policy failed 3 checks in a row:\n• [transient] HTTP 503"
    )
    assert notices[1].text == "✅ nio/privacy_policy is fetched fine again."
    assert telegram.to_chat(1201) == []  # subscribers never hear of fetch failures, nor of a baseline
