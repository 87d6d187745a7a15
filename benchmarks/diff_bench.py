"""Our diff model + HTML table (and the whole page) against difflib.HtmlDiff().make_table, same inputs.

Cases, on a ~110 KB Chinese policy built from the seed text: the seed pair, 10 % and 50 % of the
paragraphs edited, a full rewrite, and a 200 KB pair. Each side is timed in the same run (best of
7), and the ratio ours / HtmlDiff is printed. Run: .venv/bin/python benchmarks/diff_bench.py
"""

import asyncio
import difflib
import random
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from analysis.diff import build_diff
from storage.db import make_engine, session_scope
from storage.migrate import upgrade_database
from storage.models import Document, Platform
from storage.versions import FetchFacts, record_text
from tests.pages import SEED_NEW, SEED_OLD, seed_text
from web.app import create_app
from web.diff_table import render_diff_table
from web.i18n import translator

REPEATS = 7
INSERT = "并向合作方提供您的设备信息与位置信息"


def edited(text: str, share: float, seed: int) -> str:
    """``share`` of the non-empty paragraphs get a clause inserted and a few characters dropped."""
    rng = random.Random(seed)
    lines = text.split("\n")
    candidates = [i for i, line in enumerate(lines) if len(line) > 8]
    for i in rng.sample(candidates, int(len(candidates) * share)):
        cut = rng.randrange(len(lines[i]) - 4)
        lines[i] = lines[i][:cut] + INSERT + lines[i][cut + 4 :]
    return "\n".join(lines)


def rewritten(text: str) -> str:
    """Every paragraph replaced by different text of the same length."""
    rng = random.Random(7)
    alphabet = [chr(code) for code in range(0x4E00, 0x4E00 + 800)]  # common CJK ideographs
    return "\n".join("".join(rng.choice(alphabet) for _ in line) for line in text.split("\n"))


def shifted(text: str, by: int) -> str:
    """The same text shape with other Chinese characters, so a longer policy repeats no paragraph."""
    return "".join(chr(ord(char) + by) if "\u4e00" <= char <= "\u9f00" else char for char in text)


def cases() -> dict[str, tuple[str, str]]:
    seed_old, seed_new = seed_text(SEED_OLD), seed_text(SEED_NEW)
    policy = seed_old + "\n\n" + shifted(seed_old, 1)  # ~110 KB of UTF-8
    big = policy + "\n\n" + shifted(policy, 2)  # ~210 KB
    return {
        "seed pair": (seed_old, seed_new),
        "10% edited": (policy, edited(policy, 0.10, 3)),
        "50% edited": (policy, edited(policy, 0.50, 4)),
        "full rewrite": (policy, rewritten(policy)),
        "200 KB pair": (big, edited(big, 0.10, 5)),
    }


def best_of(run) -> float:
    """The best of REPEATS runs; one run when it takes over 5 s (HtmlDiff on a rewrite takes minutes)."""
    times: list[float] = []
    while len(times) < REPEATS and not (times and times[0] > 5):
        started = time.perf_counter()
        run()
        times.append(time.perf_counter() - started)
    return min(times)


def store(engine, pairs: dict[str, tuple[str, str]]) -> dict[str, str]:
    """Each pair as two versions of its own document; returns each case's diff page path."""
    paths = {}
    with session_scope(engine) as session:
        platform = Platform(slug="bench", name_zh="基准", name_en="Bench", aliases=[])
        session.add(platform)
        session.flush()
        for number, (name, (old, new)) in enumerate(pairs.items()):
            document = Document(platform_id=platform.id, kind=f"case{number}", url="https://example.com")
            session.add(document)
            session.flush()
            at = datetime(2025, 1, 1, tzinfo=UTC)
            first = record_text(session, document, old, FetchFacts(document.url), at).version.id
            second = record_text(
                session, document, new, FetchFacts(document.url), at + timedelta(days=1)
            ).version.id
            paths[name] = f"/p/bench/{document.kind}/diff/{first}..{second}"
    return paths


def main() -> None:
    pairs = cases()
    translate = translator("zh")
    with tempfile.TemporaryDirectory() as folder:
        engine = make_engine(f"sqlite:///{folder}/bench.db")
        upgrade_database(engine)
        paths = store(engine, pairs)
        app = create_app(engine)

        async def page(path: str) -> None:
            async with httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app), base_url="http://bench"
            ) as client:
                (await client.get(path)).raise_for_status()

        print("ours: diff model + HTML table; page: the whole diff page over ASGI (database read included)")
        columns = (
            ("KB old/new", 12),
            ("ours (s)", 10),
            ("HtmlDiff (s)", 14),
            ("ratio", 7),
            ("page (s)", 10),
            ("ratio", 7),
        )
        print(f"{'case':<14}" + "".join(f"{title:>{width}}" for title, width in columns))
        for name, (old, new) in pairs.items():
            ours = best_of(lambda: render_diff_table(build_diff(old, new), translate, ""))  # noqa: B023
            theirs = best_of(lambda: difflib.HtmlDiff().make_table(old.split("\n"), new.split("\n")))  # noqa: B023
            whole = best_of(lambda: asyncio.run(page(paths[name])))  # noqa: B023
            kilobytes = f"{len(old.encode()) // 1024}/{len(new.encode()) // 1024}"
            print(
                f"{name:<14}{kilobytes:>12}{ours:>10.4f}{theirs:>14.4f}{ours / theirs:>7.2f}"
                f"{whole:>10.4f}{whole / theirs:>7.2f}"
            )


if __name__ == "__main__":
    main()
