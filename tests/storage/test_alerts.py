"""Changes awaiting an alert, followers and digests, on both databases."""

from datetime import timedelta

from storage.alerts import alerts_for_digest, changes_without_alert, followers, wants_instantly
from storage.db import session_scope
from storage.models import Alert, Document, Platform, Subscriber, utcnow
from storage.subscribers import ensure_subscriber, follow
from storage.versions import FetchFacts, record_text
from tests.seed import new_document

NOW = utcnow()
HOUR = timedelta(hours=1)


def _document(session, slug: str) -> Document:
    return new_document(session, slug, slug, slug)


def _record(session, document: Document, text: str, at):
    return record_text(session, document, text, FetchFacts(document.url, 200), at)


def _alert(session, recorded) -> Alert:
    alert = Alert(
        check_id=recorded.check.id,
        document_id=recorded.check.document_id,
        from_version_id=recorded.previous.id,
        to_version_id=recorded.version.id,
        severity="minor",
        headlines={"en": "one change"},
        messages={"en": "one change"},
    )
    session.add(alert)
    session.flush()
    return alert


def test_changes_without_alert_skip_baselines_repeats_alerted_and_old_changes(engine):
    with session_scope(engine) as session:
        document = _document(session, "zeekr")
        _record(session, document, "v1", NOW - 3 * HOUR)  # baseline: never a change
        too_old = _record(session, document, "v2", NOW - 3 * HOUR)
        _record(session, document, "v2", NOW - 2 * HOUR)  # seen again: not a change
        alerted = _record(session, document, "v3", NOW - HOUR)
        _alert(session, alerted)
        reverted = _record(session, document, "v2", NOW)
    with session_scope(engine) as session:
        changes = changes_without_alert(session, since=NOW - 2 * HOUR)
        assert [(c.old.text, c.new.text, c.check.id) for c in changes] == [("v3", "v2", reverted.check.id)]
        assert too_old.check.id not in [c.check.id for c in changes]


def test_followers_are_the_active_chats_following_the_platform(engine):
    with session_scope(engine) as session:
        zeekr, nio = _document(session, "zeekr"), _document(session, "nio")
        platform = session.get(Platform, zeekr.platform_id)
        for chat_id, active in ((1, True), (2, False), (3, True)):
            chat = ensure_subscriber(session, chat_id, "private", "en")
            follow(session, chat, platform)
            chat.is_active = active
        follow(
            session, ensure_subscriber(session, 4, "private", "en"), session.get(Platform, nio.platform_id)
        )
    with session_scope(engine) as session:
        assert [s.chat_id for s in followers(session, zeekr.platform_id)] == [1, 3]


def test_instant_alerts_respect_the_minimum_severity_and_the_digest_choice():
    assert wants_instantly(Subscriber(chat_id=1), "none")
    moderate_up = Subscriber(chat_id=1, min_severity="moderate")
    assert not wants_instantly(moderate_up, "minor")
    assert wants_instantly(moderate_up, "moderate") and wants_instantly(moderate_up, "major")
    assert not wants_instantly(Subscriber(chat_id=1, digest=True), "major")


def test_a_digest_lists_the_alerts_of_followed_platforms_since_its_start(engine):
    with session_scope(engine) as session:
        zeekr, nio = _document(session, "zeekr"), _document(session, "nio")
        for document in (zeekr, nio):
            _record(session, document, "v1", NOW - 2 * HOUR)
            _alert(session, _record(session, document, "v2", NOW))
        chat = ensure_subscriber(session, 1, "private", "en")
        follow(session, chat, session.get(Platform, zeekr.platform_id))
    with session_scope(engine) as session:
        chat = ensure_subscriber(session, 1, "private", "en")
        assert [p.slug for _, p in alerts_for_digest(session, chat, NOW - HOUR)] == ["zeekr"]
        assert alerts_for_digest(session, chat, utcnow() + HOUR) == []


def test_a_digest_lists_the_alerts_of_tracked_documents_once(engine):
    from storage.tracking import track

    with session_scope(engine) as session:
        zeekr, nio, xpeng = (_document(session, slug) for slug in ("zeekr", "nio", "xpeng"))
        for document in (zeekr, nio, xpeng):
            _record(session, document, "v1", NOW - 2 * HOUR)
            _alert(session, _record(session, document, "v2", NOW))
        chat = ensure_subscriber(session, 1, "private", "en")
        follow(session, chat, session.get(Platform, zeekr.platform_id))
        track(session, chat, zeekr)  # followed and tracked: still one alert
        track(session, chat, nio)
    with session_scope(engine) as session:
        chat = ensure_subscriber(session, 1, "private", "en")
        assert [p.slug for _, p in alerts_for_digest(session, chat, NOW - HOUR)] == ["zeekr", "nio"]
