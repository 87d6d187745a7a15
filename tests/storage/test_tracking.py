"""User-added documents on both databases: one per normalised URL, where they belong, who tracks them."""

import hashlib
from datetime import UTC, datetime, timedelta

from sqlmodel import select

from scraping.catalog import parse_catalog
from scraping.sync import sync_catalog
from scraping.tracking import add_tracked
from storage.alerts import followers, recipient_batches
from storage.db import session_scope
from storage.models import Document, Platform, Version
from storage.search import find_platforms, platform_named, resolve_platform
from storage.subscribers import ensure_subscriber, follow
from storage.tracking import (
    documents_added,
    documents_added_by_user,
    retire_untracked,
    track,
    tracked_count,
    tracked_documents,
    untrack,
)

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


def chats_hearing(session, document) -> list[int]:
    """Who hears of a document's changes, read one at a time (the pages of a fan-out)."""
    return [r.chat_id for batch in recipient_batches(session, document, size=1) for r in batch]


def test_variants_of_a_url_are_one_document_shared_by_everyone(engine):
    with session_scope(engine) as session:
        first = add_tracked(
            session, "https://Bank.example.com/privacy?utm_source=x#top", "privacy_policy", NOW
        )
        second = add_tracked(session, "https://bank.example.com:443/privacy?spm=1", "privacy_policy", NOW)
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


def test_a_page_on_a_catalog_platforms_domain_gets_a_users_platform_of_its_own(engine):
    with session_scope(engine) as session:
        sync_catalog(session, CATALOG, NOW)
        children = add_tracked(session, "https://weixin.qq.com/children", "children_privacy", NOW)
        same_domain = add_tracked(session, "https://privacy.qq.com/policy", "privacy_policy", NOW)
        wechat = session.exec(select(Platform).where(Platform.slug == "wechat")).one()
        site = session.get(Platform, children.platform_id)
        assert (site.slug, site.name_zh, site.added_by_users) == ("qq-com", "qq.com", True)
        assert site.id != wechat.id and same_domain.platform_id == site.id
        assert children.kind == "children_privacy" and same_domain.kind == "privacy_policy"
        # Tracking the catalog's own URL (spelt differently, any scheme) follows the catalog document.
        for spelling in ("HTTPS://www.zeekrlife.com/privacy#x", "http://www.zeekrlife.com/privacy?utm_x=1"):
            catalog_policy = add_tracked(session, spelling, "privacy_policy", NOW)
            assert not catalog_policy.added_by_users and catalog_policy.kind == "privacy_policy"


def test_a_site_is_named_from_its_domain_never_from_the_page_title(engine):
    with session_scope(engine) as session:
        sync_catalog(session, CATALOG, NOW)
        document = add_tracked(session, "https://www.carmaker.com.cn/privacy", "privacy_policy", NOW)
        platform = session.get(Platform, document.platform_id)
        assert (platform.slug, platform.name_zh, platform.name_en) == (
            "carmaker-com-cn",
            "carmaker.com.cn",
            "carmaker.com.cn",
        )
        terms = add_tracked(session, "https://www.carmaker.com.cn/terms", "terms", NOW)
        assert terms.platform_id == platform.id


def test_a_users_platform_spelt_like_a_catalog_one_never_takes_its_name(engine):
    """A users' platform named 微信 (a title "隐私政策 | 微信" once named one): /follow 微信 works."""
    with session_scope(engine) as session:
        sync_catalog(session, CATALOG, NOW)
        session.add(Platform(slug="evil-example", name_zh="微信", name_en="WeChat", added_by_users=True))
        session.flush()
        for name in ("微信", "wechat", "weixin"):
            assert resolve_platform(session, name).slug == "wechat"
            assert platform_named(session, name).slug == "wechat"
        assert [p.slug for p in find_platforms(session, "微信")] == ["wechat"]
        assert resolve_platform(session, "evil-example").slug == "evil-example"


def test_syncing_the_catalog_leaves_what_users_added_alone(engine):
    with session_scope(engine) as session:
        sync_catalog(session, CATALOG, NOW)
        added = add_tracked(session, "https://bank.example.com/privacy", "privacy_policy", NOW)
        on_wechat = add_tracked(session, "https://weixin.qq.com/children", "children_privacy", NOW)
        sync_catalog(session, CATALOG, NOW + timedelta(days=1))
        session.refresh(added), session.refresh(on_wechat)
        assert added.retired_at is None and on_wechat.retired_at is None
        assert session.get(Platform, added.platform_id).retired_at is None


def test_a_document_nobody_followed_for_30_days_retires_and_keeps_its_history(engine):
    with session_scope(engine) as session:
        document = add_tracked(session, "https://bank.example.com/privacy", "privacy_policy", NOW)
        kept = add_tracked(session, "https://other.example.org/privacy", "privacy_policy", NOW)
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
        again = add_tracked(session, "https://bank.example.com/privacy", "privacy_policy", later)
        assert again.id == document.id and again.retired_at is None
        assert session.get(Platform, again.platform_id).retired_at is None


