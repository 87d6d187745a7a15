"""A check pass over 500 documents on 50 loopback hosts: half answer 304, half changed.

Prints documents per second and peak RSS of the checking process, against a baseline measured in the
same run: the same 500 requests (same concurrency, same per-host politeness) with no extraction,
confirmation or storage. Run: .venv/bin/python benchmarks/check_bench.py
"""

import asyncio
import multiprocessing
import multiprocessing.sharedctypes
import resource
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import yaml
from sqlmodel import Session

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from scraping.catalog import parse_catalog
from scraping.check import CHECK_CONCURRENCY, Checker, active_targets
from scraping.fetch import Fetcher, make_client
from scraping.politeness import HostLimiter
from scraping.sync import sync_catalog
from storage.db import make_engine, session_scope
from storage.migrate import upgrade_database
from storage.models import utcnow
from tests.pages import SEED_NEW, SEED_OLD, policy_page, seed_text

DOCUMENTS, HOSTS = 500, 50


def serve(
    port_queue: "multiprocessing.Queue[int]", phase: "multiprocessing.sharedctypes.Synchronized[int]"
) -> None:
    """Serve /doc/N on 127.0.0.1..127.0.0.50: even N with an ETag (304), odd N switching to the new text."""
    old, new = policy_page(seed_text(SEED_OLD)).encode(), policy_page(seed_text(SEED_NEW)).encode()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            number = int(self.path.rsplit("/", 1)[1])
            if number % 2 == 0 and self.headers.get("If-None-Match") == '"old"':
                self.send_response(304)
                self.end_headers()
                return
            body = new if number % 2 and phase.value == 2 else old
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            if number % 2 == 0:
                self.send_header("ETag", '"old"')
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *_: object) -> None:
            pass

    servers = [ThreadingHTTPServer((f"127.0.0.{host + 1}", 0), Handler) for host in range(HOSTS)]
    for server in servers:
        port_queue.put(server.server_address[1])
        threading.Thread(target=server.serve_forever, daemon=True).start()
    while True:
        time.sleep(3600)


async def baseline_pass(urls: list[str]) -> float:
    async with make_client(allow_private_networks=True) as client:
        fetcher, limit = Fetcher(client, HostLimiter()), asyncio.Semaphore(CHECK_CONCURRENCY)

        async def one(number: int, url: str) -> None:
            async with limit:
                await fetcher.fetch(url, etag='"old"' if number % 2 == 0 else None)

        started = time.perf_counter()
        await asyncio.gather(*(one(number, url) for number, url in enumerate(urls)))
        return time.perf_counter() - started


async def check_pass(engine) -> tuple[float, dict[str, int]]:
    with Session(engine) as session:
        targets = active_targets(session)
    outcomes: dict[str, int] = {}
    async with make_client(allow_private_networks=True) as client:
        checker = Checker(engine, Fetcher(client, HostLimiter()), confirm_delay=0)
        started = time.perf_counter()
        async for result in checker.check_all(targets):
            outcomes[result.outcome.value] = outcomes.get(result.outcome.value, 0) + 1
        return time.perf_counter() - started, outcomes


def main() -> None:
    ports: multiprocessing.Queue[int] = multiprocessing.Queue()
    phase = multiprocessing.Value("i", 1)
    server = multiprocessing.Process(target=serve, args=(ports, phase), daemon=True)
    server.start()
    host_ports = [ports.get(timeout=30) for _ in range(HOSTS)]
    urls = [f"http://127.0.0.{n % HOSTS + 1}:{host_ports[n % HOSTS]}/doc/{n}" for n in range(DOCUMENTS)]
    platforms = [
        {
            "slug": f"p{n}",
            "name": {"zh": f"平台{n}", "en": f"P{n}"},
            "documents": [{"kind": "privacy_policy", "url": url}],
        }
        for n, url in enumerate(urls)
    ]
    with tempfile.TemporaryDirectory() as folder:
        engine = make_engine(f"sqlite:///{folder}/bench.db")
        upgrade_database(engine)
        with session_scope(engine) as session:
            sync_catalog(
                session, parse_catalog(yaml.safe_dump({"platforms": platforms}), Path("bench.yaml")), utcnow()
            )
        first, _ = asyncio.run(check_pass(engine))  # baselines and ETags
        phase.value = 2
        baseline = asyncio.run(baseline_pass(urls))
        measured, outcomes = asyncio.run(check_pass(engine))
    server.terminate()
    peak_rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"first pass (500 baselines):       {first:6.2f} s  {DOCUMENTS / first:6.1f} documents/s")
    print(f"baseline (fetch only, same rules): {baseline:6.2f} s  {DOCUMENTS / baseline:6.1f} documents/s")
    print(f"check pass (304 + changed):       {measured:6.2f} s  {DOCUMENTS / measured:6.1f} documents/s")
    print(f"outcomes: {outcomes}")
    print(f"ratio check/baseline time: {measured / baseline:.2f}")
    print(f"peak RSS: {peak_rss_mb:.0f} MB (target: >= 50 documents/s, <= 200 MB)")


if __name__ == "__main__":
    main()
