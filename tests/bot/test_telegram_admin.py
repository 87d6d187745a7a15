"""/check against a local policy server, and a long AI report from a local chat-completions server."""

import json
from datetime import timedelta
from pathlib import Path

from openai import AsyncOpenAI

from alerts.links import Links
from alerts.reports import ReportService
from app.service import make_check_runner
from app.settings import Settings
from bot.conversation import BotServices
from bot.telegram_app import build_application, start_bot, stop_bot
from scraping.catalog import load_catalog
from scraping.sync import sync_catalog
from storage.db import session_scope
from storage.models import utcnow
from tests.chat_server import Answer, ChatServer
from tests.conftest import write_catalog, zeekr
from tests.pages import NEW_PAGE, OLD_PAGE
from tests.people import ADMIN_ID, person
from tests.servers import Page
from tests.telegram_server import TOKEN


async def test_check_now_reports_each_outcome(telegram, engine, page_server, tmp_path):
    url = page_server.serve("/zeekr", Page(OLD_PAGE))
    with session_scope(engine) as session:
        sync_catalog(session, load_catalog(write_catalog(tmp_path / "catalog.yaml", [zeekr(url)])), utcnow())
    settings = Settings(
        ALLOW_PRIVATE_NETWORKS=True, CONFIRM_DELAY=timedelta(0), BROWSER_PATH=Path("/nonexistent")
    )
    services = BotServices(
        engine,
        ReportService(engine, None, "unused"),
        Links("https://pw.example"),
        frozenset({ADMIN_ID}),
        make_check_runner(engine, settings),
    )
    application = build_application(TOKEN, telegram.base_url, services)
    await start_bot(application, poll_timeout=1)
    try:
        admin = person(telegram, "en", user_id=ADMIN_ID)
        (first,) = await admin.say("/check zeekr")
        assert first.text.splitlines() == ["Checked 1 document:", "zeekr/privacy_policy: first version #1"]
        page_server.serve("/zeekr", Page(NEW_PAGE))
        (second,) = await admin.say("/check")
        assert second.text.splitlines()[1] == "zeekr/privacy_policy: new version #2"
        page_server.serve("/zeekr", Page(b"down", status=503))
        (third,) = await person(telegram, "zh", user_id=ADMIN_ID).say("/check 极氪")
        assert third.text.splitlines()[0] == "已检查 1 个文件:"
        assert third.text.splitlines()[1].startswith("zeekr/privacy_policy:失败:【暂时性】HTTP 503 from ")
        (stats,) = await admin.say("/stats")
        assert "Failing documents: 1" in stats.text
        assert "zeekr/privacy_policy (1 in a row: [transient] HTTP 503 from " in stats.text
        page_server.serve("/zeekr", Page(b"gone", status=404))
        await admin.say("/check zeekr")
        (stats,) = await person(telegram, "zh", user_id=ADMIN_ID).say("/stats")
        assert "zeekr/privacy_policy(连续 2 次:【永久性】HTTP 404 from " in stats.text
        (unknown,) = await admin.say("/check nosuch")
        assert unknown.text.startswith("No platform called “nosuch”")
    finally:
        await stop_bot(application)
    assert telegram.errors == []


async def test_a_long_ai_report_is_trimmed_at_an_item_with_a_link(telegram, platforms):
    long_report = {
        "severity": "major",
        "headline": "<大改> & 新增数据共享",
        "assessment": "新增多项数据共享条款。",
        "changes": [
            {
                "kind": "added",
                "section": f"第{n}条",
                "what": "新增向第三方共享位置信息 <script>" * 8,
                "impact": "高",
            }
            for n in range(40)
        ],
        "conclusion": "请仔细阅读。",
        "actions": [],
    }
    with ChatServer([Answer(json.dumps(long_report, ensure_ascii=False))]) as chat:
        client = AsyncOpenAI(api_key="test-key", base_url=chat.base_url, max_retries=0)
        services = BotServices(
            platforms,
            ReportService(platforms, client, "deepseek-chat", timeout=5),
            Links("https://pw.example"),
            frozenset(),
        )
        application = build_application(TOKEN, telegram.base_url, services)
        await start_bot(application, poll_timeout=1)
        try:
            (answer,) = await person(telegram, "zh").say("/compare 极氪 2025-11-10")
        finally:
            await stop_bot(application)
    assert telegram.errors == []  # valid HTML within 4,096 code units, as Telegram checks
    assert "[重大] <大改> & 新增数据共享" in answer.text
    assert "第0条" in answer.text and "第39条" not in answer.text
    assert answer.html.endswith(
        '… <a href="https://pw.example/p/zeekr/privacy_policy/diff/1..2#report">完整报告</a>'
    )
