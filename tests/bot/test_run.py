"""``policywatch run`` as a real process: it keeps checking on its interval and stops on SIGTERM."""

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.conftest import zeekr
from tests.pages import SEED_OLD, policy_page, seed_text
from tests.servers import Page

CONSOLE_SCRIPT = Path(sys.executable).with_name("policywatch")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_run_serves_pages_and_checks_on_its_interval_until_sigterm(
    page_server, catalog, database_url, tmp_path
):
    catalog(zeekr(page_server.serve("/zeekr", Page(policy_page(seed_text(SEED_OLD)).encode()))))
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "CATALOG_PATH": str(tmp_path / "catalog.yaml"),
        "CHECK_INTERVAL": "1s",
        "CONFIRM_DELAY": "0s",
        "WEB_PORT": str(free_port()),
        "ALLOW_PRIVATE_NETWORKS": "true",
    }
    process = subprocess.Popen(
        [str(CONSOLE_SCRIPT), "run"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while page_server.hits("/zeekr") < 3 and time.monotonic() < deadline and process.poll() is None:
            time.sleep(0.1)
        assert page_server.hits("/zeekr") >= 3
        health = httpx.get(f"http://127.0.0.1:{env['WEB_PORT']}/healthz", timeout=10)
        assert health.json() == {"status": "ok", "database": "ok"}
        home = httpx.get(
            f"http://127.0.0.1:{env['WEB_PORT']}/", headers={"Accept-Language": "zh-CN"}, timeout=10
        )
        assert "极氪" in home.text
    finally:
        process.send_signal(signal.SIGTERM)
        _, err = process.communicate(timeout=30)
    assert process.returncode == 0, err
    checked = [line.split("bot.schedule: ")[1] for line in err.splitlines() if "checked zeekr" in line]
    assert checked[:2] == [
        "checked zeekr/privacy_policy: new_version (baseline)",
        "checked zeekr/privacy_policy: unchanged",
    ]
    assert "stopped" in err
