"""Technical versions: hidden from timelines, yet the previous version of the change after them."""

from datetime import UTC, datetime, timedelta

from sqlmodel import Session

from storage.alerts import changes_without_alert
from storage.db import session_scope
from storage.timeline import timeline, versions_to_compare
from storage.versions import FetchFacts, record_technical, record_text, versions_of
from tests.seed import new_document

T0 = datetime(2025, 11, 10, 21, 38, tzinfo=UTC)
FACTS = FetchFacts("https://example.com/privacy", 200)
POLICY = "隐私政策\n第一条 我们收集位置信息"
REREAD = "极氪\n隐私政策\n第一条 我们收集位置信息\n© 版权所有"  # the same policy, read with a wider selector
CHANGED = "极氪\n隐私政策\n第一条 我们收集位置与设备信息\n© 版权所有"


def history(engine) -> int:
    """A baseline, its technical re-reading a day later, then the policy's change two days later."""
    with session_scope(engine) as session:
        document = new_document(session, url=FACTS.url)
        record_text(session, document, POLICY, FACTS, T0)
        record_technical(session, document, REREAD, FACTS, T0 + timedelta(days=1))
        record_text(session, document, CHANGED, FACTS, T0 + timedelta(days=2))
        return document.id


def test_timelines_leave_technical_changes_out_but_diff_from_them(engine):
    document_id = history(engine)
    with Session(engine) as session:
        shown = timeline(session, document_id)
        every = timeline(session, document_id, technical=True)
        policy_versions = versions_of(session, document_id, technical=False)
    assert [change.version.text for change in shown] == [POLICY, CHANGED]
    assert shown[1].previous.text == REREAD and shown[0].in_force.text == REREAD
    assert [change.technical for change in every] == [False, True, False]
    assert [version.text for version in policy_versions] == [POLICY, CHANGED]


def test_comparing_dates_uses_each_version_as_read_with_the_newest_rules(engine):
    document_id = history(engine)
    with Session(engine) as session:
        changes = timeline(session, document_id)
    old, new = versions_to_compare(changes, T0.date(), "latest")
    assert (old.text, new.text) == (REREAD, CHANGED)
    assert versions_to_compare(changes, "previous")[0].text == REREAD


def test_only_the_policys_change_is_alerted_and_from_the_re_reading(engine):
    history(engine)
    with Session(engine) as session:
        (change,) = changes_without_alert(session, T0)
    assert (change.old.text, change.new.text) == (REREAD, CHANGED)
