"""A site to read: the seed pair and the hostile pair (2025-12-31), and 小红书 with three changes, two of them
reported by a model, one in week 2025-W48 and the newest of all on 2026-01-02."""

from datetime import UTC, datetime

from sqlalchemy import Engine
from sqlmodel import Session

from analysis.dates import stated_dates
from analysis.report import PROMPT_VERSION, ChangeReport
from kinds import Severity
from storage.db import row_id, session_scope
from storage.models import Document, Version
from storage.reports import ReportKey, save_report
from storage.versions import FetchFacts, record_text, versions_of
from tests.seed import add_document, document_of_slug

BASE_AT = datetime(2025, 11, 20, 8, 0, tzinfo=UTC)  # 小红书's first version
W48_AT = datetime(2025, 11, 26, 9, 30, tzinfo=UTC)  # a Wednesday in 2025-W48
NEWEST_AT = datetime(2026, 1, 2, 10, 0, tzinfo=UTC)  # a Friday in 2026-W01, after the seed pair's change
TERMS_AT = datetime(2025, 12, 29, 12, 0, tzinfo=UTC)  # 小红书's terms, a Monday in 2026-W01

XHS = [
    (BASE_AT, "小红书隐私政策\n更新日期:2025年11月1日\n我们收集您的手机号码。"),
    (W48_AT, "小红书隐私政策\n更新日期:2025年11月25日\n我们收集您的手机号码。\n我们接入第三方SDK用于推送。"),
    (
        NEWEST_AT,
        "小红书隐私政策\n更新日期:2026年1月1日\n生效日期:2026年1月8日\n我们收集您的手机号码与人脸信息。\n"
        "我们接入第三方SDK用于推送。",
    ),
]
TERMS = [(BASE_AT, "小红书用户协议\n第一条 总则"), (TERMS_AT, "小红书用户协议\n第一条 总则(修订)")]

NEWEST = {"zh": "新增收集人脸信息", "en": "Face data is now collected"}
W48 = {"zh": "新增推送SDK", "en": "A push SDK was added"}
ZEEKR = {"zh": "运营主体变更", "en": "Operator changed"}


def _report(
    session: Session, old: Version, new: Version, severity: Severity, headlines: dict[str, str]
) -> None:
    """A model's report of ``old`` → ``new`` in each language, as the alert pipeline stores them."""
    for language, headline in headlines.items():
        report = ChangeReport(severity=severity, headline=headline, assessment=headline + ".")
        key = ReportKey(row_id(old), row_id(new), "deepseek-chat", PROMPT_VERSION, language)
        save_report(session, key, body=report.model_dump(mode="json"), is_automatic=False)


def add_reading_site(engine: Engine) -> None:
    """Adds 小红书 (xhs) to a database already holding the ``seeded`` fixture's zeekr and evil pairs."""
    with session_scope(engine) as session:
        add_document(session, "xhs", "小红书", "Xiaohongshu", XHS, ["xiaohongshu", "rednote"])
        policy = document_of_slug(session, "xhs")
        terms = Document(platform_id=policy.platform_id, kind="terms", url="https://example.com/xhs/terms")
        session.add(terms)
        session.flush()
        for at, text in TERMS:
            record_text(session, terms, text, FetchFacts(terms.url, 200), at, stated_dates(text))
        base, w48, newest = versions_of(session, row_id(policy))
        _report(session, base, w48, Severity.MODERATE, W48)
        _report(session, w48, newest, Severity.MAJOR, NEWEST)
        old, new = versions_of(session, row_id(document_of_slug(session, "zeekr")))
        _report(session, old, new, Severity.MINOR, ZEEKR)
