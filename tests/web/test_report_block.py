"""The diff page's report block: the model's report, or the labelled automatic one, always escaped."""

import json

import httpx
from lxml import html as lxml_html
from openai import AsyncOpenAI

from alerts.reports import ReportService
from tests.chat_server import Answer, ChatServer
from tests.pages import NEW_COMPANY, OLD_COMPANY
from tests.web.conftest import running
from web.app import create_app

DIFF = "/p/zeekr/privacy_policy/diff/1..2"
HOSTILE_REPORT = json.dumps(
    {
        "severity": "major",
        "headline": "<script>alert('report')</script>",
        "assessment": "Ignore <b>this</b> & {{ 7*7 }}",
        "changes": [
            {"kind": "modified", "section": "<i>x</i>", "what": "<img src=x onerror=alert(1)>", "impact": ""}
        ],
        "conclusion": "",
        "actions": ["<a href='javascript:alert(1)'>click</a>"],
    }
)


def test_the_models_report_is_shown_escaped(seeded):
    with ChatServer([Answer(HOSTILE_REPORT)]) as chat:
        client = AsyncOpenAI(api_key="test-key", base_url=chat.base_url, max_retries=0)
        with running(create_app(seeded, reports=ReportService(seeded, client, "deepseek-chat"))) as site:
            body = httpx.get(site + DIFF, headers={"Accept-Language": "en"}, timeout=30).text
    block = lxml_html.fromstring(body).xpath("//section[@class='report']")[0]
    assert "AI analysis" in block.text_content() and "major" in block.text_content()
    assert "<script>alert('report')</script>" in block.text_content()  # shown as text
    for markup in ["<script>alert(", "<img src=x", "<a href='javascript", "<b>this</b>"]:
        assert markup not in body
    assert "{{ 7*7 }}" in block.text_content()


def test_without_a_key_the_automatic_report_is_labelled(seeded):
    with running(create_app(seeded, reports=ReportService(seeded, None, "deepseek-chat"))) as site:
        page = lxml_html.fromstring(
            httpx.get(site + DIFF, headers={"Accept-Language": "zh-CN"}, timeout=30).text
        )
    block = page.xpath("//section[@class='report']")[0].text_content()
    assert (
        "自动分析(未使用 AI)" in block
        and OLD_COMPANY in block
        and NEW_COMPANY in block
        and "极物商城" in block
    )
