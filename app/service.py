"""The wiring of `policywatch run`: web app, bot (with a token), scheduled checks, alerts and sender."""

import asyncio
import logging
import signal
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass, field
from enum import StrEnum
from functools import partial
from typing import TYPE_CHECKING

import uvicorn
from openai import AsyncOpenAI
from sqlalchemy import Engine
from sqlmodel import Session
from starlette.applications import Starlette

from alerts.ask import AskService
from alerts.bot_http import OutboxBot, outbox_bot
from alerts.channel import Channel
from alerts.digest import enqueue_digests
from alerts.links import Links
from alerts.pipeline import AlertPipeline
from alerts.reports import Prices, ReportService
from alerts.sender import Sender, SenderPolicy
from analysis.ask import warm_up
from app.settings import Settings
from app.turns import work_in_turn
from bot.conversation import BotServices, CheckRunner
from bot.telegram_app import build_application, keep_trying, start_bot, stop_bot
from bot.webhook import Webhook, reading_inbox, start_webhook_bot
from scraping.check import Checker, CheckResult, Target, active_targets
from scraping.fetch import Fetcher, make_client
from scraping.politeness import HostLimiter
from scraping.preview import preview_url
from scraping.schedule import CheckScheduler, start_scheduler, tick_seconds
from storage.models import utcnow
from web.app import WebConfig, create_app
from web.serve import server_config
from web.webhook import WakeUp

if TYPE_CHECKING:
    from scraping.browser import BrowserRenderer

log = logging.getLogger("policywatch")


def make_report_service(settings: Settings, engine: Engine) -> ReportService:
    """Reports from the configured chat model (at most LLM_DAILY_CALLS a day), or the automatic fallback
    when no key is set; `run`, `report` and the demo all build it here."""
    client = None
    if settings.OPENAI_API_KEY is not None:
        client = AsyncOpenAI(
            api_key=settings.OPENAI_API_KEY.get_secret_value(),
            base_url=str(settings.OPENAI_BASE_URL),
            timeout=settings.LLM_TIMEOUT.total_seconds(),
            max_retries=2,
        )
    prices = None
    if settings.LLM_PRICE_INPUT is not None and settings.LLM_PRICE_OUTPUT is not None:
        prices = Prices(settings.LLM_PRICE_INPUT, settings.LLM_PRICE_OUTPUT)
    return ReportService(
        engine,
        client,
        settings.LLM_MODEL,
        settings.LLM_TIMEOUT.total_seconds(),
        prices=prices,
        daily_calls=settings.LLM_DAILY_CALLS,
        admin_ids=settings.ADMIN_CHAT_IDS,
    )


def make_renderer(settings: Settings) -> "BrowserRenderer | None":
    """The headless browser for `render: browser` documents and 403 fallbacks, when it is installed."""
    if not settings.BROWSER_PATH.exists():
        log.info(
            "no browser at BROWSER_PATH=%s: JavaScript pages are fetched over plain HTTP",
            settings.BROWSER_PATH,
        )
        return None
    try:
        from scraping.browser import BrowserRenderer  # optional: the `browser` extra installs playwright
    except ImportError:
        log.info("playwright is not installed (pip install 'policywatch[browser]'): no browser rendering")
        return None
    return BrowserRenderer(
        settings.BROWSER_PATH,
        allow_private_networks=settings.ALLOW_PRIVATE_NETWORKS,
        timeout_seconds=settings.FETCH_TIMEOUT.total_seconds(),
    )


@asynccontextmanager
async def open_fetcher(settings: Settings) -> AsyncIterator[Fetcher]:
    """The HTTP client and, when installed, the browser, closed when the pass ends."""
    renderer = make_renderer(settings)
    client = make_client(
        allow_private_networks=settings.ALLOW_PRIVATE_NETWORKS,
        timeout_seconds=settings.FETCH_TIMEOUT.total_seconds(),
    )
    async with client:
        try:
            yield Fetcher(client, HostLimiter(), renderer=renderer)
        finally:
            if renderer is not None:
                await renderer.aclose()


