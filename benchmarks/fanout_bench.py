"""One change alerted to many subscribers through a fake Bot API server that enforces Telegram's limits.

    .venv/bin/python benchmarks/fanout_bench.py [--subscribers 20000] [--free-subscribers 1000]

Three runs, each fan-out in a fresh process of its own (its peak RSS is the fan-out's, from the alert
and its outbox rows to the last message), the fake server in another:

- the fake server's own ceiling: a plain loop of raw HTTP requests (aiohttp, kept-alive connections)
  sending the alert's message, with no limiter: what this machine and loopback can take at all;
- the paid ceiling: ``--subscribers`` people, no limiter on the server, the sender at Telegram's paid
  1,000/s. Prints messages/s (target >= 900) and its ratio to the server's ceiling, peak RSS
  (target <= 150 MB), lost and duplicate messages (target 0 and 0);
- Telegram's free limit: ``--free-subscribers`` people, the server enforcing 30/s, 1/s per person, the
  sender at TELEGRAM_RATE: messages/s (target >= 0.9 x 30), 429 answers, lost, duplicates (all 0).

The CPU time each process used is printed too: on a shared machine the wall clock also counts others.
"""

import argparse
import asyncio
import gc
import json
import multiprocessing
import resource
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import aiohttp
from sqlalchemy import insert
from sqlmodel import col, select

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from alerts.bot_http import outbox_bot
from alerts.links import Links
from alerts.pipeline import AlertPipeline
from alerts.reports import ReportService
from alerts.sender import PAID_CEILING, TELEGRAM_RATE, Sender, SenderPolicy
from storage.db import make_engine, session_scope
from storage.migrate import upgrade_database
from storage.models import Alert, Delivery, Platform, Subscriber, Subscription, utcnow
from tests.pages import SEED_NEW, SEED_OLD, seed_text
from tests.seed import NEW_AT, OLD_AT, add_document
from tests.telegram_server import TOKEN, Limits, TelegramServer

TELEGRAM_LIMIT = 30.0
LINKS = Links("https://pw.example")
SPAWN = multiprocessing.get_context("spawn")  # fresh interpreters: each peak RSS is that process's own
ROWS_AT_ONCE = 2_000  # subscribers inserted per statement while seeding


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def serve(limits: bool, to_parent: Any, stop: Any) -> None:
    """The fake Bot API in its own process, so it does not share the sender's interpreter.

    Its garbage collector is off: with many messages kept for the count, a full collection pauses every
    handler thread for tens of milliseconds, and the requests that arrive meanwhile are timestamped
    together, a bunching that the sender did not do and Telegram's servers would not see.
    """
    gc.disable()
    with TelegramServer(Limits() if limits else None) as server:
        cpu = cpu_seconds()
        to_parent.put(server.base_url)
        stop.wait()
        received = Counter(s.chat_id for s in server.sent_messages())
        to_parent.put((received, [e[1] for e in server.errors], cpu_seconds() - cpu))


class FakeTelegram:
    """The fake server's process: started with or without Telegram's limits, asked for its count at exit."""

    def __init__(self, limits: bool) -> None:
        self._queue = SPAWN.Queue()
        self._stop = SPAWN.Event()
        self._process = SPAWN.Process(target=serve, args=(limits, self._queue, self._stop), daemon=True)

    def __enter__(self) -> str:
        self._process.start()
        return self._queue.get(timeout=60)

    def finish(self) -> tuple[Counter, list[int], float]:
        """Messages per chat, error codes, and the server's CPU seconds."""
        self._stop.set()
        result = self._queue.get(timeout=120)
        self._process.join(timeout=30)
        return result

    def __exit__(self, *_: object) -> None:
        if self._process.is_alive():
            self._process.kill()


