"""Which stored report the web shows for a pair: a model's before an automatic one, then by language."""

from sqlmodel import Session

from storage.db import session_scope
from storage.reports import ReportKey, best_report, best_reports, save_report
from tests.seed import NEW_AT, OLD_AT, add_document


def _store(engine, model: str, language: str, headline: str, pair: tuple[int, int] = (1, 2)) -> None:
    with session_scope(engine) as session:
        key = ReportKey(*pair, model, "v1", language)
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


def test_many_pairs_at_once_pick_as_one_pair_does(engine):
    with session_scope(engine) as session:
        add_document(session, "zeekr", "极氪", "ZEEKR", [(OLD_AT, "A"), (NEW_AT, "B"), (NEW_AT, "C")])
    _store(engine, "automatic", "en", "automatic 1..2")
    _store(engine, "deepseek-chat", "zh", "model 1..2")
    _store(engine, "automatic", "zh", "automatic 2..3", pair=(2, 3))
    _store(engine, "deepseek-chat", "en", "model 1..3", pair=(1, 3))  # a pair not asked for
    with Session(engine) as session:
        found = best_reports(session, [(1, 2), (2, 3), (2, 1)], ("en", "zh"))
        assert best_reports(session, [], ("en",)) == {}
    assert {pair: report.body["headline"] for pair, report in found.items()} == {
        (1, 2): "model 1..2",
        (2, 3): "automatic 2..3",
    }