def make_checker(settings: Settings, engine: Engine, fetcher: Fetcher) -> Checker:
    """The one place a Checker is built: over ``fetcher`` (its per-host limits), with the settings."""
    return Checker(
        engine, fetcher, settings.CONFIRM_DELAY.total_seconds(), retention=settings.SNAPSHOT_RETENTION
    )


@asynccontextmanager
async def open_checker(settings: Settings, engine: Engine) -> AsyncIterator[Checker]:
    """A Checker with a fetcher of its own, closed when the pass ends."""
    async with open_fetcher(settings) as fetcher:
        yield make_checker(settings, engine, fetcher)


def make_web_app(
    settings: Settings,
    engine: Engine,
    reports: ReportService | None = None,
    ask: AskService | None = None,
    on_update: WakeUp | None = None,
) -> Starlette:
    """The one place the web app is built: links under PUBLIC_URL, METRICS_TOKEN, the stored reports, and
    the answers to questions (the bot's AskService when given: one cache, one budget); ``on_update`` wakes
    the bot in this process when the webhook stored an update."""
    reports = reports or make_report_service(settings, engine)
    return create_app(engine, web_config(settings), reports, ask or AskService(reports), on_update)


def make_web_server(settings: Settings, app: Starlette) -> uvicorn.Server:
    """uvicorn serving ``app`` on WEB_HOST:WEB_PORT with the limits of ``server_config`` (logs are ours)."""
    timeout = settings.WEB_REQUEST_TIMEOUT.total_seconds()
    return uvicorn.Server(
        server_config(app, settings.WEB_HOST, settings.WEB_PORT, request_timeout=timeout, log_config=None)
    )


def make_check_runner(
    engine: Engine,
    settings: Settings,
    after: Callable[[], Awaitable[object]] | None = None,
    fetcher: Fetcher | None = None,
) -> CheckRunner:
    """Check some platforms' documents (all when None) now, as /check asks; then ``after``.

    With ``fetcher`` the checks share its per-host limits (the scheduler's); else each call opens one.
    """

    async def check_with(current: Fetcher, targets: list[Target]) -> list[CheckResult]:
        return [result async for result in make_checker(settings, engine, current).check_all(targets)]

    async def run_checks(platform_ids: Sequence[int] | None) -> list[CheckResult]:
        with Session(engine) as session:
            targets = active_targets(session, platform_ids)
        if fetcher is not None:
            results = await check_with(fetcher, targets)
        else:
            async with open_fetcher(settings) as opened:
                results = await check_with(opened, targets)
        if after is not None:
            await after()
        return results

    return run_checks


class Wiring:
    """What follows a check: alerts into the outbox, then a nudge to the sender."""

    def __init__(self, pipeline: AlertPipeline, links: Links, updates: asyncio.Event) -> None:
        self.pipeline = pipeline
        self.links = links
        self.sender: Sender | None = None  # set while the bot runs
        self.updates = updates  # set by the webhook route when it stored an update

    async def follow_up(self, *_: object) -> None:
        if await self.pipeline.sweep() and self.sender is not None:
            self.sender.wake.set()


def webhook_of(settings: Settings) -> Webhook | None:
    """Where Telegram posts updates, when WEBHOOK_URL is set (else the bot polls)."""
    if settings.WEBHOOK_URL is None or settings.WEBHOOK_SECRET is None:
        return None
    return Webhook(str(settings.WEBHOOK_URL), settings.WEBHOOK_SECRET.get_secret_value())


def channel_of(settings: Settings) -> Channel | None:
    """The public channel, when CHANNEL_ID is set and there is a bot to post with."""
    if settings.CHANNEL_ID is None or settings.TELEGRAM_BOT_TOKEN is None:
        return None
    return Channel(settings.CHANNEL_ID, settings.CHANNEL_LANGUAGE)


@asynccontextmanager
async def running_sender(
    engine: Engine, settings: Settings, bot: OutboxBot, links: Links
) -> AsyncIterator[Sender]:
    """The outbox sender on its connected ``bot``; at exit it finishes the messages in flight."""
    async with bot:
        sender = Sender(
            engine,
            bot,
            links,
            SenderPolicy(rate=settings.TELEGRAM_RATE, paid_broadcast=settings.TELEGRAM_PAID_BROADCAST),
            channel=channel_of(settings),
            admin_ids=settings.ADMIN_CHAT_IDS,
        )
        task = asyncio.create_task(sender.run(), name="outbox sender")
        try:
            yield sender
        finally:
            await sender.stop()
            await task


