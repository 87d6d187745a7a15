"""`policywatch run` in webhook mode, as a real process: Telegram posts, the bot answers, nothing leaks."""

import json
import signal
import threading

import httpx

from tests.conftest import zeekr
from tests.pages import OLD_PAGE
from tests.people import person
from tests.servers import Page
from tests.service_process import free_port, start_service, wait_healthy
from tests.telegram_server import TOKEN
from tests.telegram_webhook import SECRET_HEADER

SECRET = "run-Webhook_secret-0123456789abcdef"


async def test_run_gets_updates_by_webhook_never_logs_the_secret_and_keeps_the_webhook_when_stopped(
    telegram, page_server, catalog, database_url, tmp_path
):
    catalog(zeekr(page_server.serve("/zeekr", Page(OLD_PAGE))))
    port = str(free_port())
    url = f"http://127.0.0.1:{port}/telegram/webhook"
    process = start_service(
        tmp_path,
        DATABASE_URL=database_url,
        CATALOG_PATH=str(tmp_path / "catalog.yaml"),
        TELEGRAM_BOT_TOKEN=TOKEN,
        TELEGRAM_API_BASE_URL=telegram.base_url,
        WEB_PORT=port,
        WEBHOOK_URL=url,
        WEBHOOK_SECRET=SECRET,
        LOG_FORMAT="json",
        LOG_LEVEL="DEBUG",  # python-telegram-bot logs each call's parameters at DEBUG: setWebhook's too
    )
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(process.stderr), daemon=True)  # DEBUG fills a pipe
    reader.start()
    try:
        wait_healthy(process, port)
        someone = person(telegram, "en")
        (welcome,) = await someone.say("/start")
        (followed,) = await someone.say("/follow zeekr")
        assert "PolicyWatch" in welcome.text and followed.text.startswith("✅ You now follow ZEEKR")
        assert telegram.webhook.url == url and telegram.webhook.secret == SECRET
        forged = {"update_id": 10**9, "message": {"text": "/start"}}
        assert httpx.post(url, json=forged, headers={SECRET_HEADER: "guess"}, timeout=10).status_code == 403
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=60)
        reader.join(timeout=10)
    err = "".join(lines)
    assert process.returncode == 0, err
    messages = [json.loads(line)["message"] for line in err.splitlines()]
    assert "the Telegram bot @policywatch_test_bot gets updates at WEBHOOK_URL" in messages
    assert not any("polling for updates" in message for message in messages)
    assert SECRET not in err and "secret_token" in err  # the call was logged, its secret redacted
    assert (
        telegram.webhook.url == url
    )  # Telegram keeps posting (to the other replicas) while a worker restarts


async def test_updates_posted_to_another_process_are_handled_by_the_one_running_the_bot_across_its_crash(
    telegram, page_server, catalog, database_url, tmp_path
):
    catalog(zeekr(page_server.serve("/zeekr", Page(OLD_PAGE))))
    web_port = str(free_port())
    url = f"http://127.0.0.1:{web_port}/telegram/webhook"  # Telegram posts to the web replica
    shared = {
        "DATABASE_URL": database_url,
        "CATALOG_PATH": str(tmp_path / "catalog.yaml"),
        "TELEGRAM_API_BASE_URL": telegram.base_url,
        "WEBHOOK_URL": url,
        "WEBHOOK_SECRET": SECRET,
    }
    web = start_service(tmp_path, "--role", "web", WEB_PORT=web_port, **shared)
    worker = start_service(tmp_path, "--role", "worker", TELEGRAM_BOT_TOKEN=TOKEN, **shared)
    try:
        wait_healthy(web, web_port)
        assert telegram.wait_for(lambda: telegram.webhook.url == url, timeout=60)  # the worker's bot is up
        someone = person(telegram, "en")
        (welcome,) = await someone.say("/start")
        assert "PolicyWatch" in welcome.text
        assert telegram.webhook.url == url and telegram.webhook.posts == [(1, 200)]
        web.kill()  # SIGKILL: Telegram's posts fail until it is back, and Telegram keeps the update
        web.communicate(timeout=30)
        update_id = telegram.write(someone.chat, someone.user, "/help")
        assert telegram.wait_for(lambda: 0 in telegram.webhook.statuses(update_id))
        web = start_service(tmp_path, "--role", "web", WEB_PORT=web_port, **shared)
        assert telegram.wait_for(lambda: len(telegram.to_chat(someone.chat["id"])) == 2, timeout=60)
        assert "/follow" in telegram.to_chat(someone.chat["id"])[1].text  # /help's answer
    finally:
        for process in (web, worker):
            process.send_signal(signal.SIGTERM)
        outputs = [process.communicate(timeout=60)[1] for process in (web, worker)]
    assert [process.returncode for process in (web, worker)] == [0, 0], outputs
