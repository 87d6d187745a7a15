"""The diff page's report block: a stored report, else the labelled automatic one; never a model call."""

import json

import httpx
from lxml import html as lxml_html
from openai import AsyncOpenAI
from sqlmodel import Session

from alerts.reports import ReportService
from storage.models import Version
from tests.chat_server import Answer, ChatServer
from tests.pages import NEW_COMPANY, OLD_COMPANY
from tests.web.conftest import running
from web.app import WebConfig, create_app

PUBLIC = "https://policywatch.example"
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
PAIRS = [
    "/p/zeekr/privacy_policy/diff/1..2",
    "/p/evil/privacy_policy/diff/3..4",
    "/p/zeekr/privacy_policy/diff/2..2",
]


def model_client(chat: ChatServer) -> AsyncOpenAI:
    return AsyncOpenAI(api_key="test-key", base_url=chat.base_url, max_retries=0)


def report_block(site: str, path: str, language: str) -> str:
    page = httpx.get(site + path, headers={"Accept-Language": language}, timeout=30)
    return lxml_html.fromstring(page.text).xpath("//section[@class='report']")[0].text_content()


def test_the_diff_page_never_asks_the_model(seeded):
    with ChatServer([Answer(HOSTILE_REPORT)]) as chat:
        service = ReportService(seeded, model_client(chat), "deepseek-chat")
        with running(create_app(seeded, WebConfig(public_url=PUBLIC), service)) as site:
            for path in PAIRS:
                assert "Automatic analysis (no AI)" in report_block(site, path, "en"), path
                assert "自动分析(未使用 AI)" in report_block(site, path, "zh-CN"), path
            assert httpx.get(site + "/p/zeekr/privacy_policy/diff/2..1", timeout=30).status_code == 308
        assert chat.requests == []


def test_a_reversed_pair_redirects_to_the_ordered_one(seeded):
    with running(create_app(seeded, WebConfig(public_url=PUBLIC))) as site:
        response = httpx.get(site + "/p/zeekr/privacy_policy/diff/2..1?lang=en", timeout=30)
    assert response.status_code == 308
    assert response.headers["location"] == PUBLIC + DIFF + "?lang=en"


async def test_a_stored_model_report_is_shown_escaped_without_a_new_call(seeded):
    with Session(seeded) as session:
        old, new = session.get(Version, 1), session.get(Version, 2)
    with ChatServer([Answer(HOSTILE_REPORT)]) as chat:
        service = ReportService(seeded, model_client(chat), "deepseek-chat")
        await service.report_for(old, new)  # as the alert for this change stores it, in the policy's language
        with running(create_app(seeded, WebConfig(public_url=PUBLIC), service)) as site:
            body = httpx.get(site + DIFF, headers={"Accept-Language": "en"}, timeout=30).text
        assert len(chat.requests) == 1
    block = lxml_html.fromstring(body).xpath("//section[@class='report']")[0].text_content()
    assert "AI analysis" in block and "major" in block
    assert "<script>alert('report')</script>" in block  # shown as text
    for markup in ["<script>alert(", "<img src=x", "<a href='javascript", "<b>this</b>"]:
        assert markup not in body
    assert "{{ 7*7 }}" in block


def test_without_a_key_the_automatic_report_is_labelled(seeded):
    with running(create_app(seeded, reports=ReportService(seeded, None, "deepseek-chat"))) as site:
        block = report_block(site, DIFF, "zh-CN")
    assert (
        "自动分析(未使用 AI)" in block
        and OLD_COMPANY in block
        and NEW_COMPANY in block
        and "极物商城" in block
    )
