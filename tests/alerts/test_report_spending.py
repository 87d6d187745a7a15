"""Who can make the model write: pages never, the daily cap always, and its severity has a floor."""

from datetime import timedelta
from itertools import permutations

import pytest
from sqlmodel import Session, col, select

from alerts.pipeline import AlertPipeline
from alerts.reports import ReportService
from kinds import Severity
from storage.db import session_scope
from storage.models import Alert, Delivery, Report, Version, utcnow
from tests.alerts.test_delivery import LINKS, SOON_AFTER, drain, subscribe
from tests.alerts.test_reports import client_for
from tests.analysis.test_report_guards import FACE, SDK, answer, with_paragraph
from tests.chat_server import SEED_REPORT, Answer, ChatServer
from tests.pages import SEED_OLD, seed_text
from tests.people import ADMIN_ID
from tests.seed import NEW_AT, OLD_AT, add_document

OLD = seed_text(SEED_OLD)
ADDED = ["我们会收集您的车辆行驶数据。", "客服邮箱变更为 help@example.com。", "我们会保存您的订单记录。"]


@pytest.fixture
def four_versions(engine) -> list[Version]:
    """One document that went through four versions, each adding a paragraph."""
    texts, text = [OLD], OLD
    for added in ADDED:
        text = text.replace("\n能源服务\n", f"\n能源服务\n{added}\n", 1)
        texts.append(text)
    with session_scope(engine) as session:
        add_document(
            session, "zeekr", "极氪", "ZEEKR", [(OLD_AT + timedelta(days=i), t) for i, t in enumerate(texts)]
        )
    with Session(engine) as session:
        return list(session.exec(select(Version).order_by(col(Version.id))))


@pytest.fixture
def chat_server():
    with ChatServer([Answer(SEED_REPORT)]) as server:
        yield server


def admin_notices(engine) -> list[Delivery]:
    with Session(engine) as session:
        return list(session.exec(select(Delivery).where(Delivery.kind == "admin")))


def test_pages_read_stored_reports_only(engine, four_versions, chat_server):
    service = ReportService(engine, client_for(chat_server), "deepseek-chat")
    for old, new in permutations(four_versions, 2):  # 12 ordered pairs: 12 model calls on main
        assert service.stored_report(old, new, ("zh", "en")) is None
    assert chat_server.requests == []


async def test_pages_prefer_a_models_report_of_any_model_then_the_readers_language(
    engine, four_versions, chat_server
):
    service = ReportService(engine, client_for(chat_server), "deepseek-chat")
    v1, v2, v3, _ = four_versions
    await ReportService(engine, None, "unused").report_for(v1, v2, "en")  # an automatic one, in English
    assert service.stored_report(v1, v2, ("en", "zh")).is_automatic
    await service.report_for(v1, v2)  # the alert's, in the policy's language
    await ReportService(engine, client_for(chat_server), "qwen-plus").report_for(v2, v3)  # LLM_MODEL changed
    assert len(chat_server.requests) == 2
    for old, new in [(v1, v2), (v2, v3)]:
        stored = service.stored_report(old, new, ("en", "zh"))
        assert not stored.is_automatic and stored.headline == "极物商城运营主体变更"
    assert service.stored_report(v1, v2, ("fr",)) is None
    assert service.stored_report(v2, v1, ("zh",)) is None
    assert len(chat_server.requests) == 2


async def test_model_calls_stop_at_the_daily_cap_and_admins_hear_once(
    engine, four_versions, chat_server, telegram
):
    def service(clock=utcnow) -> ReportService:
        return ReportService(
            engine,
            client_for(chat_server),
            "deepseek-chat",
            daily_calls=2,
            admin_ids=frozenset({ADMIN_ID}),
            clock=clock,
        )

    v1, v2, v3, v4 = four_versions
    today = service()
    assert not (await today.report_for(v1, v2)).is_automatic
    assert not (await today.report_for(v2, v3)).is_automatic
    capped = await today.report_for(v3, v4)
    assert capped.is_automatic and len(chat_server.requests) == 2
    assert (await today.report_for(v1, v3)).is_automatic
    (notice,) = admin_notices(engine)
    assert notice.chat_id == ADMIN_ID and "LLM_DAILY_CALLS=2" in notice.text
    with Session(engine) as session:
        failure = session.exec(select(Report.failure).where(Report.to_version_id == v4.id)).one()
    assert "LLM_DAILY_CALLS" in failure
    assert (await service().report_for(v1, v4)).is_automatic  # a restart: the count is in the database
    assert len(chat_server.requests) == 2 and len(admin_notices(engine)) == 1
    await drain(engine, telegram)
    (told,) = telegram.to_chat(ADMIN_ID)
    assert "LLM_DAILY_CALLS=2" in told.text
    tomorrow = service(clock=lambda: utcnow() + timedelta(days=1))
    assert not (await tomorrow.report_for(v3, v4)).is_automatic
    assert len(chat_server.requests) == 3


@pytest.mark.parametrize("added", [FACE, SDK], ids=["face", "sdk"])
async def test_a_model_saying_none_cannot_hold_back_a_moderate_alert(engine, telegram, added):
    with session_scope(engine) as session:
        add_document(session, "zeekr", "极氪", "ZEEKR", [(OLD_AT, OLD), (NEW_AT, with_paragraph(added))])
    subscribe(engine, 701, ["zeekr"], "zh", min_severity="moderate")
    with ChatServer([answer("none")]) as server:
        reports = ReportService(engine, client_for(server), "deepseek-chat")
        pipeline = AlertPipeline(engine, reports, LINKS, clock=lambda: SOON_AFTER)
        assert await pipeline.sweep() == 1
    with Session(engine) as session:
        (alert,) = session.exec(select(Alert)).all()
        (report,) = session.exec(select(Report)).all()
    assert alert.severity is Severity.MODERATE and report.body["severity"] == "moderate"
    assert not report.is_automatic
    await drain(engine, telegram)
    (message,) = telegram.to_chat(701)
    assert "极物商城运营主体变更" in message.text
