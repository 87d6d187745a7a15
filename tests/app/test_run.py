"""``policywatch run`` and ``policywatch demo`` as real processes, as a person would start them."""

import json
import signal
import subprocess
import time

import httpx

from tests.conftest import zeekr
from tests.pages import OLD_PAGE
from tests.people import person
from tests.servers import Page
from tests.service_process import CONSOLE_SCRIPT, free_port, start_service, wait_healthy, wait_until
from tests.telegram_server import TOKEN


async def test_run_checks_on_its_interval_serves_bot_web_and_metrics_logs_json_and_stops_on_sigterm(
    telegram, page_server, catalog, database_url, tmp_path
):
    catalog(zeekr(page_server.serve("/zeekr", Page(OLD_PAGE))))
    port = str(free_port())
    process = start_service(
        tmp_path,
        DATABASE_URL=database_url,
        CATALOG_PATH=str(tmp_path / "catalog.yaml"),
        CHECK_INTERVAL="1s",
        TELEGRAM_BOT_TOKEN=TOKEN,
        TELEGRAM_API_BASE_URL=telegram.base_url,
        WEB_PORT=port,
        LOG_FORMAT="json",
    )
    try:
        assert wait_healthy(process, port)["database"] == "ok"
        wait_until(lambda: page_server.hits("/zeekr") >= 3, process=process)
        health = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=10).json()
        assert health["last_check_age_seconds"] < 60
        home = httpx.get(f"http://127.0.0.1:{port}/", headers={"Accept-Language": "zh-CN"}, timeout=10)
        assert "极氪" in home.text
        (welcome,) = await person(telegram, "en").say("/start")
        assert "PolicyWatch" in welcome.text
        metrics = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=10).text
        assert 'policywatch_checks_total{outcome="new_version"} 1.0' in metrics
    finally:
        process.send_signal(signal.SIGTERM)
        _, err = process.communicate(timeout=30)
    assert process.returncode == 0, err
    events = [json.loads(line) for line in err.splitlines()]  # every line is one JSON object
    messages = [event["message"] for event in events]
    checked = [message for message in messages if message.startswith("checked zeekr")]
    assert checked[:2] == [
        "checked zeekr/privacy_policy: new_version (baseline)",
        "checked zeekr/privacy_policy: unchanged",
    ]
    assert "the Telegram bot @policywatch_test_bot is polling for updates" in messages
    assert messages[-1] == "stopped"
    assert {"time", "level", "logger", "message"} <= events[0].keys()


def test_demo_detects_the_change_prints_the_alert_and_serves_the_diff(tmp_path):
    port = str(free_port())
    process = subprocess.Popen(
        [str(CONSOLE_SCRIPT), "demo"],
        cwd=tmp_path,
        env={"PATH": "/usr/bin:/bin", "WEB_PORT": port, "HOME": str(tmp_path)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    lines = []
    try:
        deadline = time.monotonic() + 60
        while not any("the diff page:" in line for line in lines) and time.monotonic() < deadline:
            lines.append(process.stdout.readline())
        diff_url = next(line for line in lines if "the diff page:" in line).split(": ", 1)[1].strip()
        wait_until(lambda: _answers(diff_url), process=process)
        page = httpx.get(diff_url, timeout=10)
    finally:
        process.send_signal(signal.SIGTERM)
        process.communicate(timeout=30)
    out = "".join(lines)
    assert "1. first check (the baseline): zeekr/privacy_policy → new_version (baseline)" in out
    assert "2. the policy changed: zeekr/privacy_policy → new_version" in out
    assert "🔔 <b>极氪 · 隐私政策</b> 有更新" in out and "浙江吉利汽车备件有限公司" in out
    assert "buttons: [完整报告] | [取消关注]" in out
    assert diff_url == f"http://127.0.0.1:{port}/p/zeekr/privacy_policy/diff/1..2"
    assert page.status_code == 200 and "浙江吉利汽车备件有限公司" in page.text


def _answers(url: str) -> bool:
    try:
        return httpx.get(url, timeout=2).status_code == 200
    except httpx.HTTPError:
        return False
