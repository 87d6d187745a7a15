"""`policywatch run` as a real process, for the tests that stop it with SIGTERM or kill it with SIGKILL."""

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

CONSOLE_SCRIPT = Path(sys.executable).with_name("policywatch")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_service(cwd: Path, **settings: str) -> subprocess.Popen:
    """Start `policywatch run` with these settings (strings, as in the environment)."""
    env = {**os.environ, "ALLOW_PRIVATE_NETWORKS": "true", "CONFIRM_DELAY": "0s", **settings}
    return subprocess.Popen(
        [str(CONSOLE_SCRIPT), "run"],
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def wait_healthy(process: subprocess.Popen, port: str, timeout: float = 60) -> dict:
    """Poll /healthz until it answers; fails if the process dies first."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert process.poll() is None, process.communicate()[1]
        try:
            return httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2).json()
        except httpx.HTTPError:
            time.sleep(0.1)
    raise AssertionError("the service did not answer /healthz in time")


def wait_until(condition, timeout: float = 60, process: subprocess.Popen | None = None) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        assert process is None or process.poll() is None, process.communicate()[1]
        time.sleep(0.05)
