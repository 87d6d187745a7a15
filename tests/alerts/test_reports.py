"""Reports are computed once per pair of versions, stored, reused, and upgraded from the fallback."""

import asyncio
import json
from datetime import timedelta

import pytest
from openai import AsyncOpenAI
from sqlmodel import Session, select

from alerts.reports import Prices, ReportService
from storage.db import session_scope
from storage.models import Report, Version
from tests.chat_server import SEED_REPORT, Answer, ChatServer
from tests.pages import NEW_COMPANY, NEW_PAGE, OLD_COMPANY
from tests.seed import add_seed_pair
from tests.servers import Page


@pytest.fixture
def versions(engine) -> tuple[Version, Version]:
    with session_scope(engine) as session:
        return add_seed_pair(session)


@pytest.fixture
def chat_server():
    with ChatServer([Answer(SEED_REPORT)]) as server:
        yield server


def client_for(server: ChatServer) -> AsyncOpenAI:
    return AsyncOpenAI(api_key="test-key", base_url=server.base_url, max_retries=0)


async def test_asking_a_hundred_times_makes_one_call(engine, versions, chat_server):
    service = ReportService(engine, client_for(chat_server), "deepseek-chat", timeout=5, prices=Prices(2, 8))
    reports = await asyncio.gather(*(service.report_for(*versions) for _ in range(100)))
    assert len(chat_server.requests) == 1
    assert {report.headline for report in reports} == {"极物商城运营主体变更"}
    again = ReportService(engine, client_for(chat_server), "deepseek-chat")  # a restart: from storage
    assert (await again.report_for(*versions)).headline == "极物商城运营主体变更"
    assert len(chat_server.requests) == 1
    with Session(engine) as session:
        (stored,) = session.exec(select(Report)).all()
    assert (stored.model, stored.language, stored.prompt_tokens, stored.completion_tokens) == (
        "deepseek-chat",
        "zh",
        100,
        50,
    )


async def test_a_report_in_the_readers_language_is_made_on_demand_and_cached(engine, versions, chat_server):
    service = ReportService(engine, client_for(chat_server), "deepseek-chat")
    await service.report_for(*versions)
    await service.report_for(*versions, language="en")
    await service.report_for(*versions, language="en")
    assert len(chat_server.requests) == 2
    assert "English" in chat_server.requests[1]["messages"][0]["content"]


async def test_a_fallback_is_upgraded_once_the_endpoint_answers_again(engine, versions, chat_server):
    chat_server.answers = [Answer(status=500), Answer(SEED_REPORT)]
    service = ReportService(
        engine, client_for(chat_server), "deepseek-chat", retry_fallback_after=timedelta(0)
    )
    first = await service.report_for(*versions)
    assert first.is_automatic and OLD_COMPANY in first.assessment
    upgraded = await service.report_for(*versions)
    assert not upgraded.is_automatic
    with Session(engine) as session:
        (stored,) = session.exec(select(Report)).all()
    assert not stored.is_automatic and stored.failure is None


async def test_a_fallback_is_not_retried_on_every_request(engine, versions, chat_server):
    chat_server.answers = [Answer(status=500), Answer(SEED_REPORT)]
    service = ReportService(engine, client_for(chat_server), "deepseek-chat")
    await service.report_for(*versions)
    assert (await service.report_for(*versions)).is_automatic
    assert len(chat_server.requests) == 1


def test_report_command_with_a_model_and_without(cli, tracked, monkeypatch):
    cli("check")
    tracked.pages["/zeekr"] = Page(NEW_PAGE)
    cli("check")
    automatic = cli("report", "zeekr", "previous")
    assert automatic.code == 0 and "(automatic report (no AI))" in automatic.out
    assert OLD_COMPANY in automatic.out and NEW_COMPANY in automatic.out and "极物商城" in automatic.out
    with ChatServer([Answer(SEED_REPORT)]) as server:
        monkeypatch.setenv("OPENAI_API_KEY", "test-key")
        monkeypatch.setenv("OPENAI_BASE_URL", server.base_url)
        result = cli("report", "极氪", "previous", "latest", "--json")
    assert result.code == 0, result.err
    assert json.loads(result.out)["headline"] == "极物商城运营主体变更" and len(server.requests) == 1
    assert cli("report", "zeekr", "2025-02-30").code == 2
