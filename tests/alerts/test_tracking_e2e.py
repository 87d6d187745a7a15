"""/track end to end in a real `policywatch run`: two people, URL variants, discovery, quota, one alert."""

import signal

from sqlmodel import Session, col, select

from storage.db import make_engine
from storage.models import Document, Version
from tests.alerts.test_alerts_e2e import alerts_to, service_settings
from tests.bot.test_tracking import ENGLISH_POLICY, HOMEPAGE
from tests.conftest import zeekr
from tests.pages import OLD_PAGE
from tests.people import person
from tests.servers import Page
from tests.service_process import start_service, wait_healthy, wait_until

CHANGED_POLICY = ENGLISH_POLICY.replace(
    b"<p>Nobody.</p>", b"<p>Our advertising partners and data brokers.</p>"
)


def versions_of_tracked(database_url: str) -> int:
    engine = make_engine(database_url)
    try:
        with Session(engine) as session:
            return len(
                session.exec(
                    select(Version)
                    .join(Document, col(Document.id) == col(Version.document_id))
                    .where(col(Document.added_by_users))
                ).all()
            )
    finally:
        engine.dispose()


async def test_two_people_track_one_page_and_get_one_alert_each(
    telegram, page_server, catalog, database_url, tmp_path
):
    catalog(zeekr(page_server.serve("/zeekr", Page(OLD_PAGE))))
    # Another host than the catalog's 127.0.0.1: its own platform, named from the site (localhost).
    home, policy, other = (
        page_server.serve(path, Page(body)).replace("127.0.0.1", "localhost")
        for path, body in (
            ("/", HOMEPAGE),
            ("/legal/privacy", ENGLISH_POLICY),
            ("/other/privacy", ENGLISH_POLICY),
        )
    )
    settings = service_settings(telegram, database_url, tmp_path, CHECK_INTERVAL="2s", TRACK_QUOTA="1")
    process = start_service(tmp_path, **settings)
    try:
        wait_healthy(process, settings["WEB_PORT"])
        alice, bob = person(telegram, "en"), person(telegram, "zh-CN")
        (offer,) = await alice.say(f"/track {home}")
        _, (preview,) = await alice.press(offer, "Privacy Policy", replies=1)
        _, (tracked,) = await alice.press(preview, "✅ Track", replies=1)
        assert tracked.text.startswith("✅ Now tracking localhost: " + policy)
        (variant,) = await bob.say(
            f"/track {policy.replace('http://', 'HTTP://')}?utm_campaign=x&from=app#top"
        )
        _, (done,) = await bob.press(variant, "✅ 跟踪", replies=1)
        assert done.text.startswith("✅ 已开始跟踪 localhost:" + policy)
        (refused,) = await bob.say(f"/track {other}")
        assert "你已跟踪 1 个文档" in refused.text
        wait_until(lambda: versions_of_tracked(database_url) == 1, process=process)  # the baseline
        page_server.serve("/legal/privacy", Page(CHANGED_POLICY))
        wait_until(
            lambda: alerts_to(telegram, alice.chat["id"]) and alerts_to(telegram, bob.chat["id"]),
            process=process,
        )
        hits = page_server.hits("/legal/privacy")
        wait_until(lambda: page_server.hits("/legal/privacy") >= hits + 2, process=process)  # no repeat
    finally:
        process.send_signal(signal.SIGTERM)
        _, err = process.communicate(timeout=30)
    assert process.returncode == 0, err
    (english,) = alerts_to(telegram, alice.chat["id"])
    (chinese,) = alerts_to(telegram, bob.chat["id"])
    assert english.text.startswith("🔔 localhost · Privacy policy changed")
    assert chinese.text.startswith("🔔 localhost · 隐私政策 有更新")
    assert page_server.hits("/other/privacy") == 0  # past the quota nothing is fetched
    assert versions_of_tracked(database_url) == 2
    assert telegram.errors == []