def seed(database_url: str, subscribers: int) -> None:
    engine = make_engine(database_url)
    upgrade_database(engine)
    with session_scope(engine) as session:
        add_document(
            session, "zeekr", "极氪", "ZEEKR", [(OLD_AT, seed_text(SEED_OLD)), (NEW_AT, seed_text(SEED_NEW))]
        )
    now = utcnow()
    with session_scope(engine) as session:
        platform_id = session.exec(select(Platform.id)).one()
        for start in range(0, subscribers, ROWS_AT_ONCE):
            rows = [
                {
                    "chat_id": 100_000 + n,
                    "chat_type": "private",
                    "language": "zh" if n % 2 else "en",
                    "is_active": True,
                    "min_severity": "none",
                    "digest": False,
                    "language_chosen": False,
                    "created_at": now,
                }
                for n in range(start, min(start + ROWS_AT_ONCE, subscribers))
            ]
            session.execute(insert(Subscriber), rows)
        ids = session.exec(select(Subscriber.id)).all()
        for start in range(0, len(ids), ROWS_AT_ONCE):
            chunk = ids[start : start + ROWS_AT_ONCE]
            session.execute(
                insert(Subscription),
                [{"subscriber_id": i, "platform_id": platform_id, "created_at": now} for i in chunk],
            )
    engine.dispose()


@dataclass(frozen=True)
class FanOut:
    """What one fan-out process measured."""

    enqueue_seconds: float
    send_seconds: float
    send_cpu_seconds: float  # of the whole process while sending: the sender, its writer, the polling
    peak_mb: float


async def fan_out(database_url: str, base_url: str, policy: SenderPolicy) -> FanOut:
    """Enqueue the alert and send every delivery, as `run` does."""
    engine = make_engine(database_url)
    reports = ReportService(engine, None, "unused")
    started = time.perf_counter()
    await AlertPipeline(engine, reports, LINKS, clock=lambda: NEW_AT + timedelta(hours=1)).sweep()
    enqueued = time.perf_counter() - started
    async with outbox_bot(TOKEN, base_url) as bot:
        sender = Sender(engine, bot, LINKS, replace(policy, idle_poll=0.05))
        task = asyncio.create_task(sender.run())
        started, cpu = time.perf_counter(), cpu_seconds()
        while await asyncio.to_thread(_waiting, engine):
            await asyncio.sleep(0.05)
        sending, cpu = time.perf_counter() - started, cpu_seconds() - cpu
        await sender.stop()
        await task
    return FanOut(enqueued, sending, cpu, peak_mb())


def _waiting(engine) -> bool:
    with session_scope(engine) as session:
        statuses = col(Delivery.status).in_(["pending", "sending"])
        return session.exec(select(Delivery.id).where(statuses).limit(1)).first() is not None


def run_fan_out(database_url: str, base_url: str, policy: SenderPolicy, to_parent: Any) -> None:
    to_parent.put(asyncio.run(fan_out(database_url, base_url, policy)))


def in_own_process(database_url: str, base_url: str, policy: SenderPolicy) -> FanOut:
    queue = SPAWN.Queue()
    process = SPAWN.Process(target=run_fan_out, args=(database_url, base_url, policy, queue))
    process.start()
    result = queue.get(timeout=3600)
    process.join(timeout=60)
    return result


def alert_message(database_url: str) -> str:
    """The English alert the fan-out sent, for the raw-request run to send the same bytes."""
    engine = make_engine(database_url)
    with session_scope(engine) as session:
        return session.exec(select(Alert)).one().messages["en"]


async def raw_ceiling(base_url: str, text: str, messages: int, connections: int = 16) -> tuple[float, float]:
    """Messages per second the fake server takes from a plain loop of raw requests, and their CPU s."""
    url = f"{base_url}{TOKEN}/sendMessage"
    body = {"text": text, "parse_mode": "HTML", "link_preview_options": {"is_disabled": True}}
    chats = iter(range(messages))
    cpu = cpu_seconds()
    connector = aiohttp.TCPConnector(limit=connections)
    async with aiohttp.ClientSession(connector=connector) as session:

        async def loop() -> None:
            for chat in chats:
                payload = json.dumps({**body, "chat_id": 1 + chat}).encode()
                headers = {"Content-Type": "application/json"}
                async with session.post(url, data=payload, headers=headers) as response:
                    await response.read()

        started = time.perf_counter()
        await asyncio.gather(*(loop() for _ in range(connections)))
        return messages / (time.perf_counter() - started), cpu_seconds() - cpu


