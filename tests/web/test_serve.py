"""The server's limits, through a real uvicorn on loopback and raw sockets: slow, silent and many clients."""

import select
import socket
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager

import httpx
import pytest

from tests.web.conftest import running
from web.app import WebConfig, create_app

TRICKLES = 60  # header lines sent a quarter of a second apart: 15 s, far past the 1 s deadline


@pytest.fixture
def app(seeded):
    return create_app(seeded, WebConfig(public_url="https://policywatch.example"))


@contextmanager
def raw_connection(site: str) -> Iterator[socket.socket]:
    host, port = site.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=5) as connection:
        yield connection


def is_closed_by_server(connection: socket.socket) -> bool:
    """The server has closed (or reset) the connection; waits up to a quarter of a second to find out."""
    readable, _, _ = select.select([connection], [], [], 0.25)
    if not readable:
        return False
    try:
        return connection.recv(65536) == b""
    except ConnectionResetError:
        return True


def trickle_until_closed(connection: socket.socket) -> int:
    """Send header lines one at a time, never ending the headers; returns how many went before the close."""
    connection.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n")
    for sent in range(TRICKLES):
        try:
            connection.sendall(b"X-Slow: %d\r\n" % sent)
        except (BrokenPipeError, ConnectionResetError):
            return sent
        if is_closed_by_server(connection):
            return sent
    return TRICKLES


def test_a_client_trickling_its_headers_is_cut_off(app):
    with running(app, request_timeout=1.0) as site, raw_connection(site) as connection:
        assert trickle_until_closed(connection) < TRICKLES
        assert httpx.get(site + "/healthz", timeout=10).status_code == 200


def test_a_client_that_connects_and_says_nothing_is_cut_off(app):
    with running(app, request_timeout=1.0) as site, raw_connection(site) as connection:
        assert any(is_closed_by_server(connection) for _ in range(TRICKLES))


def test_the_deadline_is_per_request_so_kept_alive_clients_are_served(app):
    with running(app, request_timeout=1.0) as site, httpx.Client(base_url=site, timeout=10) as client:
        for _ in range(3):
            assert client.get("/healthz").status_code == 200
            time.sleep(0.6)  # three requests on one connection span more than the deadline
        assert client.get("/p/zeekr").status_code == 200


def test_connections_beyond_the_limit_get_503_until_slots_free(app):
    with running(app, max_connections=3) as site:
        with ExitStack() as held:
            for _ in range(2):
                held.enter_context(raw_connection(site)).sendall(b"GET / HTTP/1.1\r\n")
            time.sleep(0.2)  # let the server accept them
            assert httpx.get(site + "/healthz", timeout=10).status_code == 503
        time.sleep(0.2)
        assert httpx.get(site + "/healthz", timeout=10).status_code == 200


def test_headers_growing_past_8_kb_are_refused(app):
    with running(app) as site, raw_connection(site) as connection:
        connection.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: " + b"x" * 12_000)
        assert connection.recv(4096).startswith(b"HTTP/1.1 400 ")
