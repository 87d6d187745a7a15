"""``policywatch run`` as a real process: it keeps checking on its interval and stops on SIGTERM."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from tests.conftest import zeekr
from tests.pages import SEED_OLD, policy_page, seed_text
from tests.servers import Page

CONSOLE_SCRIPT = Path(sys.executable).with_name("policywatch")


def test_run_checks_on_its_interval_until_sigterm(page_server, catalog, database_url, tmp_path):
    catalog(zeekr(page_server.serve("/zeekr", Page(policy_page(seed_text(SEED_OLD)).encode()))))
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "CATALOG_PATH": str(tmp_path / "catalog.yaml"),
        "CHECK_INTERVAL": "1s",
        "CONFIRM_DELAY": "0s",
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
    finally:
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=30)
    assert process.returncode == 0, err
    assert out.splitlines()[:2] == [
        "zeekr/privacy_policy: new version (baseline, 424 lines)",
        "zeekr/privacy_policy: unchanged",
    ]
    assert "stopped" in err
