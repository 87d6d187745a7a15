"""Keyword watch in a real `policywatch run` process: a watcher who follows nothing hears of the change."""

import signal

from tests.alerts.test_alerts_e2e import service_settings
from tests.conftest import zeekr
from tests.pages import NEW_COMPANY, NEW_PAGE, OLD_PAGE
from tests.people import person
from tests.servers import Page
from tests.service_process import start_service, wait_healthy, wait_until


async def test_a_keyword_watcher_gets_one_alert_quoting_the_new_sentence_another_keyword_none(
    telegram, page_server, catalog, database_url, tmp_path
):
    catalog(zeekr(page_server.serve("/zeekr", Page(OLD_PAGE))))
    settings = service_settings(telegram, database_url, tmp_path, CHECK_INTERVAL="2s")
    process = start_service(tmp_path, **settings)
    try:
        wait_healthy(process, settings["WEB_PORT"])
        wait_until(lambda: page_server.hits("/zeekr") >= 1, process=process)  # the baseline
        watcher, other = person(telegram, "en"), person(telegram, "zh-CN")
        assert (await watcher.say("/watch 吉利汽车"))[0].text.startswith("✅")
        assert (await other.say("/watch 人脸"))[0].text.startswith("✅")
        page_server.serve("/zeekr", Page(NEW_PAGE))
        wait_until(lambda: len(telegram.to_chat(watcher.chat["id"])) >= 2, process=process)
        hits = page_server.hits("/zeekr")
        wait_until(lambda: page_server.hits("/zeekr") >= hits + 2, process=process)  # no repeat
    finally:
        process.send_signal(signal.SIGTERM)
        _, err = process.communicate(timeout=30)
    assert process.returncode == 0, err
    (alert,) = telegram.to_chat(watcher.chat["id"])[1:]
    assert alert.text.startswith("🔎 ZEEKR · Privacy policy: a change mentions 吉利汽车\n")
    assert f"➕ Added:\n极物商城由关联方{NEW_COMPANY}负责运营," in alert.text
    assert "<b>吉利汽车</b>" in alert.html
    assert "Side-by-side diff: http://localhost:8080/p/zeekr/privacy_policy/diff/" in alert.text
    assert telegram.to_chat(other.chat["id"])[1:] == []
    assert telegram.errors == []
