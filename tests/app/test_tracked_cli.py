"""`policywatch tracked`: the documents people added, their followers, and the catalog entry promoting one."""

import yaml

from scraping.catalog import parse_catalog
from scraping.sync import sync_catalog
from scraping.tracking import add_tracked
from storage.db import make_engine, session_scope
from storage.models import Document, utcnow
from storage.subscribers import ensure_subscriber
from storage.tracking import track
from tests.conftest import zeekr


def test_tracked_lists_user_documents_and_prints_the_entry_that_promotes_one(
    cli, catalog, database_url, tmp_path
):
    catalog(zeekr("https://www.zeekrlife.com/privacy"))
    assert cli("tracked").out == "no document added by users\n"
    engine = make_engine(database_url)
    with session_scope(engine) as session:
        bank = add_tracked(session, "https://bank.example.org/privacy", "privacy_policy", utcnow())
        on_zeekr = add_tracked(session, "https://www.zeekrlife.com/children", "children_privacy", utcnow())
        for chat_id in (1, 2):
            track(session, ensure_subscriber(session, chat_id, "private", "en"), bank)
        ids = bank.id, on_zeekr.id
    result = cli("tracked")
    assert result.code == 0
    assert result.out.splitlines() == [
        f"{ids[0]:>5}  example-org/privacy_policy  2 followers  https://bank.example.org/privacy",
        f"{ids[1]:>5}  zeekrlife-com/children_privacy  0 followers  https://www.zeekrlife.com/children",
    ]
    entry = yaml.safe_load(cli("tracked", str(ids[0])).out)
    assert entry == [
        {
            "slug": "example-org",
            "name": {"zh": "example.org", "en": "example.org"},
            "aliases": [],
            "documents": [{"kind": "privacy_policy", "url": "https://bank.example.org/privacy"}],
        }
    ]
    # A page on ZEEKR's domain is not ZEEKR's: its entry is a platform of its own.
    (not_zeekr,) = yaml.safe_load(cli("tracked", str(ids[1])).out)
    assert not_zeekr["slug"] == "zeekrlife-com"
    assert cli("tracked", "99999").code == 2
    # Promoted: the catalog takes the same rows over, history and followers kept.
    promoted = parse_catalog(yaml.safe_dump({"platforms": entry}), tmp_path / "c.yaml")
    with session_scope(engine) as session:
        sync_catalog(session, promoted, utcnow())
        document = session.get(Document, ids[0])
        assert not document.added_by_users and document.retired_at is None
    engine.dispose()