@dataclass(frozen=True)
class Delivered:
    received: Counter
    errors: list[int]
    server_cpu: float

    def lost(self, subscribers: int) -> int:
        return subscribers - len(self.received)

    def duplicates(self) -> int:
        return sum(self.received.values()) - len(self.received)

    def rate(self, seconds: float) -> float:
        return sum(self.received.values()) / seconds


def measure(folder: str, name: str, subscribers: int, limits: bool, policy: SenderPolicy):
    database_url = f"sqlite:///{folder}/{name}.db"
    seed(database_url, subscribers)
    server = FakeTelegram(limits)
    with server as base_url:
        run = in_own_process(database_url, base_url, policy)
        delivered = Delivered(*server.finish())
    return database_url, run, delivered


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subscribers", type=int, default=20_000)
    parser.add_argument("--free-subscribers", type=int, default=1_000)
    args = parser.parse_args()
    paid = SenderPolicy(rate=PAID_CEILING, paid_broadcast=True)
    free = SenderPolicy(rate=TELEGRAM_RATE)
    with tempfile.TemporaryDirectory() as folder:
        database_url, fast, unlimited = measure(folder, "paid", args.subscribers, False, paid)
        server = FakeTelegram(limits=False)
        with server as base_url:
            ceiling, client_cpu = asyncio.run(
                raw_ceiling(base_url, alert_message(database_url), args.subscribers)
            )
            raw = Delivered(*server.finish())
        _, slow, limited = measure(folder, "free", args.free_subscribers, True, free)
    fast_rate, slow_rate = unlimited.rate(fast.send_seconds), limited.rate(slow.send_seconds)
    print(f"fake server ceiling (raw):   {ceiling:.0f} messages/s ({args.subscribers:,} raw requests)")
    print(
        f"  CPU per message:           server {raw.server_cpu / args.subscribers * 1e6:.0f} µs, "
        f"raw client {client_cpu / args.subscribers * 1e6:.0f} µs"
    )
    print(f"paid fan-out, no limiter:    {args.subscribers:,} subscribers, pace {PAID_CEILING}/s")
    print(f"  alert + outbox enqueue:    {fast.enqueue_seconds:.2f} s")
    print(
        f"  sending:                   {fast.send_seconds:.1f} s, {fast_rate:.0f} messages/s (target >= 900)"
    )
    print(
        f"  ratio to the ceiling:      {fast_rate / ceiling:.2f} "
        f"(to the pace {PAID_CEILING}/s: {fast_rate / PAID_CEILING:.2f})"
    )
    print(
        f"  CPU per message:           sender {fast.send_cpu_seconds / args.subscribers * 1e6:.0f} µs, "
        f"server {unlimited.server_cpu / args.subscribers * 1e6:.0f} µs"
    )
    print(f"  lost / duplicate:          {unlimited.lost(args.subscribers)} / {unlimited.duplicates()}")
    print(f"  errors:                    {len(unlimited.errors)}")
    print(f"  peak RSS:                  {fast.peak_mb:.0f} MB (target <= 150)")
    print(f"free limit, 30/s:            {args.free_subscribers:,} subscribers, pace {TELEGRAM_RATE:g}/s")
    print(f"  sending:                   {slow.send_seconds:.1f} s, {slow_rate:.1f} messages/s")
    print(f"  ratio to Telegram's 30/s:  {slow_rate / TELEGRAM_LIMIT:.2f} (target >= 0.90)")
    print(
        f"  429 answers:               {limited.errors.count(429)} (other errors: "
        f"{len(limited.errors) - limited.errors.count(429)})"
    )
    print(f"  lost / duplicate:          {limited.lost(args.free_subscribers)} / {limited.duplicates()}")
    print(f"  peak RSS:                  {slow.peak_mb:.0f} MB")


if __name__ == "__main__":
    main()
