"""/healthz while 20 clients load feeds and diff pages, against /healthz with no load, in the same run.

10 platforms x 30 versions of the ~53 KB Chinese seed policy (a few paragraphs edited each time, each
change's size stored as checks store it), in SQLite, served by a real uvicorn (``web.serve.server_config``,
as the service runs it) in a child process on loopback. First /healthz alone, then the same /healthz
prober while 20 clients fetch, as fast as they are answered, the feeds and diff pages: half the pairs
consecutive (the links on the pages), half any two versions (a crawler), in Chinese and English.
Target: /healthz p99 under 100 ms under load. Run: .venv/bin/python benchmarks/web_bench.py [--seconds 20]
"""

import argparse
import asyncio
import multiprocessing
import random
import socket
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import uvicorn

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from alerts.reports import ReportService
from analysis.diff import build_diff
from storage.db import make_engine, row_id, session_scope
from storage.migrate import upgrade_database
from storage.models import Document, Platform
from storage.versions import ChangeSize, FetchFacts, record_text
from tests.pages import SEED_OLD, seed_text
from web.app import WebConfig, create_app
from web.serve import server_config

PLATFORMS, VERSIONS, CLIENTS = 10, 30, 20
PROBE_EVERY = 0.02  # seconds between two /healthz probes
IDLE_PROBES = 300
INSERT = "并向合作方提供您的设备信息与位置信息"


def history(seed: str, rng: random.Random) -> list[str]:
    """VERSIONS texts, each with a few paragraphs of the one before edited."""
    lines = seed.split("\n")
    texts = []
    for number in range(VERSIONS):
        for index in rng.sample([i for i, line in enumerate(lines) if len(line) > 8], 3):
            cut = rng.randrange(len(lines[index]) - 4)
            lines[index] = lines[index][:cut] + INSERT[: number % 10 + 4] + lines[index][cut + 4 :]
        texts.append("\n".join(lines))
    return texts


def build(database_url: str) -> None:
    """The platforms and their versions, recorded with their change sizes as the checker records them."""
    engine = make_engine(database_url)
    upgrade_database(engine)
    seed, rng, start = seed_text(SEED_OLD), random.Random(9), datetime(2025, 1, 1, tzinfo=UTC)
    with session_scope(engine) as session:
        for number in range(PLATFORMS):
            platform = Platform(slug=f"p{number}", name_zh=f"平台{number}", name_en=f"Platform {number}")
            session.add(platform)
            session.flush()
            document = Document(
                platform_id=row_id(platform), kind="privacy_policy", url="https://example.com"
            )
            session.add(document)
            session.flush()
            previous: str | None = None
            for day, text in enumerate(history(seed, rng)):
                size = ChangeSize.of(build_diff(previous, text).stats) if previous else None
                at = start + timedelta(days=day)
                record_text(session, document, text, FetchFacts(document.url), at, size=size)
                previous = text
    engine.dispose()


def serve(database_url: str, port: int) -> None:
    """The child process: the web app as the service serves it, reports from storage only."""
    engine = make_engine(database_url)
    app = create_app(
        engine, WebConfig(public_url="http://bench.example"), ReportService(engine, None, "bench")
    )
    uvicorn.Server(server_config(app, "127.0.0.1", port, log_level="warning")).run()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def pages(rng: random.Random) -> list[str]:
    """What the loading clients ask for, in turn: feeds, consecutive pairs and any pairs."""
    paths = ["/feeds/all.atom"] + [f"/p/p{n}/feed.atom" for n in range(PLATFORMS)]
    for platform in range(PLATFORMS):
        first = platform * VERSIONS + 1
        paths += [
            f"/p/p{platform}/privacy_policy/diff/{v}..{v + 1}" for v in range(first, first + VERSIONS - 1)
        ]
        for _ in range(VERSIONS - 1):
            old, new = sorted(rng.sample(range(first, first + VERSIONS), 2))
            paths.append(f"/p/p{platform}/privacy_policy/diff/{old}..{new}")
    rng.shuffle(paths)
    return paths


async def probe(client: httpx.AsyncClient, count: int | None, stop: asyncio.Event) -> list[float]:
    """/healthz timings in seconds, one request every PROBE_EVERY, ``count`` of them or until ``stop``."""
    timings: list[float] = []
    while (count is None or len(timings) < count) and not stop.is_set():
        started = time.perf_counter()
        (await client.get("/healthz")).raise_for_status()
        timings.append(time.perf_counter() - started)
        await asyncio.sleep(PROBE_EVERY)
    return timings


async def load(client: httpx.AsyncClient, paths: list[str], offset: int, stop: asyncio.Event) -> list[float]:
    """One client fetching ``paths`` in turn (from ``offset``) until ``stop``; returns each page's time."""
    timings: list[float] = []
    while not stop.is_set():
        path = paths[(offset + len(timings)) % len(paths)]
        language = "en" if len(timings) % 2 else "zh-CN"
        started = time.perf_counter()
        (await client.get(path, headers={"Accept-Language": language})).raise_for_status()
        timings.append(time.perf_counter() - started)
    return timings


def figures(timings: list[float]) -> str:
    ordered = sorted(timings)
    p99 = ordered[min(len(ordered) - 1, round(0.99 * len(ordered)))]
    milliseconds = [statistics.median(ordered) * 1000, p99 * 1000, ordered[-1] * 1000]
    return f"{len(ordered):>8}" + "".join(f"{value:>10.1f}" for value in milliseconds)


async def measure(base_url: str, seconds: float) -> None:
    limits = httpx.Limits(max_connections=CLIENTS + 5)
    async with httpx.AsyncClient(base_url=base_url, timeout=120, limits=limits) as client:
        idle = await probe(client, IDLE_PROBES, asyncio.Event())
        stop, paths = asyncio.Event(), pages(random.Random(3))
        loaders = [asyncio.create_task(load(client, paths, n * 37, stop)) for n in range(CLIENTS)]
        prober = asyncio.create_task(probe(client, None, stop))
        await asyncio.sleep(seconds)
        stop.set()
        loaded, served = await prober, [timing for task in loaders for timing in await task]
    print(f"{'':<36}{'requests':>8}{'p50 (ms)':>10}{'p99 (ms)':>10}{'max (ms)':>10}")
    print(f"{'/healthz, no load (baseline)':<36}{figures(idle)}")
    print(f"{f'/healthz, {CLIENTS} clients loading':<36}{figures(loaded)}")
    print(f"{'the pages those clients loaded':<36}{figures(served)}")
    print(f"pages served: {len(served) / seconds:.1f}/s over {seconds:.0f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=20.0, help="how long the clients load pages")
    seconds = parser.parse_args().seconds
    with tempfile.TemporaryDirectory() as folder:
        database_url = f"sqlite:///{folder}/bench.db"
        build(database_url)
        port = free_port()
        server = multiprocessing.get_context("spawn").Process(target=serve, args=(database_url, port))
        server.start()
        try:
            wait_until_up(f"http://127.0.0.1:{port}")
            asyncio.run(measure(f"http://127.0.0.1:{port}", seconds))
        finally:
            server.terminate()
            server.join()


def wait_until_up(base_url: str) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            httpx.get(base_url + "/healthz", timeout=2)
            return
        except httpx.TransportError:
            time.sleep(0.1)
    raise SystemExit("the server did not start")


if __name__ == "__main__":
    main()
