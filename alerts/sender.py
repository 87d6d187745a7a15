"""Draining the outbox within Telegram's limits: each delivery sent once, even across crashes.

A delivery is claimed (``sending``) before it is sent and marked ``sent`` right after Telegram
accepts it. After a crash, claimed deliveries go back to ``pending`` and are sent again: the only
duplicate possible is a message Telegram accepted in the last milliseconds before the crash.
"""

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from html import escape

from aiolimiter import AsyncLimiter
from cachetools import LRUCache
from sqlalchemy import Engine
from sqlmodel import Session, col, select
from telegram import Bot, InlineKeyboardMarkup
from telegram.constants import ParseMode
from telegram.error import BadRequest, ChatMigrated, Forbidden, RetryAfter, TelegramError

from alerts.admins import enqueue_admin_notices
from alerts.channel import Channel, channel_post
from alerts.links import Links
from alerts.telegram_html import NO_PREVIEW
from alerts.text import admin_channel_message, alert_buttons, in_language
from storage.db import row_id, session_scope
from storage.models import Alert, Delivery, DeliveryKind, Document, Platform, Subscriber, utcnow
from storage.outbox import (
    claim_due,
    mark_failed,
    mark_retry,
    mark_sent,
    move_chat,
    pause_subscriber,
    release_claimed,
)

log = logging.getLogger(__name__)

TELEGRAM_RATE = 28.0  # messages per second overall: under Telegram's 30, with room for replies to commands
PER_PERSON = (1, 1.0)  # at most 1 message a second to one person
PER_GROUP = (1, 3.2)  # one message every 3.2 s to a group: under 20 a minute, and under 1 a second
ALERT_VIEWS_KEPT = (
    64  # alerts whose rows the sender keeps at hand; a fan-out works through one or two at a time
)


