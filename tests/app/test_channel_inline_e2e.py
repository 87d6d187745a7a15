"""The public channel and inline mode in a real `policywatch run` process."""

import asyncio
import signal

from tests.alerts.test_alerts_e2e import alerts_to, service_settings
from tests.conftest import zeekr
from tests.pages import NEW_PAGE, OLD_PAGE
from tests.people import ADMIN_ID, person
from tests.servers import Page
from tests.service_process import start_service, wait_healthy, wait_until

CHANNEL = -1009876543210


async def test_the_channel_gets_one_post_per_change_and_inline_answers_with_it(
    telegram, page_server, catalog, database_url, tmp_path
):
    telegram.add_channel("policywatch_cn", CHANNEL)
    catalog(zeekr(page_server.serve("/zeekr", Page(OLD_PAGE))))
    settings = service_settings(
        telegram, database_url, tmp_path, CHECK_INTERVAL="2s", CHANNEL_ID="@policywatch_cn"
    )
    process = start_service(tmp_path, **settings)
    try:
        wait_healthy(process, settings["WEB_PORT"])
        wait_until(lambda: page_server.hits("/zeekr") >= 1, process=process)  # the baseline: no post
        page_server.serve("/zeekr", Page(NEW_PAGE))
        wait_until(lambda: telegram.posts(CHANNEL), process=process)
        hits = page_server.hits("/zeekr")
        wait_until(lambda: page_server.hits("/zeekr") >= hits + 2, process=process)  # no repeat
        asker = person(telegram, "en").user
        query_id = telegram.ask_inline(asker, "极氪")
        wait_until(lambda: query_id in telegram.inline_answers, process=process)
    finally:
        process.send_signal(signal.SIGTERM)
        _, err = process.communicate(timeout=30)
    assert process.returncode == 0, err
    (post,) = telegram.posts(CHANNEL)
    assert post.text.startswith("🔔 极氪 · 隐私政策 有更新\n政策更新日期 2025-05-19")  # CHANNEL_LANGUAGE: zh
    assert "逐行对比:http://localhost:8080/p/zeekr/privacy_policy/diff/" in post.text
    (result,) = telegram.inline_answers[query_id]["results"]
    assert result["title"].startswith("ZEEKR · Privacy policy: ")
    diff_link = post.text.split("逐行对比:")[1].split()[0]
    assert diff_link in result["input_message_content"]["message_text"]
    assert telegram.errors == []


async def test_a_channel_that_refuses_the_bot_is_told_to_admins_once_and_nothing_else_stops(
    telegram, page_server, catalog, database_url, tmp_path
):
    telegram.add_channel("policywatch_cn", CHANNEL, bot_is_admin=False)
    catalog(zeekr(page_server.serve("/zeekr", Page(OLD_PAGE))))
    settings = service_settings(
        telegram,
        database_url,
        tmp_path,
        CHECK_INTERVAL="2s",
        CHANNEL_ID=str(CHANNEL),
        ADMIN_CHAT_IDS=str(ADMIN_ID),
    )
    process = start_service(tmp_path, **settings)
    try:
        wait_healthy(process, settings["WEB_PORT"])
        wait_until(lambda: page_server.hits("/zeekr") >= 1, process=process)
        follower = person(telegram, "en")
        assert (await follower.say("/follow zeekr"))[0].text.startswith("✅")
        page_server.serve("/zeekr", Page(NEW_PAGE))
        wait_until(lambda: alerts_to(telegram, follower.chat["id"]), process=process)
        wait_until(lambda: telegram.to_chat(ADMIN_ID), process=process)
        await asyncio.sleep(1)
    finally:
        process.send_signal(signal.SIGTERM)
        _, err = process.communicate(timeout=30)
    assert process.returncode == 0, err
    assert telegram.posts(CHANNEL) == []
    (notice,) = telegram.to_chat(ADMIN_ID)
    assert notice.text.startswith(f"⚠️ The bot cannot post to the channel {CHANNEL}")
    assert "make the bot an administrator of the channel" in err
    assert len(alerts_to(telegram, follower.chat["id"])) == 1
