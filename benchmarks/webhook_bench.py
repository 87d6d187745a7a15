"""What the webhook's inbox costs: people's updates answered by long polling, then through the webhook.

    .venv/bin/python benchmarks/webhook_bench.py [--people 300] [--pace 20]

``--people`` people send /start, ``--pace`` a second (under the 30 replies a second that the bot's rate
limiter allows, which would otherwise set every figure), through the fake Bot API server (in this
process, on loopback); the bot answers each. Three runs on one SQLite database:

- long polling (the baseline, measured in the same run): getUpdates, as without WEBHOOK_URL;
- webhook, one process: the fake server posts each update to the web app's route, which stores it in
  the inbox and wakes the bot's inbox reader at once (``--role all``);
- webhook, another process: the same without the wake-up, the reader finding updates by polling the
  inbox every 0.25 s, as when a web replica took them.

Prints updates answered per second and the time from an update's creation to its answer (p50, p99),
and each webhook run's median wait as a ratio of the polling one. The fake server posts one update at a
time (Telegram opens up to 40 connections).
"""

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import uvicorn
from sqlalchemy import Engine, delete
from telegram.ext import Application

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from alerts.links import Links
from alerts.reports import ReportService
from bot.conversation import BotServices
from bot.telegram_app import build_application, start_bot, stop_bot
from bot.webhook import Webhook, reading_inbox, start_webhook_bot
from storage.db import make_engine, session_scope
from storage.migrate import upgrade_database
from storage.models import InboxUpdate
from tests.seed import add_seed_pair
from tests.telegram_server import TOKEN, TelegramServer
from web.app import WebConfig, create_app
from web.serve import server_config

SECRET = "benchmark-webhook-secret-0123456789"
PATH = "/telegram/webhook"


def new_application(engine: Engine, server: TelegramServer, polling: bool) -> Application:
    services = BotServices(
        engine, ReportService(engine, None, "unused"), Links("https://pw.example"), frozenset()
    )
    return build_application(TOKEN, server.base_url, services, polling=polling)


@asynccontextmanager
async def polling(engine: Engine, server: TelegramServer) -> AsyncIterator[None]:
    application = new_application(engine, server, polling=True)
    await start_bot(application, poll_timeout=1)
    try:
        yield
    finally:
        await stop_bot(application)


@asynccontextmanager
async def webhook(engine: Engine, server: TelegramServer, woken: bool) -> AsyncIterator[None]:
    """The web app in this event loop (as `policywatch run` serves it) and the bot reading the inbox."""
    application = new_application(engine, server, polling=False)
    wake = asyncio.Event()
    config = WebConfig(webhook_path=PATH, webhook_secret=SECRET)
    app = create_app(engine, config, on_update=wake.set if woken else None)
    web = uvicorn.Server(server_config(app, "127.0.0.1", 0, log_config=None))
    serving = asyncio.create_task(web.serve())
    while not web.started:
        await asyncio.sleep(0.01)
    url = f"http://127.0.0.1:{web.servers[0].sockets[0].getsockname()[1]}{PATH}"
    await start_webhook_bot(application, Webhook(url, SECRET))
    try:
        async with reading_inbox(engine, application, wake):
            yield
    finally:
        server.webhook.delete({})
        web.should_exit = True
        await serving
        await stop_bot(application)


async def answer_all(
    server: TelegramServer, people: int, pace: float, first_id: int
) -> tuple[float, list[float]]:
    """``people`` write /start, ``pace`` a second; the seconds until all are answered, and each one's wait."""
    written: dict[int, float] = {}
    started = time.monotonic()
    for number, chat_id in enumerate(range(first_id, first_id + people)):
        await asyncio.sleep(max(0.0, started + number / pace - time.monotonic()))
        user = {"id": chat_id, "is_bot": False, "first_name": f"p{chat_id}", "language_code": "en"}
        server.write({"id": chat_id, "type": "private", "first_name": user["first_name"]}, user, "/start")
        written[chat_id] = time.monotonic()

    def answered() -> bool:
        return sum(1 for sent in server.sent_messages() if sent.chat_id in written) >= people

    assert await asyncio.to_thread(server.wait_for, answered, 600), "not every update was answered"
    elapsed = time.monotonic() - started
    waits = [sent.at - written[sent.chat_id] for sent in server.sent_messages() if sent.chat_id in written]
    return elapsed, waits


def report(name: str, people: int, elapsed: float, waits: list[float], baseline: float | None) -> float:
    """One line of figures; returns the median wait."""
    p50, p99 = statistics.median(waits), statistics.quantiles(waits, n=100)[98]
    ratio = f"  (median {p50 / baseline:.2f} x polling's)" if baseline else ""
    rate = people / elapsed
    print(f"{name:<28} {rate:5.1f} updates/s  wait p50 {p50 * 1000:5.0f} ms  p99 {p99 * 1000:5.0f} ms{ratio}")
    return p50


async def main(people: int, pace: float) -> None:
    with tempfile.TemporaryDirectory() as folder:
        engine = make_engine(f"sqlite:///{folder}/bench.db")
        upgrade_database(engine)
        with session_scope(engine) as session:
            add_seed_pair(session)
        with TelegramServer() as server:
            print(f"{people} people send /start, {pace:g} a second; SQLite; fake Bot API in this process")
            async with polling(engine, server):
                elapsed, waits = await answer_all(server, people, pace, 10_000)
            baseline = report("long polling (baseline)", people, elapsed, waits, None)
            for name, woken, first_id in [
                ("webhook, one process", True, 20_000),
                ("webhook, stored by another", False, 30_000),
            ]:
                with session_scope(engine) as session:
                    session.exec(delete(InboxUpdate))
                async with webhook(engine, server, woken):
                    elapsed, waits = await answer_all(server, people, pace, first_id)
                report(name, people, elapsed, waits, baseline)
        engine.dispose()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--people", type=int, default=300)
    parser.add_argument("--pace", type=float, default=20.0, help="updates a second")
    arguments = parser.parse_args()
    asyncio.run(main(arguments.people, arguments.pace))
