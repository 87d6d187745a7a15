"""The ``policywatch`` commands end to end: local pages over HTTP, both databases, text and --json."""

import json
import re
import sqlite3

import pytest
from alembic.script import ScriptDirectory
from sqlmodel import Session, select

from storage.db import make_engine
from storage.migrate import MIGRATIONS
from storage.models import Check, Document, Platform, Version
from tests.conftest import nio, zeekr
from tests.pages import CHANGED_LINE, NEW_COMPANY, NEW_PAGE, OLD_COMPANY, OLD_PAGE
from tests.servers import Page

VERSION_FIELDS = {
    "id",
    "document_kind",
    "sha256",
    "chars",
    "first_seen_at",
    "last_seen_at",
    "stated_update_date",
    "stated_effective_date",
    "technical",
    "fingerprint",
    "snapshot_id",
}


@pytest.fixture
def stored(database_url):
    """Read what the commands stored."""
    engine = make_engine(database_url)

    def query(statement):
        with Session(engine) as session:
            return list(session.exec(statement))

    yield query
    engine.dispose()


def test_seed_pair_makes_one_new_version_changing_only_line_147(cli, tracked, stored):
    first = cli("check")
    assert (first.code, first.out) == (0, "zeekr/privacy_policy: new version (baseline, 424 lines)\n")

    tracked.pages["/zeekr"] = Page(NEW_PAGE)
    second = cli("check", "zeekr")
    assert (second.code, second.out) == (
        0,
        "zeekr/privacy_policy: new version (0 lines added, 0 removed, 1 changed)\n",
    )

    old, new = stored(select(Version).order_by(Version.id))
    differing = [
        number
        for number, (a, b) in enumerate(zip(old.text.split("\n"), new.text.split("\n"), strict=True), 1)
        if a != b
    ]
    assert differing == [CHANGED_LINE]
    assert OLD_COMPANY in old.text.split("\n")[CHANGED_LINE - 1]
    assert NEW_COMPANY in new.text.split("\n")[CHANGED_LINE - 1]

    versions = json.loads(cli("history", "zeekr", "--json").out)
    assert [v["id"] for v in versions] == [old.id, new.id]
    assert all(set(v) == VERSION_FIELDS for v in versions)
    assert [(v["stated_update_date"], v["stated_effective_date"]) for v in versions] == [
        ("2025-05-19", "2025-05-25")
    ] * 2
    assert versions[1]["sha256"] != versions[0]["sha256"] and versions[1]["chars"] == len(new.text)


def test_same_page_again_makes_no_version_and_moves_last_seen(cli, tracked, stored):
    cli("check")
    again = cli("check")
    assert (again.code, again.out) == (0, "zeekr/privacy_policy: unchanged\n")
    (version,) = stored(select(Version))
    assert version.last_seen_at > version.first_seen_at
    assert [c.outcome for c in stored(select(Check).order_by(Check.id))] == ["new_version", "unchanged"]


def test_first_version_served_again_is_a_revert(cli, tracked, stored):
    cli("check")
    tracked.pages["/zeekr"] = Page(NEW_PAGE)
    cli("check")
    tracked.pages["/zeekr"] = Page(OLD_PAGE)
    reverted = cli("check", "--json")
    (line,) = reverted.json_lines()
    first, second = stored(select(Version).order_by(Version.id))
    assert line == {
        "platform": "zeekr",
        "document_kind": "privacy_policy",
        "outcome": "reverted",
        "reason": None,
        "failure_kind": None,
        "version_id": first.id,
        "previous_version_id": second.id,
        "is_baseline": False,
        "url": tracked.url("/zeekr"),
    }
    assert len(stored(select(Version))) == 2
    assert re.fullmatch(r"zeekr/privacy_policy: unchanged\n", cli("check").out)


def test_etag_makes_an_unchanged_page_a_304(cli, tracked, stored):
    tracked.pages["/zeekr"] = Page(OLD_PAGE, etag='"v1"')
    cli("check")
    second = cli("check", "--json")
    assert second.json_lines()[0]["outcome"] == "not_modified"
    assert second.json_lines()[0]["version_id"] == stored(select(Version))[0].id
    assert tracked.requests[-1][1].get("If-None-Match") == '"v1"'
    assert cli("check").out == "zeekr/privacy_policy: not modified\n"


def test_a_failed_fetch_is_recorded_and_counted_never_a_version(cli, page_server, catalog, stored):
    catalog(zeekr(page_server.url("/gone")), nio(page_server.serve("/nio", Page(OLD_PAGE))))
    result = cli("check")
    assert result.code == 1
    assert sorted(result.out.splitlines()) == [
        "nio/privacy_policy: new version (baseline, 424 lines)",
        f"zeekr/privacy_policy: failed (HTTP 404 from {page_server.url('/gone')})",
    ]
    cli("check", "zeekr")
    failed = stored(select(Check).where(Check.outcome == "failed"))
    assert [(c.http_status, c.version_id) for c in failed] == [(404, None), (404, None)]
    (zeekr_doc,) = stored(select(Document).join(Platform).where(Platform.slug == "zeekr"))
    assert zeekr_doc.consecutive_failures == 2
    assert len(stored(select(Version))) == 1


