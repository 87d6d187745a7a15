"""``check``, ``history``, ``reextract`` and ``snapshot`` around a change of our rules, on both databases."""

import json

import pytest
from sqlmodel import Session, func, select

from storage.db import make_engine
from storage.models import Check, Snapshot, Version
from tests.conftest import zeekr
from tests.pages import NEW_PAGE, OLD_PAGE
from tests.servers import Page

pytestmark = pytest.mark.both_databases

WIDER = ["body"]  # the page's header, nav and footer too


def counts(database_url: str) -> tuple[int, int, int]:
    """How many versions, checks and snapshots are stored."""
    engine = make_engine(database_url)
    with Session(engine) as session:
        counted = tuple(
            session.exec(select(func.count()).select_from(model)).one()
            for model in (Version, Check, Snapshot)
        )
    engine.dispose()
    return counted


def test_a_selector_change_is_technical_in_check_and_history(cli, tracked, catalog):
    cli("check")
    catalog(zeekr(tracked.url("/zeekr"), select=WIDER))
    (result,) = cli("check", "--json").json_lines()
    assert (result["outcome"], result["is_baseline"]) == ("technical", False)
    history = {row["id"]: row for row in json.loads(cli("history", "zeekr", "--json").out)}
    assert history[result["version_id"]]["technical"] is True
    assert history[result["previous_version_id"]]["technical"] is False
    assert (
        history[result["version_id"]]["fingerprint"] != history[result["previous_version_id"]]["fingerprint"]
    )
    assert "rules updated" in cli("history", "zeekr").out
    tracked.pages["/zeekr"] = Page(NEW_PAGE)
    assert cli("check").out == (
        "zeekr/privacy_policy: new version (0 lines added, 0 removed, 1 changed, "
        f"against version {result['version_id']}: the previous one read with today's rules)\n"
    )


def test_reextract_dry_run_changes_nothing_and_reextract_records_the_reading(
    cli, tracked, catalog, database_url
):
    cli("check")
    tracked.pages["/zeekr"] = Page(OLD_PAGE + b"<!-- served again -->")
    cli("check")
    catalog(zeekr(tracked.url("/zeekr"), select=WIDER))
    before = counts(database_url)
    dry = cli("reextract", "zeekr", "--dry-run")
    assert dry.code == 0
    assert dry.out.splitlines()[0] == "zeekr/privacy_policy"
    assert "reads differently (2 snapshots)" in dry.out
    assert "in force #1: would be recorded again as a technical version (rules updated)" in dry.out
    assert counts(database_url) == before
    done = cli("reextract")
    assert "in force #1: recorded again as technical version #2 (rules updated)" in done.out
    assert counts(database_url)[:2] == (before[0] + 1, before[1] + 1)
    assert cli("check", "--json").json_lines()[0]["outcome"] == "unchanged"
    assert "today's rules read it as it is: nothing to record" in cli("reextract", "--dry-run").out


def test_reextract_shows_versions_that_would_merge(cli, tracked, catalog):
    catalog(zeekr(tracked.url("/zeekr"), remove=["article.policy p:first-of-type"]))
    cli("check")
    catalog(zeekr(tracked.url("/zeekr")))
    tracked.pages["/zeekr"] = Page(OLD_PAGE.replace(b"<p>", b"<p >", 1))  # other bytes, same text
    cli("check")  # the rules changed and the text with them: a technical version
    out = cli("reextract", "--dry-run").out
    assert "would merge with #1: today's rules read them alike" in out


def test_snapshot_writes_the_raw_page_a_version_was_read_from(cli, tracked, tmp_path):
    cli("check")
    out = cli("snapshot", "1", "-o", str(tmp_path / "page.html"))
    assert out.code == 0 and (tmp_path / "page.html").read_bytes() == OLD_PAGE
    assert f"of {tracked.url('/zeekr')} (text/html; charset=utf-8, charset utf-8)" in out.out
    missing = cli("snapshot", "99")
    assert (missing.code, missing.err) == (2, "policywatch: there is no version 99\n")
