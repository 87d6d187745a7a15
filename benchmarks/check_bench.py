"""What a check costs: the CPU time of one check of a 100 KB page, then a pass over 500 documents.

First the CPU time (``time.process_time``: this process, its threads included; the page server is another
process) of one check of a ~100 KB Chinese policy page, against the floor measured in the same run: lxml
parsing the same page alone. Three kinds of check: the page unchanged (the same bytes again), unchanged
but with a volatile footer (a generation time and a CSRF token: a new snapshot each time), and changed
(a few paragraphs edited: confirmed by a second fetch, diffed, recorded). Target: <= 10 ms for the
unchanged page. ``--profile`` adds where the time of the unchanged check goes (cProfile, main thread).

Then a check pass over 500 documents on 50 loopback hosts, half answering 304 and half changed: documents
per second and peak RSS of the checking process, against a baseline measured in the same run: the same 500
requests (same concurrency, same per-host politeness) with no extraction, confirmation or storage.
Run: .venv/bin/python benchmarks/check_bench.py [--cpu-only] [--profile]
"""

import argparse
import asyncio
import concurrent.futures
import cProfile
import multiprocessing
import multiprocessing.sharedctypes
import pstats
import random
import resource
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, TypeVar

import lxml.html
import yaml
from sqlalchemy import Engine
from sqlmodel import Session

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from scraping.catalog import parse_catalog
from scraping.check import CHECK_CONCURRENCY, Checker, active_targets
from scraping.fetch import Fetcher, make_client
from scraping.politeness import HostLimiter
from scraping.sync import sync_catalog
from storage.db import make_engine, session_scope
from storage.migrate import upgrade_database
from storage.models import CheckOutcome, utcnow
from tests.pages import SEED_NEW, SEED_OLD, policy_page, seed_text, with_volatile_footer

DOCUMENTS, HOSTS = 500, 50
PAGE_BYTES, CPU_CHECKS, CHANGED_CHECKS = 100_000, 40, 15
CHECK_TARGET_MS = 10.0
ROWS = {
    "unchanged": "unchanged (the same bytes)",
    "volatile": "unchanged, volatile footer (a new snapshot)",
    "changed": "changed (confirmed, diffed, recorded)",
}
T = TypeVar("T")
CLAUSES = ["以及您的设备标识符", "并在法律法规允许的范围内", "包括但不限于车辆位置信息", "经您单独同意后"]


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


def page_texts(revisions: int) -> list[str]:
    """The text of a ~100 KB page (the seed policy, then its revision), then ``revisions`` edits of it."""
    lines = (seed_text(SEED_OLD) + "\n" + seed_text(SEED_NEW)).split("\n")
    while len(policy_page("\n".join(lines)).encode()) > PAGE_BYTES:
        lines.pop()
    rng, texts = random.Random(18), []
    for _ in range(revisions + 1):
        texts.append("\n".join(lines))
        for where in rng.sample(range(1, len(lines)), 2):
            lines[where] = lines[where].rstrip("。") + f",{rng.choice(CLAUSES)}。"
    return texts


