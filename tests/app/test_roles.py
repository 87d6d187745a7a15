"""`policywatch run --role web|worker`: web replicas and workers as real processes on one shared database.

Every fetch of the page server is accounted for by the checks the workers logged (a change costs two: the
check and its confirming fetch), so a fetch by a web replica, or a second worker checking, shows up.
"""

import os
import subprocess

import httpx
import pytest

from tests.pages import NEW_PAGE
from tests.people import person
from tests.servers import Page, PageServer
from tests.service_process import CONSOLE_SCRIPT, Logged, free_port, wait_healthy, wait_until
from tests.telegram_server import TOKEN, TelegramServer

CHECKED = "checked zeekr/privacy_policy: "
DIFF_PATH = "/p/zeekr/privacy_policy/diff/1..2"
HOLDING = "holding the worker lock"
WAITING = "another worker holds the worker lock of this database"


def settings(database_url: str, bot_api: str, **more: str) -> dict[str, str]:
    """What every process of a test shares: the database, the catalog, a bot token, checks every second."""
    return {
        "DATABASE_URL": database_url,
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_API_BASE_URL": bot_api,
        "CHECK_INTERVAL": "1s",
        "WEB_PORT": str(free_port()),
        **more,
    }


def fetches(*workers: Logged) -> int:
    """The page fetches the workers' logged checks account for: one each, two for a confirmed change."""
    checks = sum(worker.count(CHECKED) for worker in workers)
    changes = sum(worker.count(CHECKED + "new_version") - worker.count("(baseline)") for worker in workers)
    return checks + changes


def alerts_to(telegram: TelegramServer, chat_id: int) -> list:
    return [sent for sent in telegram.to_chat(chat_id) if sent.text.startswith("🔔")]


def test_processes_starting_together_on_an_empty_database_all_start(tracked, database_url, tmp_path):
    """They migrate and sync the catalog one at a time (the lock is the one tests/storage checks on both)."""
    env = {**os.environ, "DATABASE_URL": database_url}
    starting = [
        subprocess.Popen(
            [str(CONSOLE_SCRIPT), "platforms", "--json"],
            cwd=tmp_path,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(3)
    ]
    results = [process.communicate(timeout=120) for process in starting]
    assert [process.returncode for process in starting] == [0, 0, 0], [err for _, err in results]
    assert all('"zeekr"' in out for out, _ in results)


@pytest.mark.both_databases
def test_a_web_replica_serves_what_the_worker_records_and_never_fetches_nor_calls_telegram(
    telegram, tracked: PageServer, database_url, tmp_path
):
    with TelegramServer() as unused:
        web = Logged(tmp_path, "--role", "web", **settings(database_url, unused.base_url))
        worker = Logged(tmp_path, "--role", "worker", **settings(database_url, telegram.base_url))
        replica = f"http://127.0.0.1:{web.settings['WEB_PORT']}"
        try:
            wait_healthy(web.process, web.settings["WEB_PORT"])
            worker.wait_for(CHECKED + "new_version (baseline)")
            before = httpx.get(replica + "/p/zeekr", timeout=10)
            assert before.status_code == 200 and DIFF_PATH not in before.text
            tracked.serve("/zeekr", Page(NEW_PAGE))
            worker.wait_for(CHECKED + "new_version", times=2)
            # the replica's very next requests show the change the worker recorded: nothing is stale
            assert DIFF_PATH in httpx.get(replica + "/p/zeekr", timeout=10).text
            assert DIFF_PATH in httpx.get(replica + "/", timeout=10).text
            assert DIFF_PATH in httpx.get(replica + "/feeds/all.atom", timeout=10).text
            assert httpx.get(replica + "/healthz", timeout=10).json()["last_check_age_seconds"] < 60
            with pytest.raises(httpx.ConnectError):  # the worker serves no pages
                httpx.get(f"http://127.0.0.1:{worker.settings['WEB_PORT']}/healthz", timeout=10)
            worker.wait_for(CHECKED + "unchanged")
        finally:
            worker_log = worker.stop()
            web_log = web.stop()
        assert tracked.hits("/zeekr") == fetches(worker) > 0
        assert unused.calls == []  # the replica has a token, yet never talks to Telegram
        assert CHECKED not in web_log and HOLDING not in web_log
        assert HOLDING in worker_log and "polling for updates" in worker_log


@pytest.mark.both_databases
async def test_two_workers_one_checks_and_sends_the_other_waits_then_takes_over(
    telegram, tracked: PageServer, database_url, tmp_path
):
    shared = settings(database_url, telegram.base_url)
    first = Logged(tmp_path, "--role", "worker", **shared)
    second = None
    try:
        first.wait_for("polling for updates")
        first.wait_for(CHECKED + "new_version (baseline)")
        second = Logged(tmp_path, "--role", "worker", **shared)
        second.wait_for(WAITING)
        alice = person(telegram, "en")
        assert (await alice.say("/follow zeekr"))[0].text.startswith("✅")
        tracked.serve("/zeekr", Page(NEW_PAGE))
        wait_until(lambda: alerts_to(telegram, alice.chat["id"]), process=first.process)
        first.wait_for(CHECKED + "unchanged", times=first.count(CHECKED + "unchanged") + 3)
        assert second.count(CHECKED) == 0 and second.count(HOLDING) == 0  # it only waited
        first.stop()
        second.wait_for(HOLDING)
        second.wait_for(CHECKED + "unchanged")
        welcome = await alice.say("/start")  # the second worker's bot answers now
        assert any("PolicyWatch" in sent.text for sent in welcome)
    finally:
        if first.process.poll() is None:
            first.stop()
        if second is not None:
            second.stop()
    assert len(alerts_to(telegram, alice.chat["id"])) == 1  # sent once, and not again by the second worker
    assert tracked.hits("/zeekr") == fetches(first, second)
    assert second.count(WAITING) == 1  # said once, not at every retry
