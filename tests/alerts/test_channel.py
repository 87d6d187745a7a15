"""The public channel: one post per change in CHANNEL_LANGUAGE, paced as a channel, a refusal told once.

The pipeline and the sender run in-process against the fake Bot API server, as in test_delivery.py.
"""

import logging

from alerts.channel import Channel
from alerts.pipeline import AlertPipeline
from alerts.reports import ReportService
from analysis.dates import stated_dates
from storage.db import session_scope
from storage.versions import FetchFacts, record_text
from tests.alerts.test_delivery import FAST, LINKS, SOON_AFTER, deliveries, drain, subscribe
from tests.people import ADMIN_ID
from tests.seed import NEW_AT, document_of_slug
from tests.telegram_server import TelegramServer

CHANNEL = -1001234567890


def channel_pipeline(engine, channel: Channel) -> AlertPipeline:
    reports = ReportService(engine, None, "unused")
    return AlertPipeline(
        engine, reports, LINKS, frozenset({ADMIN_ID}), clock=lambda: SOON_AFTER, channel=channel
    )


async def drain_with(engine, server: TelegramServer, channel: Channel) -> None:
    """Run the sender with the channel and the admins until nothing is pending or being sent."""
    await drain(engine, server, FAST, timeout=30, channel=channel, admin_ids=frozenset({ADMIN_ID}))


def second_change(engine) -> None:
    """xiaohongshu changes too: two changes to post."""
    text = "小红书隐私政策\n第一条\n第二条 我们不会出售您的个人信息。"
    with session_scope(engine) as session:
        document = document_of_slug(session, "xiaohongshu")
        record_text(session, document, text, FetchFacts(document.url, 200), NEW_AT, stated_dates(text))


async def test_the_channel_gets_one_post_per_change_by_username_paced(telegram, platforms):
    telegram.add_channel("policywatch_cn", CHANNEL)
    second_change(platforms)
    channel = Channel("@policywatch_cn", "zh")
    assert await channel_pipeline(platforms, channel).sweep() == 2
    assert await channel_pipeline(platforms, channel).sweep() == 0  # a change is posted once
    await drain_with(platforms, telegram, channel)
    posts = telegram.posts(CHANNEL)
    assert [post.text.splitlines()[0] for post in posts] == [
        "🔔 极氪 · 隐私政策 有更新",
        "🔔 小红书 · 隐私政策 有更新",
    ]
    assert "政策更新日期 2025-05-19 · 生效日期 2025-05-25" in posts[0].text
    assert "[轻微] 1 处变化" in posts[0].text
    assert [b["text"] for b in posts[0].buttons] == ["查看对比"]  # no callback buttons in a channel
    assert posts[0].button("查看对比")["url"] == "https://pw.example/p/zeekr/privacy_policy/diff/1..2"
    assert posts[1].at - posts[0].at >= 3.1  # a channel's pace: under 20 posts a minute
    assert telegram.errors == []


async def test_not_an_admin_admins_are_told_once_the_log_says_how_and_followers_get_alerts(
    telegram, platforms, caplog
):
    telegram.add_channel("policywatch_cn", CHANNEL, bot_is_admin=False)
    second_change(platforms)
    subscribe(platforms, 501, ["zeekr"], "en")
    channel = Channel(str(CHANNEL), "en")
    await channel_pipeline(platforms, channel).sweep()
    with caplog.at_level(logging.ERROR, logger="alerts.sender"):
        await drain_with(platforms, telegram, channel)
    assert telegram.posts(CHANNEL) == []
    (notice,) = telegram.to_chat(ADMIN_ID)
    assert notice.text.startswith(f"⚠️ The bot cannot post to the channel {CHANNEL}")
    assert "administrator" in notice.text
    assert len(telegram.to_chat(501)) == 1  # nothing else stops
    assert "make the bot an administrator of the channel" in caplog.text
    refused = [d for d in deliveries(platforms) if d.kind == "channel"]
    assert [d.status for d in refused] == ["failed", "failed"]
    assert refused[0].error.startswith("channel refused: Forbidden: bot is not a member")
