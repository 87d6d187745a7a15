"""User-added documents on both databases: one per normalised URL, where they belong, who tracks them."""

from datetime import UTC, datetime, timedelta

from sqlmodel import select

from scraping.catalog import parse_catalog
from scraping.sync import sync_catalog
from scraping.tracking import add_tracked
from storage.alerts import followers
from storage.db import row_id, session_scope
from storage.models import Document, Platform
from storage.subscribers import ensure_subscriber, follow
from storage.tracking import retire_untracked, track, tracked_count, tracked_documents, untrack

NOW = datetime(2026, 1, 5, tzinfo=UTC)

CATALOG = parse_catalog(
    """
platforms:
  - slug: wechat
    name: {zh: 微信, en: WeChat}
    documents:
      - kind: privacy_policy
        url: https://weixin.qq.com/cgi-bin/readtemplate?t=weixin_agreement&s=privacy
  - slug: zeekr
    name: {zh: 极氪, en: ZEEKR}
    documents:
      - kind: privacy_policy
        url: https://www.zeekrlife.com/privacy
""",
    path=__import__("pathlib").Path("catalog.yaml"),
)


def test_variants_of_a_url_are_one_document_shared_by_everyone(engine):
    with session_scope(engine) as session:
        first = add_tracked(
            session, "https://Bank.example.com/privacy?utm_source=x#top", "privacy_policy", None, NOW
        )
        second = add_tracked(
            session, "https://bank.example.com:443/privacy?spm=1", "privacy_policy", None, NOW
        )
        assert first.id == second.id
        assert first.url == "https://bank.example.com/privacy"
        assert first.added_by_users
        alice, bob = (
            ensure_subscriber(session, 1, "private", "en"),
            ensure_subscriber(session, 2, "private", "zh"),
        )
        assert track(session, alice, first) and track(session, bob, second)
        assert not track(session, alice, second)
        assert tracked_count(session, alice) == 1
        platform = session.get(Platform, first.platform_id)
        assert (platform.slug, platform.name_en, platform.added_by_users) == (
            "example-com",
            "example.com",
            True,
        )
        assert [s.chat_id for s in followers(session, platform.id, first.id)] == [1, 2]


def test_a_page_on_a_catalog_platforms_domain_attaches_to_it(engine):
    with session_scope(engine) as session:
        sync_catalog(session, CATALOG, NOW)
        children = add_tracked(session, "https://weixin.qq.com/children", "children_privacy", "儿童", NOW)
        same_domain = add_tracked(session, "https://privacy.qq.com/policy", "privacy_policy", None, NOW)
        wechat = session.exec(select(Platform).where(Platform.slug == "wechat")).one()
        assert children.platform_id == wechat.id and children.kind == "children_privacy"
        assert same_domain.platform_id == wechat.id
        assert same_domain.kind.startswith("privacy_policy_")  # the catalog's privacy policy keeps its kind
        # Tracking the catalog's own URL (spelt differently) follows the catalog document.
        catalog_policy = add_tracked(
            session, "HTTPS://www.zeekrlife.com/privacy#x", "privacy_policy", None, NOW
        )
        assert not catalog_policy.added_by_users and catalog_policy.kind == "privacy_policy"


def test_a_site_is_named_from_the_page_title(engine):
    with session_scope(engine) as session:
        document = add_tracked(
            session, "https://www.carmaker.com.cn/privacy", "privacy_policy", "隐私政策 - 某车企", NOW
        )
        platform = session.get(Platform, document.platform_id)
        assert (platform.slug, platform.name_zh) == ("carmaker-com-cn", "某车企")
        terms = add_tracked(session, "https://www.carmaker.com.cn/terms", "terms", None, NOW)
        assert terms.platform_id == platform.id


def test_syncing_the_catalog_leaves_what_users_added_alone(engine):
    with session_scope(engine) as session:
        sync_catalog(session, CATALOG, NOW)
        added = add_tracked(session, "https://bank.example.com/privacy", "privacy_policy", None, NOW)
        on_wechat = add_tracked(session, "https://weixin.qq.com/children", "children_privacy", None, NOW)
        sync_catalog(session, CATALOG, NOW + timedelta(days=1))
        session.refresh(added), session.refresh(on_wechat)
        assert added.retired_at is None and on_wechat.retired_at is None
        assert session.get(Platform, added.platform_id).retired_at is None


def test_a_document_nobody_followed_for_30_days_retires_and_keeps_its_history(engine):
    with session_scope(engine) as session:
        document = add_tracked(session, "https://bank.example.com/privacy", "privacy_policy", None, NOW)
        kept = add_tracked(session, "https://other.example.org/privacy", "privacy_policy", None, NOW)
        alice = ensure_subscriber(session, 1, "private", "en")
        track(session, alice, document), track(session, alice, kept)
        assert untrack(session, alice, document, NOW) and not untrack(session, alice, document, NOW)
        assert retire_untracked(session, NOW - timedelta(days=30), NOW) == []
        later = NOW + timedelta(days=31)
        assert [d.id for d in retire_untracked(session, later - timedelta(days=30), later)] == [document.id]
        assert document.retired_at == later and kept.retired_at is None
        assert session.get(Platform, document.platform_id).retired_at == later
        assert [d.id for _, d in tracked_documents(session, alice)] == [kept.id]
        # Tracked again: back in service, the same row.
        again = add_tracked(session, "https://bank.example.com/privacy", "privacy_policy", None, later)
        assert again.id == document.id and again.retired_at is None
        assert session.get(Platform, again.platform_id).retired_at is None


def test_platform_followers_and_document_trackers_get_one_alert_each(engine):
    with session_scope(engine) as session:
        sync_catalog(session, CATALOG, NOW)
        wechat = session.exec(select(Platform).where(Platform.slug == "wechat")).one()
        children = add_tracked(session, "https://weixin.qq.com/children", "children_privacy", None, NOW)
        policy = session.exec(
            select(Document).where(Document.platform_id == wechat.id, Document.kind == "privacy_policy")
        ).one()
        both, tracker = (
            ensure_subscriber(session, 1, "private", "en"),
            ensure_subscriber(session, 2, "private", "en"),
        )
        follow(session, both, wechat), track(session, both, children), track(session, tracker, children)
        assert [s.chat_id for s in followers(session, row_id(wechat), row_id(children))] == [1, 2]
        assert [s.chat_id for s in followers(session, row_id(wechat), row_id(policy))] == [1]
