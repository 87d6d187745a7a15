"""One change alerted to many subscribers through a fake Bot API server that enforces Telegram's limits.

    .venv/bin/python benchmarks/fanout_bench.py [--subscribers 10000]

Prints the enqueue time, messages per second against Telegram's 30/s (target >= 27/s, 90 %), the
429 answers (target 0), lost and duplicate deliveries (target 0 and 0), and peak RSS. The baseline,
measured in the same run, is what the fake server and loopback can take without limits: it shows the
rate is set by the limiter, not by the machine.
"""

import argparse
import asyncio
import gc
import multiprocessing
import multiprocessing.synchronize
import resource
import sys
import tempfile
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

from sqlalchemy import insert
from sqlmodel import col, select
from telegram import Bot

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from alerts.links import Links
from alerts.pipeline import AlertPipeline
from alerts.reports import ReportService
from alerts.sender import TELEGRAM_RATE, Sender, SenderPolicy
from storage.db import make_engine, session_scope
from storage.migrate import upgrade_database
from storage.models import Delivery, Platform, Subscriber, Subscription, utcnow
from tests.pages import SEED_NEW, SEED_OLD, seed_text
from tests.seed import NEW_AT, OLD_AT, add_document
from tests.telegram_server import TOKEN, Limits, TelegramServer

TELEGRAM_LIMIT = 30.0
LINKS = Links("https://pw.example")


def serve(
    limits: bool, to_parent: "multiprocessing.Queue", stop: "multiprocessing.synchronize.Event"
) -> None:
    """The fake Bot API in its own process, so it does not share the sender's interpreter.

    Its garbage collector is off: with 10,000 messages kept for the count, a full collection pauses
    every handler thread for tens of milliseconds, and the requests that arrive meanwhile are
    timestamped together, a bunching that the sender did not do and Telegram's servers would not see.
    """
    gc.disable()
    with TelegramServer(Limits() if limits else None) as server:
        to_parent.put(server.base_url)
        stop.wait()
        to_parent.put((Counter(s.chat_id for s in server.sent_messages()), [e[1] for e in server.errors]))


def seed(engine, subscribers: int) -> None:
    with session_scope(engine) as session:
        add_document(
            session, "zeekr", "极氪", "ZEEKR", [(OLD_AT, seed_text(SEED_OLD)), (NEW_AT, seed_text(SEED_NEW))]
        )
    now = utcnow()
    with session_scope(engine) as session:
        platform_id = session.exec(select(Platform.id)).one()
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
            for n in range(subscribers)
        ]
        session.execute(insert(Subscriber), rows)
        ids = session.exec(select(Subscriber.id)).all()
        session.execute(
            insert(Subscription),
            [{"subscriber_id": i, "platform_id": platform_id, "created_at": now} for i in ids],
        )


async def raw_capacity(base_url: str, messages: int = 600) -> float:
    """Messages per second the fake server takes from 8 concurrent senders with no limiter at all."""
    bot = Bot(TOKEN, base_url=base_url)
    async with bot:
        started = time.perf_counter()
        chats = iter(range(messages))

        async def worker() -> None:
            for chat in chats:
                await bot.send_message(1 + chat, "baseline")

        await asyncio.gather(*(worker() for _ in range(8)))
        return messages / (time.perf_counter() - started)


async def fan_out(engine, base_url: str) -> tuple[float, float]:
    """Enqueue the alert (seconds) and send every delivery (seconds)."""
    reports = ReportService(engine, None, "unused")
    started = time.perf_counter()
    await AlertPipeline(engine, reports, LINKS, clock=lambda: NEW_AT + timedelta(hours=1)).sweep()
    enqueued = time.perf_counter() - started
    async with Bot(TOKEN, base_url=base_url) as bot:  # as `run` does: the sender's own bot, no other limiter
        sender = Sender(engine, bot, LINKS, SenderPolicy(idle_poll=0.05))
        task = asyncio.create_task(sender.run())
        started = time.perf_counter()
        while True:
            with session_scope(engine) as session:
                waiting = session.exec(
                    select(Delivery.id).where(col(Delivery.status).in_(["pending", "sending"]))
                ).first()
            if waiting is None:
                break
            await asyncio.sleep(0.2)
        sending = time.perf_counter() - started
        await sender.stop()
        await task
    return enqueued, sending


def run_server(limits: bool):
    queue: multiprocessing.Queue = multiprocessing.Queue()
    stop = multiprocessing.Event()
    process = multiprocessing.Process(target=serve, args=(limits, queue, stop), daemon=True)
    process.start()
    return process, queue, stop, queue.get(timeout=30)


def finish_server(process, queue, stop):
    stop.set()
    result = queue.get(timeout=60)
    process.join(timeout=30)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subscribers", type=int, default=10_000)
    args = parser.parse_args()

    process, queue, stop, base_url = run_server(limits=False)
    baseline = asyncio.run(raw_capacity(base_url))
    finish_server(process, queue, stop)

    with tempfile.TemporaryDirectory() as folder:
        engine = make_engine(f"sqlite:///{folder}/fanout.db")
        upgrade_database(engine)
        seed(engine, args.subscribers)
        process, queue, stop, base_url = run_server(limits=True)
        enqueued, sending = asyncio.run(fan_out(engine, base_url))
        received, errors = finish_server(process, queue, stop)
    rate = sum(received.values()) / sending
    lost = args.subscribers - len(received)
    duplicates = sum(received.values()) - len(received)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"subscribers:                 {args.subscribers:,}")
    print(f"alert + outbox enqueue:      {enqueued:.2f} s")
    print(f"baseline, no limiter:        {baseline:.0f} messages/s (fake server over loopback)")
    print(f"fan-out:                     {sending:.1f} s, {rate:.1f} messages/s (pace {TELEGRAM_RATE:g}/s)")
    print(f"ratio to Telegram's 30/s:    {rate / TELEGRAM_LIMIT:.2f} (target >= 0.90)")
    print(f"ratio to the baseline:       {rate / baseline:.3f}")
    print(
        f"429 answers:                 {errors.count(429)} (other errors: {len(errors) - errors.count(429)})"
    )
    print(f"lost / duplicate:            {lost} / {duplicates}")
    print(f"peak RSS:                    {peak_mb:.0f} MB")


if __name__ == "__main__":
    main()
