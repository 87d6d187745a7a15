"""The whole loop in a real `policywatch run` process: people follow, the policy changes, alerts arrive.

Also the crash test: the process is killed with SIGKILL in the middle of a 1,000-subscriber fan-out,
started again, and every subscriber ends with exactly one alert.
"""

import re
import signal
from collections import Counter

import httpx
from sqlalchemy import func, insert
from sqlmodel import Session, select

from storage.db import make_engine
from storage.models import Delivery, Platform, Subscriber, Subscription, utcnow
from tests.conftest import nio, zeekr
from tests.pages import NEW_COMPANY, NEW_PAGE, OLD_PAGE
from tests.people import person
from tests.servers import Page
from tests.service_process import free_port, start_service, wait_healthy, wait_until
from tests.telegram_server import TOKEN, TelegramServer


def service_settings(telegram: TelegramServer, database_url: str, tmp_path, **more: str) -> dict[str, str]:
    return {
        "DATABASE_URL": database_url,
        "CATALOG_PATH": str(tmp_path / "catalog.yaml"),
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_API_BASE_URL": telegram.base_url,
        "WEB_PORT": str(free_port()),
        **more,
    }


def alerts_to(telegram: TelegramServer, chat_id: int) -> list:
    return [sent for sent in telegram.to_chat(chat_id) if sent.text.startswith("🔔")]


async def test_followers_get_one_alert_each_with_a_working_diff_link(
    telegram, page_server, catalog, database_url, tmp_path
):
    catalog(
        zeekr(page_server.serve("/zeekr", Page(OLD_PAGE))), nio(page_server.serve("/nio", Page(OLD_PAGE)))
    )
    settings = service_settings(telegram, database_url, tmp_path, CHECK_INTERVAL="2s")
    settings["PUBLIC_URL"] = f"http://127.0.0.1:{settings['WEB_PORT']}"
    process = start_service(tmp_path, **settings)
    try:
        wait_healthy(process, settings["WEB_PORT"])
        wait_until(lambda: page_server.hits("/zeekr") >= 1, process=process)  # the baseline
        alice, bob, carol = person(telegram, "en"), person(telegram, "zh-CN"), person(telegram, "en")
        assert (await alice.say("/follow zeekr"))[0].text.startswith("✅")
        assert (await bob.say("/follow 极氪"))[0].text.startswith("✅")
        assert (await carol.say("/follow nio"))[0].text.startswith("✅")
        page_server.serve("/zeekr", Page(NEW_PAGE))
        wait_until(
            lambda: alerts_to(telegram, alice.chat["id"]) and alerts_to(telegram, bob.chat["id"]),
            process=process,
        )
        hits = page_server.hits("/zeekr")
        wait_until(
            lambda: page_server.hits("/zeekr") >= hits + 2, process=process
        )  # two more checks: no repeat
        (english,) = alerts_to(telegram, alice.chat["id"])
        (diff_url,) = re.findall(r"Side-by-side diff: (\S+)", english.text)
        diff_page = httpx.get(diff_url, timeout=10)
    finally:
        process.send_signal(signal.SIGTERM)
        _, err = process.communicate(timeout=30)
    assert process.returncode == 0, err
    assert "stopped" in err
    (chinese,) = alerts_to(telegram, bob.chat["id"])
    assert alerts_to(telegram, carol.chat["id"]) == []
    assert english.text.startswith("🔔 ZEEKR · Privacy policy changed\nStated update date 2025-05-19")
    assert chinese.text.startswith("🔔 极氪 · 隐私政策 有更新\n政策更新日期 2025-05-19")
    assert [b["text"] for b in english.buttons] == ["Full report", "Unfollow"]  # no URL button to 127.0.0.1
    assert re.fullmatch(rf"{settings['PUBLIC_URL']}/p/zeekr/privacy_policy/diff/\d+\.\.\d+", diff_url)
    assert diff_page.status_code == 200 and NEW_COMPANY in diff_page.text
    assert telegram.errors == []


def add_subscribers(database_url: str, count: int) -> list[int]:
    """``count`` people following zeekr, written straight into the database."""
    engine = make_engine(database_url)
    with Session(engine) as session:
        platform_id = session.exec(select(Platform.id).where(Platform.slug == "zeekr")).one()
        chat_ids, now = list(range(10_000, 10_000 + count)), utcnow()
        session.execute(
            insert(Subscriber),
            [
                {
                    "chat_id": c,
                    "chat_type": "private",
                    "language": "en",
                    "is_active": True,
                    "min_severity": "none",
                    "digest": False,
                    "language_chosen": False,
                    "created_at": now,
                }
                for c in chat_ids
            ],
        )
        ids = session.exec(select(Subscriber.id).where(Subscriber.chat_id >= 10_000)).all()
        session.execute(
            insert(Subscription),
            [{"subscriber_id": i, "platform_id": platform_id, "created_at": now} for i in ids],
        )
        session.commit()
    engine.dispose()
    return chat_ids


def sent_in_database(database_url: str) -> int:
    engine = make_engine(database_url)
    with Session(engine) as session:
        count = session.exec(
            select(func.count()).select_from(Delivery).where(Delivery.status == "sent")
        ).one()
    engine.dispose()
    return count


def test_a_fan_out_killed_with_sigkill_resumes_and_everyone_gets_exactly_one_alert(
    telegram, tracked, cli, database_url, tmp_path
):
    assert cli("check").code == 0  # the baseline, before anyone follows
    chat_ids = add_subscribers(database_url, 1000)
    tracked.serve("/zeekr", Page(NEW_PAGE))
    settings = service_settings(
        telegram,
        database_url,
        tmp_path,
        CHECK_INTERVAL="1h",
        TELEGRAM_RATE="400",
        TELEGRAM_PAID_BROADCAST="true",
    )
    telegram.hold_after = 300  # Telegram accepts 300, then the next messages hang until the process dies
    first = start_service(tmp_path, **settings)
    try:
        wait_until(lambda: len(telegram.sent_messages()) >= 300, process=first)
        wait_until(lambda: sent_in_database(database_url) >= 300, process=first)
    finally:
        first.kill()  # SIGKILL: no clean-up of any kind
        first.communicate(timeout=30)
    assert first.returncode == -signal.SIGKILL
    telegram.hold_after = None  # the held requests are dropped: their sender is gone
    second = start_service(tmp_path, **settings)
    try:
        wait_until(lambda: len(telegram.sent_messages()) >= 1000, process=second, timeout=120)
        wait_until(lambda: sent_in_database(database_url) >= 1000, process=second)
        second.send_signal(signal.SIGTERM)
        _, err = second.communicate(timeout=30)
    finally:
        if second.poll() is None:
            second.kill()
    assert second.returncode == 0, err
    per_chat = Counter(sent.chat_id for sent in telegram.sent_messages())
    assert sorted(per_chat) == chat_ids
    assert set(per_chat.values()) == {1}
    assert "claimed before a crash are sent again" in err
