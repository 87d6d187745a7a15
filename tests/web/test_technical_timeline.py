"""The platform page hides technical versions; with ?technical=1 it shows them as "rules updated"."""

import httpx
import pytest

from storage.db import session_scope
from storage.versions import FetchFacts, record_technical, record_text
from tests.pages import SEED_OLD, seed_text
from tests.seed import NEW_AT, OLD_AT, add_document, document_of_slug
from tests.web.conftest import running
from web.app import WebConfig, create_app

pytestmark = pytest.mark.both_databases


@pytest.fixture
def reread(engine):
    """zeekr: a baseline (1), its re-reading with wider rules (2, technical), the policy's change (3)."""
    old = seed_text(SEED_OLD)
    with session_scope(engine) as session:
        add_document(session, "zeekr", "极氪", "ZEEKR", [(OLD_AT, old)])
        document = document_of_slug(session, "zeekr")
        wider = "极氪\n" + old
        record_technical(session, document, wider, FetchFacts(document.url), OLD_AT.replace(day=20))
    with session_scope(engine) as session:
        changed = wider.replace("浙江浩物网络科技有限公司", "浙江吉利汽车备件有限公司")
        record_text(session, document_of_slug(session, "zeekr"), changed, FetchFacts(document.url), NEW_AT)
    return engine


def test_rules_updates_are_hidden_unless_asked_for(reread):
    with running(create_app(reread, WebConfig())) as url:
        plain = httpx.get(f"{url}/p/zeekr?lang=en").text
        shown = httpx.get(f"{url}/p/zeekr?technical=1&lang=en").text
        feed = httpx.get(f"{url}/p/zeekr/feed.atom").text
    assert "rules updated (the policy did not change)" not in plain and "show rules updates" in plain
    assert "/p/zeekr/privacy_policy/diff/2..3" in plain  # the change is diffed against the re-reading
    assert plain.count("/p/zeekr/privacy_policy/v/") == 2
    assert "rules updated (the policy did not change)" in shown and "hide rules updates" in shown
    assert shown.count("/p/zeekr/privacy_policy/v/") == 3
    assert feed.count("<entry>") == 1 and "/diff/2..3" in feed  # the feed has the policy's change alone
