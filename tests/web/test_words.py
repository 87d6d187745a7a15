"""The diff page's counts read naturally in each language: "1 paragraph added", never "1 paragraphs"."""

import httpx
from lxml import html as lxml_html

from alerts.reports import ReportService
from storage.db import session_scope
from tests.seed import add_measured_pair
from web.app import WebConfig, create_app

OLD = "第一段。\n第二段。"
NEW = "第一段。\n第二段。\n丙"  # one paragraph added, one character inserted, under no heading


async def page_text(engine, language: str) -> str:
    with session_scope(engine) as session:
        document = add_measured_pair(session, "one", "一个", "One", OLD, NEW)
        path = f"/p/one/{document.kind}/diff/1..2?lang={language}"
    reports = ReportService(engine, None, "unused")  # no model: the automatic report
    app = create_app(engine, WebConfig(public_url="https://policywatch.example"), reports)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        response = await client.get(path)
    assert response.status_code == 200
    return lxml_html.fromstring(response.text).text_content()


async def test_counts_of_one_are_singular_in_english(engine):
    text = await page_text(engine, "en")
    assert "1 paragraph added, 0 deleted, 0 modified; 1 character inserted, 0 deleted" in text
    assessment = "Automatic report (no AI): 1 paragraph added, 0 deleted, 0 modified. Sections touched: none."
    assert assessment in text
    assert "1 change" in text and "1 changes" not in text


async def test_the_chinese_page_names_no_section_as_none(engine):
    text = await page_text(engine, "zh")
    assert "新增 1 段,删除 0 段,修改 0 段;插入 1 字,删除 0 字" in text
    assert "自动生成的报告(未使用 AI):新增 1 段,删除 0 段,修改 0 段。涉及章节:无。" in text
