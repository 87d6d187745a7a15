"""Finding platforms the way people type them, against the bundled catalog."""

import pytest
from sqlmodel import Session

from app.settings import BUNDLED_CATALOG
from scraping.catalog import load_catalog
from scraping.sync import sync_catalog
from storage.db import session_scope
from storage.models import utcnow
from storage.search import PlatformLookupError, find_platforms, resolve_platform


@pytest.fixture
def session(engine):
    with session_scope(engine) as setup:
        sync_catalog(setup, load_catalog(BUNDLED_CATALOG), utcnow())
    with Session(engine) as session:
        yield session


@pytest.mark.parametrize(
    ("typed", "slug"),
    [
        ("极氪", "zeekr"),
        ("zeekr", "zeekr"),
        ("jike", "zeekr"),
        ("ZEEKR", "zeekr"),
        ("zeker", "zeekr"),
        ("小红书", "xiaohongshu"),
        ("xhs", "xiaohongshu"),
        ("小红", "xiaohongshu"),
        ("xiaohongshu", "xiaohongshu"),
        ("微信", "wechat"),
        ("weixin", "wechat"),
        ("ＷｅＣｈａｔ", "wechat"),
        ("b站", "bilibili"),
        ("deepseek", "deepseek"),
        ("深度求索", "deepseek"),
        ("twitter", "x"),
        ("美团", "meituan"),
    ],
)
def test_resolves_names_aliases_pinyin_and_typos(session, typed, slug):
    assert resolve_platform(session, typed).slug == slug


def test_ambiguous_and_unknown_queries_explain_themselves(session):
    with pytest.raises(PlatformLookupError) as unknown:
        resolve_platform(session, "nosuchplatform")
    assert unknown.value.candidates == [] and "no platform matches" in str(unknown.value)
    with pytest.raises(PlatformLookupError) as ambiguous:
        resolve_platform(session, "me")
    assert {p.slug for p in ambiguous.value.candidates} >= {"meta", "meituan"}


def test_search_is_bounded_and_handles_empty_input(session):
    assert find_platforms(session, "   ") == []
    assert find_platforms(session, "极" * 100_000) == []
