"""`policywatch run` while Telegram refuses the token or is unreachable: all else goes on, no token logged."""

import json
from pathlib import Path

import httpx
import pytest

from tests.conftest import write_catalog, zeekr
from tests.pages import SEED_OLD, policy_page, seed_text
from tests.servers import Page, PageServer
from tests.service_process import Logged, free_port, wait_healthy, wait_until
from tests.telegram_server import TOKEN, TelegramServer

USER = {"id": 777001, "is_bot": False, "first_name": "Ada", "language_code": "en"}
CHAT = {"id": 777001, "type": "private", "first_name": "Ada"}


class Service(Logged):
    """`policywatch run` at DEBUG with a bot token, its stderr read as it comes (DEBUG fills a pipe)."""

    def __init__(
        self, page_server: PageServer, tmp_path: Path, database_url: str, bot_api: str, log_format: str
    ):
        url = page_server.serve("/zeekr", Page(policy_page(seed_text(SEED_OLD)).encode()))
        self.page_server, self.port = page_server, str(free_port())
        super().__init__(
            tmp_path,
            DATABASE_URL=database_url,
            CATALOG_PATH=str(write_catalog(tmp_path / "catalog.yaml", [zeekr(url)])),
            CHECK_INTERVAL="1s",
            WEB_PORT=self.port,
            TELEGRAM_BOT_TOKEN=TOKEN,
            TELEGRAM_API_BASE_URL=bot_api,
            LOG_LEVEL="DEBUG",
            LOG_FORMAT=log_format,
        )

    def logged(self, text: str) -> bool:
        return self.count(text) > 0

    def assert_serving(self) -> None:
        """The pages answer and the document is checked, whatever Telegram does."""
        assert wait_healthy(self.process, self.port)["database"] == "ok"
        wait_until(lambda: self.page_server.hits("/zeekr") >= 2, process=self.process)
        assert "ZEEKR" in httpx.get(f"http://127.0.0.1:{self.port}/", timeout=10).text


def assert_no_token(err: str, log_format: str) -> None:
    assert TOKEN not in err and TOKEN.split(":")[1] not in err
    if log_format == "json":
        for line in err.splitlines():
            json.loads(line)  # tracebacks included: every line is one JSON object


@pytest.mark.parametrize("log_format", ["text", "json"])
def test_a_refused_token_is_retried_never_logged_and_stops_nothing(
    page_server, database_url, tmp_path, log_format
):
    with TelegramServer() as telegram:
        telegram.rejecting = True
        service = Service(page_server, tmp_path, database_url, telegram.base_url, log_format)
        try:
            service.assert_serving()
            wait_until(lambda: service.logged("trying again in"), process=service.process)
            assert sum(error[:2] == ("getMe", 401) for error in telegram.errors) >= 1
            telegram.rejecting = False  # the token is good again: the bot starts without a restart
            telegram.write(CHAT, USER, "/help")
            assert telegram.wait_for(lambda: telegram.to_chat(CHAT["id"]), timeout=60)
        finally:
            err = service.stop()
    assert_no_token(err, log_format)
    assert "Telegram rejected TELEGRAM_BOT_TOKEN" in err and "is polling for updates" in err


def test_an_unreachable_bot_api_is_retried_and_stops_nothing(page_server, database_url, tmp_path):
    nowhere = f"http://127.0.0.1:{free_port()}/bot"  # nothing listens there
    service = Service(page_server, tmp_path, database_url, nowhere, "json")
    try:
        service.assert_serving()
        wait_until(lambda: service.logged("trying again in"), process=service.process)
    finally:
        err = service.stop()
    assert_no_token(err, "json")
    assert "the Bot API at TELEGRAM_API_BASE_URL cannot be reached" in err