class SlidingWindow:
    """At most ``limit`` events in any ``period`` seconds, each timed when it is let through.

    Telegram counts messages per window. A leaky bucket (aiolimiter) spaces them evenly, but a pause of
    the event loop can let two leave together; this count is the guarantee, taken as late as possible.
    """

    def __init__(self, limit: int, period: float) -> None:
        self.limit = limit
        self.period = period
        self._times: deque[float] = deque()

    def _forget_old(self, now: float) -> None:
        while self._times and now - self._times[0] >= self.period:
            self._times.popleft()

    def is_idle(self, now: float) -> bool:
        """Nothing in the current window: there is no state worth keeping."""
        self._forget_old(now)
        return not self._times

    async def wait_turn(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            now = loop.time()
            self._forget_old(now)
            if len(self._times) < self.limit:
                self._times.append(now)
                return
            await asyncio.sleep(self._times[0] + self.period - now)


@dataclass(frozen=True)
class SenderPolicy:
    """How fast and how stubbornly to send."""

    rate: float = TELEGRAM_RATE
    workers: int = 8
    batch: int = 200
    max_attempts: int = 5
    backoff: timedelta = timedelta(seconds=30)  # doubled after each failed attempt
    idle_poll: float = 1.0  # seconds between looks at an empty outbox (``wake`` cuts it short)
    paid_broadcast: bool = False  # every message asks for Telegram's paid broadcast: up to 1,000/s, in Stars


@dataclass(frozen=True)
class _AlertView:
    alert: Alert
    platform: Platform
    document: Document


class Sender:
    """Sends what the outbox holds; ``run`` until ``stop``, which lets the messages in flight finish.

    ``bot`` should have no rate limiter of its own (a plain ``telegram.Bot``): the sender paces every
    message and handles 429 answers itself, which a second limiter retrying on its own would upset.
    """

    def __init__(
        self,
        engine: Engine,
        bot: Bot,
        links: Links,
        policy: SenderPolicy = SenderPolicy(),
        clock: Callable[[], datetime] = utcnow,
        channel: Channel | None = None,
        admin_ids: frozenset[int] = frozenset(),
    ) -> None:
        self.engine = engine
        self.channel = channel
        self.admin_ids = admin_ids
        self._channel_refused = False  # admins were told the bot cannot post there (once, until it can)
        self.bot = bot
        self.links = links
        self.policy = policy
        self.clock = clock
        self.wake = asyncio.Event()
        self._stopping = asyncio.Event()
        self._spacing = AsyncLimiter(1, 1 / policy.rate)  # evenly spaced, no bursts
        self._overall = SlidingWindow(max(1, int(policy.rate)), 1.0)
        self._per_chat: dict[int, SlidingWindow] = {}
        self._alerts: LRUCache[int, _AlertView] = LRUCache(maxsize=ALERT_VIEWS_KEPT)
        self._paused_until = 0.0

    async def run(self) -> None:
        recovered = await asyncio.to_thread(self._write, release_claimed)
        if recovered:
            log.info("%d deliveries claimed before a crash are sent again", recovered)
        while not self._stopping.is_set():
            self.wake.clear()  # before looking: a wake-up from now on is not missed
            batch, languages = await asyncio.to_thread(self._claim)
            if not batch:
                await self._idle()
                continue
            queue = deque(batch)
            workers = min(self.policy.workers, len(batch))
            await asyncio.gather(*(self._work(queue, languages) for _ in range(workers)))
            if queue:
                left = [row_id(delivery) for delivery in queue]
                await asyncio.to_thread(self._write, partial(release_claimed, ids=left))
            self._forget_idle_chats()

    def _claim(self) -> tuple[list[Delivery], dict[int | None, str]]:
        """The next batch and its subscribers' languages (in a worker thread: the event loop never waits
        on the database, which would bunch the sends that follow)."""
        with session_scope(self.engine) as session:
            batch = claim_due(session, self.clock(), self.policy.batch)
        return batch, self._languages(batch) if batch else {}

    def _forget_idle_chats(self) -> None:
        """Drop the pace of chats that could be written to now: they carry no state worth keeping."""
        now = asyncio.get_running_loop().time()
        self._per_chat = {chat: window for chat, window in self._per_chat.items() if not window.is_idle(now)}

    async def stop(self) -> None:
        """Stop taking deliveries; those in flight finish, the claimed rest go back to pending."""
        self._stopping.set()
        self.wake.set()

    async def _idle(self) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.wake.wait(), timeout=self.policy.idle_poll)

    def _languages(self, batch: list[Delivery]) -> dict[int | None, str]:
        """The language of each delivery's subscriber (a delivery to no subscriber gets the default)."""
        ids = {delivery.subscriber_id for delivery in batch if delivery.subscriber_id is not None}
        with Session(self.engine) as session:
            rows = session.exec(select(Subscriber.id, Subscriber.language).where(col(Subscriber.id).in_(ids)))
            return {subscriber_id: language for subscriber_id, language in rows.all()}

    async def _work(self, queue: deque[Delivery], languages: dict[int | None, str]) -> None:
        while queue and not self._stopping.is_set():
            delivery = queue.popleft()
            await self._deliver(delivery, languages.get(delivery.subscriber_id, "en"))

    def _alert_view(self, alert_id: int) -> _AlertView:
        if alert_id not in self._alerts:
            with Session(self.engine) as session:
                alert = session.get_one(Alert, alert_id)
                document = session.get_one(Document, alert.document_id)
                self._alerts[alert_id] = _AlertView(
                    alert, session.get_one(Platform, document.platform_id), document
                )
        return self._alerts[alert_id]

    def _message(self, delivery: Delivery, language: str) -> tuple[str, InlineKeyboardMarkup | None]:
        if delivery.alert_id is None:
            return delivery.text or "", None
        view = self._alert_view(delivery.alert_id)
        if delivery.kind is DeliveryKind.CHANNEL:
            channel = self.channel or Channel("@unset")  # refused in _send
            return channel_post(channel, view.alert, view.platform, view.document, self.links)
        # A follower whose keywords the change mentions, or a keyword watcher: a message of their own.
        text = delivery.text or in_language(view.alert.messages, language)
        alert = view.alert
        buttons = alert_buttons(
            view.platform,
            view.document,
            alert.from_version_id,
            alert.to_version_id,
            language,
            self.links,
            following=delivery.kind is not DeliveryKind.KEYWORD,
        )
        return text, buttons

    async def _pace(self, chat_id: int) -> None:
        """Wait for the overall pace, any retry-after pause, the overall window, then the chat's window.

        After a pause every waiting message takes a new turn of the pace, so that they do not all leave
        at once when it ends.
        """
        loop = asyncio.get_running_loop()
        while True:
            await self._spacing.acquire()
            pause = self._paused_until - loop.time()
            if pause <= 0:
                break
            await asyncio.sleep(pause)
        await self._overall.wait_turn()
        limit, period = PER_PERSON if chat_id > 0 else PER_GROUP  # last: timed right before the send
        await self._per_chat.setdefault(chat_id, SlidingWindow(limit, period)).wait_turn()

    async def _deliver(self, delivery: Delivery, language: str) -> None:
        text, markup = self._message(delivery, language)
        await self._pace(delivery.chat_id)
        outcome = await self._send(delivery, text, markup)
        await asyncio.to_thread(self._write, outcome)  # off the event loop, as every database call here

    def _write(self, outcome: Callable[[Session], object]) -> object:
        with session_scope(self.engine) as session:
            return outcome(session)

    async def _send(
        self, delivery: Delivery, text: str, markup: InlineKeyboardMarkup | None
    ) -> Callable[[Session], None]:
        """Send one message; returns how to record what happened."""
        if delivery.kind is DeliveryKind.CHANNEL:
            return await self._post(delivery, text, markup)
        try:
            await self._send_html(delivery.chat_id, text, markup)
        except RetryAfter as error:
            return self._retry_after(delivery, error)
        except Forbidden as error:
            log.info("chat %s blocked the bot: paused until it talks to the bot again", delivery.chat_id)
            return partial(self._blocked, delivery=delivery, reason=f"blocked: {error.message}")
        except ChatMigrated as error:
            log.info("chat %s moved to %s", delivery.chat_id, error.new_chat_id)
            return partial(self._migrated, delivery=delivery, new_chat_id=error.new_chat_id)
        except BadRequest as error:  # the chat is gone or the message is refused: trying again won't help
            log.warning("delivery %s to %s refused: %s", delivery.id, delivery.chat_id, error.message)
            return partial(mark_failed, delivery_id=row_id(delivery), error=error.message)
        except TelegramError as error:  # network trouble, timeouts, Telegram's own errors
            return self._backoff(delivery, error)
        sent_at = self.clock()
        return lambda session: mark_sent(session, row_id(delivery), sent_at)

    async def _send_html(self, chat: int | str, text: str, markup: InlineKeyboardMarkup | None) -> None:
        """One HTML message to a chat (an id, or a channel's @name), link previews off."""
        await self.bot.send_message(
            chat,
            text,
            parse_mode=ParseMode.HTML,
            reply_markup=markup,
            link_preview_options=NO_PREVIEW,
            allow_paid_broadcast=self.policy.paid_broadcast or None,
        )

    async def _post(
        self, delivery: Delivery, text: str, markup: InlineKeyboardMarkup | None
    ) -> Callable[[Session], None]:
        """A post to the channel. Refused (the bot is not an admin there, or it is gone): the admins are
        told once, the log says how to fix it, and the post is given up; nothing else stops."""
        if self.channel is None:
            return partial(mark_failed, delivery_id=row_id(delivery), error="CHANNEL_ID is not set")
        try:
            await self._send_html(self.channel.address, text, markup)
        except RetryAfter as error:
            return self._retry_after(delivery, error)
        except (Forbidden, BadRequest) as error:
            return self._channel_refused_by(delivery, error)
        except TelegramError as error:
            return self._backoff(delivery, error)
        self._channel_refused = False
        sent_at = self.clock()
        return lambda session: mark_sent(session, row_id(delivery), sent_at)

    def _channel_refused_by(self, delivery: Delivery, error: TelegramError) -> Callable[[Session], None]:
        target = self.channel.target if self.channel else "?"
        log.error(
            "Telegram refused a post to the channel %s (%s): make the bot an administrator of the channel "
            "with the right to post messages (in the channel: Administrators → Add Admin), or fix CHANNEL_ID",
            target,
            error.message,
        )
        tell = not self._channel_refused
        self._channel_refused = True

        def record(session: Session) -> None:
            mark_failed(session, row_id(delivery), f"channel refused: {error.message}")
            if tell:
                text_in = partial(admin_channel_message, escape(target), escape(error.message))
                enqueue_admin_notices(session, self.admin_ids, text_in)

        return record

    def _blocked(self, session: Session, delivery: Delivery, reason: str) -> None:
        pause_subscriber(session, delivery.chat_id, reason)
        mark_failed(session, row_id(delivery), reason)

    def _migrated(self, session: Session, delivery: Delivery, new_chat_id: int) -> None:
        move_chat(session, delivery.chat_id, new_chat_id)
        mark_retry(session, row_id(delivery), self.clock(), "group migrated", attempt=False)

    def _retry_after(self, delivery: Delivery, error: RetryAfter) -> Callable[[Session], None]:
        """Pause all sending as Telegram asks; the delivery waits as long, without losing an attempt."""
        wait = error.retry_after
        seconds = wait.total_seconds() if isinstance(wait, timedelta) else float(wait)
        self._paused_until = asyncio.get_running_loop().time() + seconds
        log.warning("Telegram asks to wait %s s", seconds)
        later = self.clock() + timedelta(seconds=seconds)
        return lambda session: mark_retry(session, row_id(delivery), later, str(error), attempt=False)

    def _backoff(self, delivery: Delivery, error: TelegramError) -> Callable[[Session], None]:
        attempts = delivery.attempts + 1
        if attempts >= self.policy.max_attempts:
            log.warning("delivery %s to %s failed for good: %s", delivery.id, delivery.chat_id, error)
            reason = f"gave up after {attempts} attempts: {error}"
            return lambda session: mark_failed(session, row_id(delivery), reason)
        log.info("delivery %s to %s will be retried: %s", delivery.id, delivery.chat_id, error)
        later = self.clock() + self.policy.backoff * 2 ** (attempts - 1)
        return lambda session: mark_retry(session, row_id(delivery), later, str(error))
