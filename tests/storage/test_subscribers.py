"""Subscribers on both databases: first contact, following, languages."""

from storage.db import session_scope
from storage.models import Platform
from storage.subscribers import (
    choose_language,
    ensure_subscriber,
    follow,
    followed_platforms,
    get_subscriber,
    unfollow,
)


def _platforms(session, *slugs: str) -> list[Platform]:
    platforms = [Platform(slug=slug, name_zh=slug, name_en=slug) for slug in slugs]
    session.add_all(platforms)
    session.flush()
    return platforms


def test_following_is_once_per_platform_and_listed_by_slug(engine):
    with session_scope(engine) as session:
        zeekr, nio = _platforms(session, "zeekr", "nio")
        chat = ensure_subscriber(session, 42, "private", "zh")
        assert follow(session, chat, zeekr) and follow(session, chat, nio)
        assert not follow(session, chat, zeekr)
        assert [p.slug for p in followed_platforms(session, chat)] == ["nio", "zeekr"]
        assert unfollow(session, chat, nio) and not unfollow(session, chat, nio)
        assert [p.slug for p in followed_platforms(session, chat)] == ["zeekr"]


def test_a_private_chat_follows_its_telegram_language_until_it_picks_one(engine):
    with session_scope(engine) as session:
        ensure_subscriber(session, 42, "private", "zh")
        assert ensure_subscriber(session, 42, "private", "en").language == "en"
        choose_language(session, get_subscriber(session, 42), "zh")
        assert ensure_subscriber(session, 42, "private", "en").language == "zh"


def test_a_group_keeps_the_language_of_whoever_spoke_first(engine):
    with session_scope(engine) as session:
        ensure_subscriber(session, -5, "group", "zh")
        assert ensure_subscriber(session, -5, "group", "en").language == "zh"


def test_a_paused_chat_that_talks_again_is_active_and_keeps_what_it_follows(engine):
    with session_scope(engine) as session:
        (zeekr,) = _platforms(session, "zeekr")
        chat = ensure_subscriber(session, 42, "private", "en")
        follow(session, chat, zeekr)
        chat.is_active = False
    with session_scope(engine) as session:
        chat = ensure_subscriber(session, 42, "private", "en")
        assert chat.is_active
        assert [p.slug for p in followed_platforms(session, chat)] == ["zeekr"]
