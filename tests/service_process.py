"""`policywatch run` as a real process, for the tests that stop it with SIGTERM or kill it with SIGKILL."""

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx

CONSOLE_SCRIPT = Path(sys.executable).with_name("policywatch")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_service(cwd: Path, *arguments: str, **settings: str) -> subprocess.Popen:
    """Start `policywatch run ARGUMENTS` with these settings (strings, as in the environment)."""
    env = {**os.environ, "ALLOW_PRIVATE_NETWORKS": "true", "CONFIRM_DELAY": "0s", **settings}
    return subprocess.Popen(
        [str(CONSOLE_SCRIPT), "run", *arguments],
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


class Logged:
    """`policywatch run ARGUMENTS` with its log (stderr) read line by line as it comes."""

    def __init__(self, cwd: Path, *arguments: str, **settings: str) -> None:
        self.process = start_service(cwd, *arguments, **settings)
        self.settings = settings
        self.lines: list[str] = []
        self._reader = threading.Thread(target=lambda: self.lines.extend(self.process.stderr), daemon=True)
        self._reader.start()

    def count(self, text: str) -> int:
        """How many lines logged so far contain ``text``."""
        return sum(text in line for line in list(self.lines))

    def wait_for(self, text: str, times: int = 1) -> None:
        """Until ``text`` has been logged ``times`` times; fails if the process dies first."""
        wait_until(lambda: self.count(text) >= times, process=self.process)

    def stop(self) -> str:
        """SIGTERM, a clean exit, and the whole log."""
        self.process.send_signal(signal.SIGTERM)
        self.process.wait(timeout=60)
        self._reader.join(timeout=10)
        log = "".join(self.lines)
        assert self.process.returncode == 0, log
        return log
