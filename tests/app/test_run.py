"""``policywatch run`` as a real process: it keeps checking on its interval and stops on SIGTERM."""

import signal
import time

import httpx

from tests.conftest import zeekr
from tests.pages import SEED_OLD, policy_page, seed_text
from tests.servers import Page
from tests.service_process import free_port, start_service


def test_run_serves_pages_and_checks_on_its_interval_until_sigterm(
    page_server, catalog, database_url, tmp_path
):
    catalog(zeekr(page_server.serve("/zeekr", Page(policy_page(seed_text(SEED_OLD)).encode()))))
    env = {
        "DATABASE_URL": database_url,
        "CATALOG_PATH": str(tmp_path / "catalog.yaml"),
        "CHECK_INTERVAL": "1s",
        "WEB_PORT": str(free_port()),
    }
    process = start_service(tmp_path, **env)
    try:
        deadline = time.monotonic() + 60
        while page_server.hits("/zeekr") < 3 and time.monotonic() < deadline and process.poll() is None:
            time.sleep(0.1)
        assert page_server.hits("/zeekr") >= 3
        health = httpx.get(f"http://127.0.0.1:{env['WEB_PORT']}/healthz", timeout=10)
        assert health.json()["database"] == "ok" and health.json()["last_check_age_seconds"] < 60
        home = httpx.get(
            f"http://127.0.0.1:{env['WEB_PORT']}/", headers={"Accept-Language": "zh-CN"}, timeout=10
        )
        assert "极氪" in home.text
    finally:
        process.send_signal(signal.SIGTERM)
        _, err = process.communicate(timeout=30)
    assert process.returncode == 0, err
    checked = [line.split("scraping.schedule: ")[1] for line in err.splitlines() if "checked zeekr" in line]
    assert checked[:2] == [
        "checked zeekr/privacy_policy: new_version (baseline)",
        "checked zeekr/privacy_policy: unchanged",
    ]
    assert "stopped" in err