def test_private_addresses_are_refused_unless_allowed(cli, tracked, monkeypatch, stored):
    monkeypatch.setenv("ALLOW_PRIVATE_NETWORKS", "false")
    result = cli("check", "--json")
    assert result.code == 1
    (line,) = result.json_lines()
    assert line["outcome"] == "failed" and "non-public address 127.0.0.1" in line["reason"]
    assert line["failure_kind"] == "permanent"
    assert tracked.requests == [] and stored(select(Version)) == []


def test_platform_names_in_chinese_english_alias_or_pinyin(cli, tracked):
    for name in ["zeekr", "极氪", "ZEEKR", "jike", "极氪汽车", "Jike ", "zeker"]:
        assert cli("history", name).out.startswith("极氪 / ZEEKR (zeekr)\n")


def test_unknown_platform_is_a_clear_error_and_changes_nothing(cli, tracked, stored):
    result = cli("check", "nosuchplatform")
    assert result.code == 2
    assert "no platform matches 'nosuchplatform'" in result.err
    assert stored(select(Check)) == []
    huge = cli("history", "x" * 10_000)
    assert huge.code == 2 and len(huge.err) < 300


def test_history_text_lists_versions_with_stated_dates(cli, tracked):
    assert "no version yet" in cli("history", "zeekr").out
    cli("check")
    out = cli("history", "极氪").out
    assert "privacy_policy  " + tracked.url("/zeekr") in out
    assert re.search(r"#\d+  updated 2025-05-19  effective 2025-05-25  first seen \d{4}-\d\d-\d\d", out)


def test_platforms_lists_and_searches(cli, page_server, catalog):
    catalog(zeekr(page_server.url("/z")), nio(page_server.url("/n")))
    assert cli("platforms").out.splitlines() == [
        "nio            蔚来 / NIO  [privacy_policy]",
        "zeekr          极氪 / ZEEKR  [privacy_policy]",
    ]
    assert cli("platforms", "weilai").out.startswith("nio ")
    assert json.loads(cli("platforms", "极氪", "--json").out) == [
        {
            "slug": "zeekr",
            "name_zh": "极氪",
            "name_en": "ZEEKR",
            "aliases": ["jike", "极氪汽车"],
            "documents": ["privacy_policy"],
        }
    ]
    missing = cli("platforms", "qqqqqq")
    assert missing.code == 2 and "no platform matches" in missing.err


def test_removed_platform_retires_but_keeps_its_history(cli, tracked, catalog, stored):
    cli("check")
    catalog(nio(tracked.serve("/nio", Page(NEW_PAGE))))
    assert cli("check").out == "nio/privacy_policy: new version (baseline, 424 lines)\n"
    (platform,) = stored(select(Platform).where(Platform.slug == "zeekr"))
    assert platform.retired_at is not None
    assert "#" in cli("history", "zeekr").out
    assert "zeekr" not in cli("platforms").out


def test_invalid_settings_name_the_variable(cli, tracked, monkeypatch):
    monkeypatch.setenv("CHECK_INTERVAL", "often")
    result = cli("platforms")
    assert result.code == 2 and "CHECK_INTERVAL" in result.err and "not a duration" in result.err


def test_broken_catalog_stops_before_anything_runs(cli, tracked, catalog):
    catalog({"slug": "Bad", "name": {"zh": "坏"}, "documents": []})
    result = cli("check")
    assert result.code == 2
    assert "catalog.yaml: platforms[0] (Bad).slug" in result.err and tracked.requests == []


@pytest.mark.both_databases
def test_db_upgrade_says_where_the_schema_stands(cli):
    result = cli("db", "upgrade")
    assert result.code == 0
    head = ScriptDirectory(str(MIGRATIONS)).get_current_head()
    assert result.out.strip().endswith(f"is at revision {head}")
    assert "secret" not in result.out


@pytest.mark.both_databases
def test_db_backup_copies_sqlite_while_in_use_and_points_postgresql_to_pg_dump(
    cli, tracked, tmp_path, database_url
):
    assert cli("check").code == 0
    backup = tmp_path / "backups" / "policywatch.db"
    result = cli("db", "backup", str(backup))
    if database_url.startswith("sqlite"):
        assert result.code == 0 and result.out.startswith(f"wrote {backup}")
        with sqlite3.connect(backup) as copy:
            assert copy.execute("SELECT count(*) FROM versions").fetchone() == (1,)
        again = cli("db", "backup", str(backup))
        assert again.code == 2 and "exists; choose a new file name" in again.err
    else:
        assert result.code == 2 and "pg_dump" in result.err
        assert not backup.exists()