async def run_telegram(engine: Engine, settings: Settings, bot_services: BotServices, wiring: Wiring) -> None:
    """Start the bot and the sender (retried while Telegram refuses or is unreachable), until cancelled."""
    if settings.TELEGRAM_BOT_TOKEN is None:
        raise ValueError("the Telegram bot needs TELEGRAM_BOT_TOKEN")
    token = settings.TELEGRAM_BOT_TOKEN.get_secret_value()
    webhook = webhook_of(settings)
    application = build_application(token, settings.TELEGRAM_API_BASE_URL, bot_services, webhook is None)
    # The sender's own connection pool, and no rate limiter: the sender paces alerts itself.
    sender_bot = outbox_bot(token, settings.TELEGRAM_API_BASE_URL)

    async def connect() -> None:
        await (start_bot(application) if webhook is None else start_webhook_bot(application, webhook))
        await sender_bot.initialize()

    try:
        await keep_trying(connect)
        if webhook is None:
            log.info("the Telegram bot @%s is polling for updates", application.bot.username)
        else:
            log.info("the Telegram bot @%s gets updates at WEBHOOK_URL", application.bot.username)
        async with (
            running_sender(engine, settings, sender_bot, wiring.links) as sender,
            reading_inbox(engine, application, wiring.updates, enabled=webhook is not None),
        ):
            wiring.sender = sender
            sender.wake.set()  # what was queued while Telegram was out of reach
            await asyncio.Event().wait()
    except Exception:  # a bug, not Telegram: the pages and the checks go on without the bot
        log.exception("the Telegram bot stopped")
    finally:
        wiring.sender = None
        await sender_bot.shutdown()
        await stop_bot(application)


@asynccontextmanager
async def running_telegram(
    engine: Engine, settings: Settings, bot_services: BotServices, wiring: Wiring
) -> AsyncIterator[None]:
    """The bot and the alert sender beside everything else, when TELEGRAM_BOT_TOKEN is set.

    They start in the background: a refused token or an unreachable Bot API is logged and retried, and
    the web pages and the checks never wait for Telegram.
    """
    if settings.TELEGRAM_BOT_TOKEN is None:
        log.info("the Telegram bot is off: set TELEGRAM_BOT_TOKEN (from @BotFather) to turn it on")
        yield
        return
    task = asyncio.create_task(run_telegram(engine, settings, bot_services, wiring), name="telegram")
    try:
        yield
    finally:
        task.cancel()
        with suppress(asyncio.CancelledError):
            await task


def web_config(settings: Settings) -> WebConfig:
    """What the pages need from the settings."""
    token = settings.METRICS_TOKEN.get_secret_value() if settings.METRICS_TOKEN is not None else None
    webhook = webhook_of(settings)
    return WebConfig(
        public_url=str(settings.PUBLIC_URL),
        metrics_token=token,
        webhook_path=webhook.path if webhook else None,
        webhook_secret=webhook.secret if webhook else None,
    )


class Role(StrEnum):
    """What one `policywatch run` does (``--role``)."""

    ALL = "all"  # the pages and the worker's part in one process: the default
    WEB = "web"  # the pages only: no fetch, no scheduler, no bot, no sending
    WORKER = "worker"  # checks, alerts, digests, the sender and the bot; no pages


@dataclass(frozen=True)
class Shared:
    """What the pages and the bot of one process share: one report service (one budget), one ask cache."""

    reports: ReportService
    ask: AskService
    links: Links
    # set by the webhook route when it stored an update: wakes the inbox reader of this process (role all);
    # a worker in another process finds the update by polling the inbox
    updates: asyncio.Event = field(default_factory=asyncio.Event)


def make_shared(engine: Engine, settings: Settings) -> Shared:
    reports = make_report_service(settings, engine)
    return Shared(reports, AskService(reports), Links(str(settings.PUBLIC_URL)))


