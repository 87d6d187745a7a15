"""Which stored report the web shows for a pair: a model's before an automatic one, then by language."""

from sqlmodel import Session

from storage.db import session_scope
from storage.reports import ReportKey, best_report, save_report
from tests.seed import NEW_AT, OLD_AT, add_document


def _store(engine, model: str, language: str, headline: str) -> None:
    with session_scope(engine) as session:
        key = ReportKey(1, 2, model, "v1", language)
        save_report(session, key, body={"headline": headline}, is_automatic=model == "automatic")


def _best(engine, languages: tuple[str, ...]) -> str | None:
    with Session(engine) as session:
        report = best_report(session, 1, 2, languages)
    return report.body["headline"] if report else None


def test_a_models_report_first_then_the_languages_in_order_then_the_newest(engine):
    with session_scope(engine) as session:
        add_document(session, "zeekr", "极氪", "ZEEKR", [(OLD_AT, "A"), (NEW_AT, "B")])
    assert _best(engine, ("en", "zh")) is None
    _store(engine, "automatic", "en", "automatic en")
    assert _best(engine, ("en", "zh")) == "automatic en"
    _store(engine, "deepseek-chat", "zh", "model zh")
    assert _best(engine, ("en", "zh")) == "model zh"  # a model's, even in the second language
    _store(engine, "qwen-plus", "en", "model en")
    assert _best(engine, ("en", "zh")) == "model en"
    assert _best(engine, ("zh", "en")) == "model zh"
    _store(engine, "gpt-4o-mini", "zh", "newer model zh")
    assert _best(engine, ("zh",)) == "newer model zh"
    assert _best(engine, ("fr",)) is None
