"""What snapshots cost: a 40-version history of a ~100 KB Chinese policy page, replayed through real checks.

The page is the seed policy (tests/fixtures/zeekr_2025-11-10.txt) followed by its 2025-12-31 revision,
inside tests/pages.py's site chrome plus a footer that changes on every request (a generation time and a
CSRF token, as many sites have): every fetch is a distinct response. Each version edits a few paragraphs
of the one before (a reworded clause, an added or a removed one) and is checked 4 times.

Prints the snapshot bytes stored against the raw bytes fetched (target <= 25 %), and the time per check
with snapshots against the same replay without them (target <= 10 % more), measured in the same run,
alternating the two. Run: .venv/bin/python benchmarks/snapshot_bench.py
"""

import asyncio
import random
import statistics
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import yaml
import zstandard
from sqlalchemy import func
from sqlmodel import Session, col, select

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from scraping.catalog import parse_catalog
from scraping.check import Checker, active_targets
from scraping.fetch import Fetcher, make_client
from scraping.politeness import HostLimiter
from scraping.sync import sync_catalog
from storage.db import make_engine, session_scope
from storage.migrate import upgrade_database
from storage.models import Snapshot, utcnow
from storage.snapshots import RawResponse
from tests.pages import SEED_NEW, SEED_OLD, policy_page, seed_text, with_volatile_footer

VERSIONS, CHECKS_PER_VERSION, ROUNDS = 40, 4, 3
CLAUSES = ["以及您的设备标识符", "并在法律法规允许的范围内", "包括但不限于车辆位置信息", "经您单独同意后"]
PARTNERS = ["浙江吉利汽车备件有限公司", "宁波极氪智能科技有限公司", "北京某某数据服务有限公司"]


def history(seed: int = 14) -> list[str]:
    """Forty texts of one policy, each a few paragraph edits away from the one before."""
    rng = random.Random(seed)
    lines = (seed_text(SEED_OLD) + "\n" + seed_text(SEED_NEW)).split("\n")
    texts = []
    for _ in range(VERSIONS):
        texts.append("\n".join(lines))
        for _ in range(rng.randint(1, 3)):
            where = rng.randrange(1, len(lines))
            edit = rng.random()
            if edit < 0.5 and lines[where]:
                lines[where] = lines[where].rstrip("。") + f",{rng.choice(CLAUSES)}。"
            elif edit < 0.75:
                lines.insert(where, f"我们可能与{rng.choice(PARTNERS)}共享您的必要信息,用于提供售后服务。")
            else:
                del lines[where]
    return texts


class Site:
    """Serves the current version's page; each answer gets a fresh generation time and CSRF token."""

    def __init__(self) -> None:
        self.page = ""
        self.bytes_served = 0
        site = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                body = with_volatile_footer(site.page).encode()
                site.bytes_served += len(body)
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *_: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/privacy"


class WithoutSnapshots(Checker):
    """The same checks, keeping no response: the baseline."""

    def _keep(self, session: Session, document_id: int, raw: RawResponse) -> int | None:
        return None


async def replay(engine, site: Site, pages: list[str], checker_class: type[Checker]) -> list[float]:
    """Check every version CHECKS_PER_VERSION times; the seconds each check took."""
    with Session(engine) as session:
        (target,) = active_targets(session)
    durations = []
    async with make_client(allow_private_networks=True) as client:
        checker = checker_class(engine, Fetcher(client, HostLimiter(delay=0)), confirm_delay=0)
        for page in pages:
            site.page = page
            for _ in range(CHECKS_PER_VERSION):
                started = time.perf_counter()
                await checker.check(target)
                durations.append(time.perf_counter() - started)
    return durations


def fresh_database(folder: str, name: str, url: str):
    engine = make_engine(f"sqlite:///{folder}/{name}.db")
    upgrade_database(engine)
    document = {"kind": "privacy_policy", "url": url}
    catalog = {
        "platforms": [{"slug": "zeekr", "name": {"zh": "极氪", "en": "ZEEKR"}, "documents": [document]}]
    }
    with session_scope(engine) as session:
        sync_catalog(session, parse_catalog(yaml.safe_dump(catalog), Path("bench.yaml")), utcnow())
    return engine


def stored_bytes(engine) -> tuple[int, int]:
    with Session(engine) as session:
        return session.exec(select(func.sum(func.length(Snapshot.body)), func.count(col(Snapshot.id)))).one()


def main() -> None:
    pages = [policy_page(text) for text in history()]
    site = Site()
    timings: dict[str, list[float]] = {"snapshots": [], "baseline": []}
    with tempfile.TemporaryDirectory() as folder:
        for round_number in range(ROUNDS):
            modes = [("snapshots", Checker), ("baseline", WithoutSnapshots)]
            for name, checker_class in modes if round_number % 2 == 0 else modes[::-1]:
                engine = fresh_database(folder, f"{name}{round_number}", site.url)
                site.bytes_served = 0
                timings[name] += asyncio.run(replay(engine, site, pages, checker_class))
                if name == "snapshots":
                    fetched = site.bytes_served
                    stored, count = stored_bytes(engine)
                engine.dispose()
    site.server.shutdown()
    one_page = len(pages[0].encode())
    alone = len(zstandard.ZstdCompressor(level=3).compress(pages[0].encode())) / one_page
    with_snapshots, baseline = statistics.median(timings["snapshots"]), statistics.median(timings["baseline"])
    print(f"history: {VERSIONS} versions x {CHECKS_PER_VERSION} checks, page ~{one_page / 1024:.0f} KB")
    print(f"raw bytes fetched:     {fetched:>10,}")
    share = stored / fetched
    print(
        f"snapshot bytes stored: {stored:>10,}  in {count} snapshots: {share:.1%} of fetched (target <= 25 %)"
    )
    print(f"(one page zstd-compressed alone: {alone:.1%} of its size)")
    print(f"median time per check: {with_snapshots * 1000:.1f} ms with snapshots, ", end="")
    print(f"{baseline * 1000:.1f} ms without")
    print(f"extra time per check:  {(with_snapshots - baseline) / baseline:+.1%} (target <= 10 %)")


if __name__ == "__main__":
    main()