def serve_page(
    port_queue: "multiprocessing.Queue[int]",
    pages: list[str],
    shown: "multiprocessing.sharedctypes.Synchronized[int]",
    volatile: "multiprocessing.sharedctypes.Synchronized[int]",
) -> None:
    """Serve ``pages[shown]``; with ``volatile``, its footer gets a generation time and a CSRF token."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            page = pages[shown.value]
            body = (with_volatile_footer(page) if volatile.value else page).encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *_: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    port_queue.put(server.server_address[1])
    server.serve_forever()


async def timed_checks(
    checker: Checker, expected: CheckOutcome, count: int, before_each: Callable[[int], None]
) -> float:
    """The mean CPU milliseconds of ``count`` checks of the one document, each ending in ``expected``."""
    with Session(checker.engine) as session:
        (target,) = active_targets(session)
    spent = 0.0
    for number in range(count):
        before_each(number)
        started = time.process_time()
        result = await checker.check(target)
        spent += time.process_time() - started
        if result.outcome is not expected:
            raise SystemExit(f"a check meant to be {expected.value} was {result.summary}")
    return spent / count * 1000


def parse_floor(html: str, count: int) -> float:
    """The mean CPU milliseconds of lxml parsing ``html`` alone: the floor of any check of it."""
    started = time.process_time()
    for _ in range(count):
        lxml.html.document_fromstring(html)
    return (time.process_time() - started) / count * 1000


class InlineExecutor(concurrent.futures.ThreadPoolExecutor):
    """Runs each job at once in the calling thread: what checks do in worker threads shows in cProfile."""

    def submit(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> concurrent.futures.Future[T]:
        future: concurrent.futures.Future[T] = concurrent.futures.Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except BaseException as error:
            future.set_exception(error)
        return future


def print_profile(kind: str, profiler: cProfile.Profile) -> None:
    for order, name in (("cumulative", "cumulative"), ("tottime", "own")):
        print(f"\nWhere the time of a check of the page {kind} goes: top functions by {name} time (cProfile)")
        pstats.Stats(profiler).strip_dirs().sort_stats(order).print_stats(16)


async def cpu_checks(
    engine: Engine,
    shown: "multiprocessing.sharedctypes.Synchronized[int]",
    volatile: "multiprocessing.sharedctypes.Synchronized[int]",
    profilers: dict[str, cProfile.Profile] | None,
) -> dict[str, float]:
    """CPU milliseconds per check of the unchanged page, the volatile one and a changed one."""
    async with make_client(allow_private_networks=True) as client:
        checker = Checker(engine, Fetcher(client, HostLimiter(delay=0)), confirm_delay=0)
        await timed_checks(checker, CheckOutcome.NEW_VERSION, 1, lambda _: None)  # the baseline version
        figures: dict[str, float] = {}
        for kind, is_volatile in (("unchanged", 0), ("volatile", 1)):
            volatile.value = is_volatile
            figures[kind] = await timed_checks(checker, CheckOutcome.UNCHANGED, CPU_CHECKS, lambda _: None)
            if profilers is not None:  # apart: profiling slows what it watches
                await profiled_checks(checker, profilers.setdefault(kind, cProfile.Profile()))
        volatile.value = 0

        def next_revision(number: int) -> None:
            shown.value = number + 1

        figures["changed"] = await timed_checks(
            checker, CheckOutcome.NEW_VERSION, CHANGED_CHECKS, next_revision
        )
        return figures


async def profiled_checks(checker: Checker, profiler: cProfile.Profile) -> None:
    """The unchanged checks again under ``profiler``, worker-thread jobs run inline so that it sees them."""
    loop = asyncio.get_running_loop()
    loop.set_default_executor(InlineExecutor())
    profiler.enable()
    await timed_checks(checker, CheckOutcome.UNCHANGED, CPU_CHECKS, lambda _: None)
    profiler.disable()
    loop.set_default_executor(concurrent.futures.ThreadPoolExecutor())


def one_document(folder: str, url: str) -> Engine:
    engine = make_engine(f"sqlite:///{folder}/one.db")
    upgrade_database(engine)
    catalog = {
        "platforms": [
            {
                "slug": "zeekr",
                "name": {"zh": "极氪", "en": "ZEEKR"},
                "documents": [{"kind": "privacy_policy", "url": url}],
            }
        ]
    }
    with session_scope(engine) as session:
        sync_catalog(session, parse_catalog(yaml.safe_dump(catalog), Path("bench.yaml")), utcnow())
    return engine


def cpu_figures(profile: bool) -> None:
    pages = [policy_page(text) for text in page_texts(CHANGED_CHECKS)]
    ports: multiprocessing.Queue[int] = multiprocessing.Queue()
    shown, volatile = multiprocessing.Value("i", 0), multiprocessing.Value("i", 0)
    server = multiprocessing.Process(target=serve_page, args=(ports, pages, shown, volatile), daemon=True)
    server.start()
    url = f"http://127.0.0.1:{ports.get(timeout=30)}/privacy"
    with tempfile.TemporaryDirectory() as folder:
        engine = one_document(folder, url)
        profilers: dict[str, cProfile.Profile] | None = {} if profile else None
        figures = asyncio.run(cpu_checks(engine, shown, volatile, profilers))
        engine.dispose()
    server.terminate()
    floor, size = parse_floor(pages[0], CPU_CHECKS), len(pages[0].encode())
    print(f"CPU time per check of a {size:,}-byte page (process CPU time, the mean of {CPU_CHECKS}")
    print(
        f"checks, {CHANGED_CHECKS} when changed), against lxml parsing the same page alone, in the same run:"
    )
    print(f"  {'floor: lxml parsing the page alone':<46}{floor:7.1f} ms")
    for kind, name in ROWS.items():
        milliseconds, note = (
            figures[kind],
            f"(target <= {CHECK_TARGET_MS:g} ms)" if kind == "unchanged" else "",
        )
        print(f"  {name:<46}{milliseconds:7.1f} ms {milliseconds / floor:6.1f} x the floor  {note}".rstrip())
    for kind, profiler in (profilers or {}).items():
        print_profile(ROWS[kind], profiler)


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


def pass_figures() -> None:
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cpu-only", action="store_true", help="only the CPU time per check")
    parser.add_argument("--profile", action="store_true", help="where an unchanged check's time goes")
    arguments = parser.parse_args()
    cpu_figures(arguments.profile)
    if not arguments.cpu_only:
        print()
        pass_figures()


if __name__ == "__main__":
    main()