def make_bot_services(
    engine: Engine, settings: Settings, shared: Shared, wiring: Wiring, fetcher: Fetcher
) -> BotServices:
    """What the bot's handlers use; its /check shares the scheduler's fetcher (its per-host limits)."""
    return BotServices(
        engine,
        shared.reports,
        shared.links,
        settings.ADMIN_CHAT_IDS,
        make_check_runner(engine, settings, wiring.follow_up, fetcher),
        shared.ask,
        # a preview is one plain attempt (no retries, no browser), within tracking.PREVIEW_SECONDS
        previewer=partial(preview_url, Fetcher(fetcher.client, fetcher.limiter, attempts=1)),
        track_quota=settings.TRACK_QUOTA,
    )


@asynccontextmanager
async def working(engine: Engine, settings: Settings, shared: Shared) -> AsyncIterator[None]:
    """The worker's part: the checks when due, alerts into the outbox, the digest, the bot and the sender.

    At exit the scheduler stops, the checks in progress finish, the sender finishes the messages in flight.
    """
    if settings.CHANNEL_ID is not None and settings.TELEGRAM_BOT_TOKEN is None:
        log.warning("CHANNEL_ID is set but TELEGRAM_BOT_TOKEN is not: nothing is posted to the channel")
    pipeline = AlertPipeline(
        engine,
        shared.reports,
        shared.links,
        settings.ADMIN_CHAT_IDS,
        settings.FAILURE_ALERT_AFTER,
        channel=channel_of(settings),
    )
    wiring = Wiring(pipeline, shared.links, shared.updates)

    async def digest() -> None:
        if enqueue_digests(engine, shared.links, utcnow()) and wiring.sender is not None:
            wiring.sender.wake.set()

    async with (
        open_fetcher(settings) as fetcher,
        running_telegram(
            engine, settings, make_bot_services(engine, settings, shared, wiring, fetcher), wiring
        ),
    ):
        await wiring.follow_up()  # changes recorded before a crash, or by `policywatch check`
        checks = CheckScheduler(
            engine, make_checker(settings, engine, fetcher), settings.CHECK_INTERVAL, wiring.follow_up
        )
        scheduler = start_scheduler(
            checks.tick,
            tick_seconds(settings.CHECK_INTERVAL),
            digest,
            settings.DIGEST_AT,
            settings.DIGEST_TIMEZONE,
        )
        try:
            yield
        finally:
            scheduler.shutdown(wait=False)
            await checks.drain()


async def serve_pages(engine: Engine, settings: Settings, shared: Shared) -> None:
    """The web pages on WEB_HOST:WEB_PORT until SIGINT/SIGTERM (uvicorn owns the signals)."""
    app = make_web_app(settings, engine, shared.reports, shared.ask, on_update=shared.updates.set)
    await make_web_server(settings, app).serve()


async def until_signalled() -> None:
    """Wait for SIGINT or SIGTERM, when no uvicorn owns them (the worker role)."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    await stop.wait()
    log.info("stopping: the checks and messages in progress finish first")


async def serve(engine: Engine, settings: Settings, role: Role = Role.ALL) -> None:
    """`policywatch run --role ROLE` until SIGINT/SIGTERM: pages (all, web), the worker's part (all, worker).

    At a stop the pages stop first, then the worker's part finishes the checks and messages in progress.
    """
    shared = make_shared(engine, settings)
    # jieba loads its dictionary (a second or two) now, not while the first person waits for an answer
    warming = asyncio.create_task(asyncio.to_thread(warm_up), name="ask warm-up")
    worker = None
    if role is Role.WEB:
        log.info("serving the pages only: checks, alerts and the bot run in `policywatch run --role worker`")
    else:
        worker = asyncio.create_task(
            work_in_turn(partial(working, engine, settings, shared), engine), name="worker"
        )
    try:
        await (until_signalled() if role is Role.WORKER else serve_pages(engine, settings, shared))
    finally:
        if worker is not None:
            worker.cancel()
            with suppress(asyncio.CancelledError):
                await worker
        await warming