def test_the_new_documents_a_chat_added_are_counted_from_the_database_for_30_days(engine):
    with session_scope(engine) as session:
        sync_catalog(session, CATALOG, NOW)
        alice, bob = (
            ensure_subscriber(session, 1, "private", "en"),
            ensure_subscriber(session, 2, "private", "en"),
        )
        old = add_tracked(session, "https://old.example.org/privacy", "privacy_policy", NOW, added_by=alice)
        later = NOW + timedelta(days=20)
        page = add_tracked(
            session, "https://bank.example.com/privacy", "privacy_policy", later, added_by=alice
        )
        track(session, alice, page), untrack(session, alice, page, later)  # untracked: still counted
        add_tracked(
            session, "https://bank.example.com/privacy?utm_x=1", "privacy_policy", later, added_by=bob
        )
        add_tracked(session, "https://www.zeekrlife.com/privacy", "privacy_policy", later, added_by=bob)
        assert documents_added(session, alice, later - timedelta(days=30)) == 2
        assert documents_added(session, alice, NOW + timedelta(days=40) - timedelta(days=30)) == 1
        assert documents_added(session, bob, NOW) == 0  # an existing page and a catalog one: nothing new
        assert old.added_by_subscriber_id == alice.id


def _added_before(session, platform: Platform, kind: str, url: str) -> Document:
    """A user-added document as stored by an earlier normalisation: its URL and key as they were then."""
    document = Document(
        platform_id=platform.id,
        kind=kind,
        url=url,
        url_key=hashlib.sha256(url.encode()).hexdigest(),
        added_by_users=True,
        created_at=NOW,
    )
    session.add(document)
    session.flush()
    return document


def test_documents_stored_under_an_older_normalisation_are_found_and_merged_at_start(engine):
    with session_scope(engine) as session:
        site = Platform(slug="example-com", name_zh="example.com", name_en="example.com", added_by_users=True)
        session.add(site)
        session.flush()
        escaped = _added_before(session, site, "privacy_policy", "http://bank.example.com/%70rivacy")
        plain = _added_before(session, site, "privacy_policy_2", "https://bank.example.com/privacy")
        chinese = _added_before(session, site, "terms", "https://例子.中国/p")
        alice, bob, carol = (ensure_subscriber(session, n, "private", "en") for n in (1, 2, 3))
        track(session, alice, escaped), track(session, alice, plain), track(session, bob, plain)
        track(session, carol, chinese)
        session.add(Version(document_id=escaped.id, sha256="0" * 64, text="kept", chars=4))
    for day in (1, 2):  # a second start changes nothing
        with session_scope(engine) as session:
            sync_catalog(session, CATALOG, NOW + timedelta(days=day))
    with session_scope(engine) as session:
        assert add_tracked(session, "https://xn--fsqu00a.xn--fiqs8s/p", "terms", NOW).id == chinese.id
        for spelling in ("http://bank.example.com/privacy", "https://bank.example.com/%70rivacy"):
            assert add_tracked(session, spelling, "privacy_policy", NOW).id == plain.id  # the most tracked
        merged = session.get_one(Document, escaped.id)
        assert merged.retired_at == NOW + timedelta(days=1) and merged.url_key is None
        assert session.exec(select(Version.text).where(Version.document_id == escaped.id)).all() == ["kept"]
        alice = ensure_subscriber(session, 1, "private", "en")
        assert [d.id for _, d in tracked_documents(session, alice)] == [plain.id]  # once, not twice


def test_a_users_document_reaches_its_trackers_only_never_the_platforms_followers(engine):
    with session_scope(engine) as session:
        sync_catalog(session, CATALOG, NOW)
        wechat = session.exec(select(Platform).where(Platform.slug == "wechat")).one()
        children = add_tracked(session, "https://weixin.qq.com/children", "children_privacy", NOW)
        # Even one attached to the catalog platform (as /track did before) reaches its trackers only.
        attached = Document(
            platform_id=wechat.id, kind="other", url="https://docs.qq.com/x", added_by_users=True
        )
        session.add(attached)
        policy = session.exec(
            select(Document).where(Document.platform_id == wechat.id, Document.kind == "privacy_policy")
        ).one()
        both, tracker, follower = (
            ensure_subscriber(session, 1, "private", "en"),
            ensure_subscriber(session, 2, "private", "en"),
            ensure_subscriber(session, 3, "private", "en"),
        )
        follow(session, both, wechat), track(session, both, children), track(session, tracker, children)
        follow(session, follower, wechat), track(session, both, policy), track(session, tracker, attached)
        follow(session, follower, session.get(Platform, children.platform_id))
        assert chats_hearing(session, children) == [1, 2]
        assert chats_hearing(session, attached) == [2]
        assert chats_hearing(session, policy) == [1, 3]


def test_the_new_documents_one_person_added_are_counted_across_chats_with_ids_past_32_bits(engine):
    person, other = 7_000_000_001, 7_000_000_002  # Telegram user ids need more than 32 bits
    with session_scope(engine) as session:
        sync_catalog(session, CATALOG, NOW)
        groups = [ensure_subscriber(session, -100 - n, "supergroup", "en") for n in range(2)]
        for n, group in enumerate(groups):
            url = f"https://site{n}.example.org/privacy"
            add_tracked(session, url, "privacy_policy", NOW, group, added_by_user_id=person)
        add_tracked(session, "https://site0.example.org/privacy#x", "privacy_policy", NOW, groups[1], other)
        assert documents_added_by_user(session, person, NOW - timedelta(days=30)) == 2
        assert documents_added_by_user(session, person, NOW + timedelta(days=1)) == 0
        assert documents_added_by_user(session, other, NOW) == 0  # an existing page: nothing new
