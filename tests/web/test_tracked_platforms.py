"""Platforms people added with /track are labelled on the web."""

import httpx

from scraping.tracking import add_tracked
from storage.db import session_scope
from storage.models import utcnow
from storage.versions import FetchFacts, record_text
from tests.web.conftest import running
from web.app import WebConfig, create_app


def test_a_platform_added_by_users_is_labelled_on_home_and_its_page(seeded):
    with session_scope(seeded) as session:
        document = add_tracked(
            session, "https://bank.example.org/privacy", "privacy_policy", "Privacy | Bank", utcnow()
        )
        record_text(
            session,
            document,
            "Bank privacy policy\nWe collect.",
            FetchFacts(document.url, 200),
            utcnow(),
            (None, None),
        )
    with running(create_app(seeded, WebConfig(public_url="https://policywatch.example"))) as site:
        home = httpx.get(site + "/", headers={"Accept-Language": "en"}, timeout=30).text
        page = httpx.get(site + "/p/example-org", headers={"Accept-Language": "zh-CN"}, timeout=30).text
        zeekr = httpx.get(site + "/p/zeekr", headers={"Accept-Language": "en"}, timeout=30).text
    assert "Bank · added by users" in home
    assert "用户添加" in page
    assert "added by users" not in zeekr
