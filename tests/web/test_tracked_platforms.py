"""Platforms people added with /track are labelled on the web."""

import httpx

from bot.inline import latest_changes
from scraping.tracking import add_tracked
from storage.db import session_scope
from storage.models import Platform, utcnow
from storage.versions import FetchFacts, record_text
from tests.web.conftest import running
from web.app import WebConfig, create_app


def test_a_platform_added_by_users_is_labelled_on_home_and_its_page(seeded):
    with session_scope(seeded) as session:
        document = add_tracked(session, "https://bank.example.org/privacy", "privacy_policy", utcnow())
        for text in ("Bank privacy policy\nWe collect.", "Bank privacy policy\nWe collect. Visit evil."):
            record_text(session, document, text, FetchFacts(document.url, 200), utcnow(), (None, None))
    with running(create_app(seeded, WebConfig(public_url="https://policywatch.example"))) as site:
        home = httpx.get(site + "/", headers={"Accept-Language": "en"}, timeout=30).text
        page = httpx.get(site + "/p/example-org", headers={"Accept-Language": "zh-CN"}, timeout=30).text
        zeekr = httpx.get(site + "/p/zeekr", headers={"Accept-Language": "en"}, timeout=30).text
    assert "example.org · added by users" in home
    assert "用户添加" in page
    assert "added by users" not in zeekr


def test_a_change_of_a_page_added_by_users_is_only_on_its_platforms_page(seeded):
    """Anyone may add a page: its changes stay off home, /weekly and the feed of all platforms."""
    with session_scope(seeded) as session:
        document = add_tracked(session, "https://example.com/attacker", "privacy_policy", utcnow())
        for text in ("Evil policy\nWe collect.", "Evil policy\nWe collect. Visit evil.example now."):
            record_text(session, document, text, FetchFacts(document.url, 200), utcnow(), (None, None))
        slug = session.get_one(Platform, document.platform_id).slug
    diff = f"/p/{slug}/privacy_policy/diff/"
    with running(create_app(seeded, WebConfig(public_url="https://policywatch.example"))) as site:
        pages = {
            path: httpx.get(site + path, headers={"Accept-Language": "en"}, timeout=30).text
            for path in ("/", "/weekly", "/feeds/all.atom", f"/p/{slug}", f"/p/{slug}/feed.atom")
        }
    pages["/"] = pages["/"].partition('id="all-platforms"')[0]  # the latest changes, not the platform list
    assert [path for path, text in pages.items() if diff in text] == [f"/p/{slug}", f"/p/{slug}/feed.atom"]
    assert "/p/zeekr/privacy_policy/diff/" in pages["/feeds/all.atom"]  # the catalog's changes stay
    # Inline mode: not among an empty query's latest changes; asked for by its site, it is offered.
    assert all(entry.document.id != document.id for entry, _ in latest_changes(seeded, "", "en"))
    assert [entry.document.id for entry, _ in latest_changes(seeded, slug, "en")] == [document.id]
