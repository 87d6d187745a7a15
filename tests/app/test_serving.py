"""`policywatch run` within the web's limits: slow requests are cut off, /metrics needs METRICS_TOKEN."""

import signal
import socket
import subprocess
import time
from pathlib import Path

import httpx
import pytest

from tests.conftest import write_catalog, zeekr
from tests.pages import SEED_OLD, policy_page, seed_text
from tests.servers import Page
from tests.service_process import free_port, start_service, wait_healthy

METRICS_TOKEN = "metrics-0123456789abcdef"


def serve(page_server, database_url: str, tmp_path: Path, **settings: str) -> tuple[subprocess.Popen, str]:
    """`policywatch run` tracking one page, healthy, and its port."""
    url = page_server.serve("/zeekr", Page(policy_page(seed_text(SEED_OLD)).encode()))
    port = str(free_port())
    catalog = write_catalog(tmp_path / "catalog.yaml", [zeekr(url)])
    process = start_service(
        tmp_path, DATABASE_URL=database_url, CATALOG_PATH=str(catalog), WEB_PORT=port, **settings
    )
    wait_healthy(process, port)
    return process, port


def stop(process: subprocess.Popen) -> None:
    process.send_signal(signal.SIGTERM)
    _, err = process.communicate(timeout=60)
    assert process.returncode == 0, err


def this_machines_address() -> str:
    """An address of this machine that is not loopback (no packet is sent to find it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("192.0.2.1", 9))  # TEST-NET-1: only picks the outgoing interface
        except OSError:
            pytest.skip("this machine has no network interface besides loopback")
        return probe.getsockname()[0]


def test_run_closes_a_connection_whose_request_never_ends(page_server, database_url, tmp_path):
    process, port = serve(page_server, database_url, tmp_path, WEB_REQUEST_TIMEOUT="1s")
    try:
        with socket.create_connection(("127.0.0.1", int(port)), timeout=40) as client:
            client.sendall(b"GET / HTTP/1.1\r\nHost: localhost\r\nX-Slow: ")  # and nothing more, ever
            started = time.monotonic()
            assert client.recv(1024) == b""  # closed by the server, with nothing to say
            assert time.monotonic() - started < 30
    finally:
        stop(process)


def test_run_serves_metrics_to_other_hosts_only_with_metrics_token(page_server, database_url, tmp_path):
    address = this_machines_address()
    process, port = serve(
        page_server, database_url, tmp_path, WEB_HOST="0.0.0.0", METRICS_TOKEN=METRICS_TOKEN
    )
    try:
        metrics = f"http://{address}:{port}/metrics"
        assert httpx.get(metrics, timeout=10).status_code == 401
        assert (
            httpx.get(metrics, headers={"Authorization": "Bearer wrong-0123456789abcdef"}).status_code == 401
        )
        granted = httpx.get(metrics, headers={"Authorization": f"Bearer {METRICS_TOKEN}"}, timeout=10)
        assert granted.status_code == 200 and "policywatch_checks_total" in granted.text
        assert httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=10).status_code == 200  # this machine
    finally:
        stop(process)
