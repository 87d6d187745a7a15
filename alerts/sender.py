"""Draining the outbox within Telegram's limits: each delivery sent once, even across crashes.

A delivery is claimed (``sending``) before it is sent and marked ``sent`` right after Telegram
accepts it. After a crash, claimed deliveries go back to ``pending`` and are sent again: the only
duplicate possible is a message Telegram accepted in the last milliseconds before the crash.

Claims are batches (one UPDATE each), the next one read while the current one goes out. What became
of each message is written by one writer, all the outcomes waiting in one transaction (a group
commit): a message is marked sent within one commit of Telegram's answer, however fast they come.
"""

import asyncio
import contextlib
import logging
import math
import queue
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from html import escape

from aiolimiter import AsyncLimiter
from cachetools import LRUCache
from sqlalchemy import Engine
from sqlmodel import Session
from telegram.error import BadRequest, ChatMigrated, Forbidden, RetryAfter, TelegramError

from alerts.admins import enqueue_admin_notices
from alerts.bot_http import OutboxBot
from alerts.channel import Channel, channel_post
from alerts.links import Links
from alerts.text import admin_channel_message, alert_buttons, in_language
from storage.db import session_scope
from storage.models import Alert, DeliveryKind, Document, Platform, utcnow
from storage.outbox import (
    Claimed,
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
FREE_CEILING, PAID_CEILING = 30, 1000  # Telegram's messages a second: free, and with paid broadcasts
PER_PERSON = (1, 1.0)  # at most 1 message a second to one person
PER_GROUP = (1, 3.2)  # one message every 3.2 s to a group: under 20 a minute, and under 1 a second
ALERT_VIEWS_KEPT = (
    64  # alerts whose rows the sender keeps at hand; a fan-out works through one or two at a time
)
WRITE_EVERY = 0.05  # seconds of outcomes written together: at 1,000/s, 50 rows an UPDATE
CATCH_UP = 0.02  # seconds of the pace that may leave at once to make up for a late wake-up
ROUND_TRIP = 0.04  # seconds of an answer from Telegram the pace allows for: in flight, rate × this


class SlidingWindow:
    """At most ``limit`` messages in any ``period`` seconds, as the receiving end counts them.

    A message takes a turn before it is sent and ends it when its answer arrives; its turn counts until
    ``period`` after that answer. Telegram received it somewhere in between, so however the network and
    a loaded machine delay each request, no ``period`` of Telegram's arrival times holds more than
    ``limit`` (a turn timed when it is let through could be overtaken by a later, faster request).
    """

    def __init__(self, limit: int, period: float) -> None:
        self.limit = limit
        self.period = period
        self._times: deque[float] = deque()  # when the answers of the last ``period`` arrived
        self._open = 0  # turns taken whose answer has not arrived
        self._ended: asyncio.Event | None = None  # set when a turn ends; made when someone waits for it

    def _forget_old(self, now: float) -> None:
        while self._times and now - self._times[0] >= self.period:
            self._times.popleft()

    def is_idle(self, now: float) -> bool:
        """Nothing in the current window: there is no state worth keeping."""
        self._forget_old(now)
        return not self._times and not self._open

    async def take_turn(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            now = loop.time()
            self._forget_old(now)
            if len(self._times) + self._open < self.limit:
                self._open += 1
                return
            if self._times:
                await asyncio.sleep(self._times[0] + self.period - now)
                continue
            if self._ended is None:
                self._ended = asyncio.Event()
            self._ended.clear()
            await self._ended.wait()

    def end_turn(self) -> None:
        """The answer arrived (or the request failed): the turn counts for ``period`` from now."""
        self._open -= 1
        self._times.append(asyncio.get_running_loop().time())
        if self._ended is not None:
            self._ended.set()


@dataclass(frozen=True)
class SenderPolicy:
    """How fast and how stubbornly to send."""

    rate: float = TELEGRAM_RATE
    workers: int = 8  # messages in flight at least; more at a fast pace (``in_flight``)
    batch: int = 200  # deliveries claimed at once at least; a second's worth at a fast pace (``claims``)
    max_attempts: int = 5
    backoff: timedelta = timedelta(seconds=30)  # doubled after each failed attempt
    idle_poll: float = 1.0  # seconds between looks at an empty outbox (``wake`` cuts it short)
    paid_broadcast: bool = False  # every message asks for Telegram's paid broadcast: up to 1,000/s, in Stars

    @property
    def in_flight(self) -> int:
        """Messages sent at once: enough that answers taking ``ROUND_TRIP`` do not hold up the pace."""
        return max(self.workers, math.ceil(self.rate * ROUND_TRIP))

    @property
    def catch_up(self) -> int:
        """Messages the pace lets leave together after the event loop woke late (timers fire a
        millisecond late or more: with none, 1,000 a second became 500): 2, or 20 ms' worth."""
        return max(2, math.ceil(self.rate * CATCH_UP))

    @property
    def claims(self) -> int:
        return max(self.batch, math.ceil(self.rate))


@dataclass(frozen=True)
class _Sent:
    """Telegram accepted the delivery at ``at``."""

    delivery_id: int
    at: datetime


_Outcome = _Sent | Callable[[Session], object]


@dataclass(frozen=True)
class _AlertView:
    alert: Alert
    platform: Platform
    document: Document


class Sender:
    """Sends what the outbox holds; ``run`` until ``stop``, which lets the messages in flight finish.

    ``bot`` (``outbox_bot``) has no rate limiter of its own: the sender paces every message and handles
    429 answers itself, which a second limiter retrying on its own would upset.
    """

    def __init__(
        self,
        engine: Engine,
        bot: OutboxBot,
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
        self._spacing = AsyncLimiter(policy.catch_up, policy.catch_up / policy.rate)  # evenly spaced
        self._overall = SlidingWindow(PAID_CEILING if policy.paid_broadcast else FREE_CEILING, 1.0)
        self._per_chat: dict[int, SlidingWindow] = {}
        self._alerts: LRUCache[int, _AlertView] = LRUCache(maxsize=ALERT_VIEWS_KEPT)
        self._buttons: LRUCache[tuple[int, str, bool], dict] = LRUCache(maxsize=ALERT_VIEWS_KEPT * 4)
        self._paused_until = 0.0
        self._outcomes: queue.SimpleQueue[_Outcome | None] = queue.SimpleQueue()  # None: no more

    async def run(self) -> None:
        recovered = await asyncio.to_thread(self._write, release_claimed)
        if recovered:
            log.info("%d deliveries claimed before a crash are sent again", recovered)
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="outbox-writer") as thread:
            writer = asyncio.get_running_loop().run_in_executor(thread, self._record_outcomes)
            try:
                await self._send_until_stopped(writer)
            finally:
                self._outcomes.put(None)
                await writer

    async def _send_until_stopped(self, writer: asyncio.Future[None]) -> None:
        """Claim and send batch after batch, the next claim read while a batch goes out."""
        claiming = self._claim_next()
        while True:
            batch = await claiming
            if self._stopping.is_set():
                await self._release(batch)
                return
            if not batch:
                await self._idle()
                claiming = self._claim_next()
                continue
            claiming = self._claim_next()
            await self._send_batch(batch)
            if writer.done():  # it only ends early when a write failed: raise that
                writer.result()

    def _claim_next(self) -> asyncio.Task[list[Claimed]]:
        self.wake.clear()  # before looking: a wake-up from now on is not missed
        return asyncio.create_task(asyncio.to_thread(self._claim))

    async def _send_batch(self, batch: list[Claimed]) -> None:
        queue = deque(batch)
        workers = min(self.policy.in_flight, len(batch))
        await asyncio.gather(*(self._work(queue) for _ in range(workers)))
        await self._release(list(queue))
        self._forget_idle_chats()

    async def _release(self, left: list[Claimed]) -> None:
        """Claimed deliveries not sent (at a stop) go back to pending."""
        if left:
            ids = [delivery.id for delivery in left]
            await asyncio.to_thread(self._write, partial(release_claimed, ids=ids))

    def _claim(self) -> list[Claimed]:
        """The next batch (in a worker thread: the event loop never waits on the database, which would
        bunch the sends that follow)."""
        with session_scope(self.engine) as session:
            return claim_due(session, self.clock(), self.policy.claims)

    def _record_outcomes(self) -> None:
        """In the writer's own thread, until told no more: what became of the messages, all those that
        came in ``WRITE_EVERY`` in one transaction. A sent message is marked within that, plus a commit."""
        finished = False
        while not finished:
            group = [self._outcomes.get()]
            time.sleep(WRITE_EVERY)  # a sleep, not a wait on the queue: no wake-up for each message
            with contextlib.suppress(queue.Empty):
                while True:
                    group.append(self._outcomes.get_nowait())
            finished = None in group
            outcomes = [outcome for outcome in group if outcome is not None]
            if outcomes:
                self._write(partial(_record, outcomes=outcomes))

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

    async def _work(self, queue: deque[Claimed]) -> None:
        while queue and not self._stopping.is_set():
            await self._deliver(queue.popleft())

    def _alert_view(self, alert_id: int) -> _AlertView:
        if alert_id not in self._alerts:
            with Session(self.engine) as session:
                alert = session.get_one(Alert, alert_id)
                document = session.get_one(Document, alert.document_id)
                self._alerts[alert_id] = _AlertView(
                    alert, session.get_one(Platform, document.platform_id), document
                )
        return self._alerts[alert_id]

    def _message(self, delivery: Claimed) -> tuple[str, dict | None]:
        """The text and the buttons (as Telegram reads them) of a delivery."""
        if delivery.alert_id is None:
            return delivery.text or "", None
        view = self._alert_view(delivery.alert_id)
        if delivery.kind is DeliveryKind.CHANNEL:
            channel = self.channel or Channel("@unset")  # refused in _send
            text, markup = channel_post(channel, view.alert, view.platform, view.document, self.links)
            return text, markup.to_dict() if markup is not None else None
        # A follower whose keywords the change mentions, or a keyword watcher: a message of their own.
        text = delivery.text or in_language(view.alert.messages, delivery.language)
        return text, self._alert_buttons(view, delivery.language, delivery.kind is not DeliveryKind.KEYWORD)

    def _alert_buttons(self, view: _AlertView, language: str, following: bool) -> dict:
        """Made once per alert, language and kind of recipient, not once per person."""
        key = (view.alert.id or 0, language, following)
        if key not in self._buttons:
            alert = view.alert
            self._buttons[key] = alert_buttons(
                view.platform,
                view.document,
                alert.from_version_id,
                alert.to_version_id,
                language,
                self.links,
                following=following,
            ).to_dict()
        return self._buttons[key]

    async def _pace(self, chat_id: int) -> tuple[SlidingWindow, SlidingWindow]:
        """Wait for the overall pace, any retry-after pause, then a turn of Telegram's overall window and
        of the chat's; returns the two turns, to end when the answer arrives.

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
        await self._overall.take_turn()
        chat = self._per_chat.get(chat_id)
        if chat is None:
            chat = self._per_chat[chat_id] = SlidingWindow(*(PER_PERSON if chat_id > 0 else PER_GROUP))
        try:
            await chat.take_turn()  # last: taken right before the send
        except BaseException:  # cancelled while waiting: the overall turn is not used
            self._overall.end_turn()
            raise
        return self._overall, chat

    async def _deliver(self, delivery: Claimed) -> None:
        text, markup = self._message(delivery)
        turns = await self._pace(delivery.chat_id)
        try:
            outcome = await self._send(delivery, text, markup)
        finally:
            for window in turns:
                window.end_turn()
        self._outcomes.put(outcome)

    def _write(self, outcome: Callable[[Session], object]) -> object:
        with session_scope(self.engine) as session:
            return outcome(session)

    async def _send(self, delivery: Claimed, text: str, markup: dict | None) -> _Outcome:
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
            return partial(mark_failed, delivery_id=delivery.id, error=error.message)
        except TelegramError as error:  # network trouble, timeouts, Telegram's own errors
            return self._backoff(delivery, error)
        return _Sent(delivery.id, self.clock())

    async def _send_html(self, chat: int | str, text: str, markup: dict | None) -> None:
        """One HTML message to a chat (an id, or a channel's @name), link previews off."""
        await self.bot.send_html(chat, text, markup, self.policy.paid_broadcast)

    async def _post(self, delivery: Claimed, text: str, markup: dict | None) -> _Outcome:
        """A post to the channel. Refused (the bot is not an admin there, or it is gone): the admins are
        told once, the log says how to fix it, and the post is given up; nothing else stops."""
        if self.channel is None:
            return partial(mark_failed, delivery_id=delivery.id, error="CHANNEL_ID is not set")
        try:
            await self._send_html(self.channel.address, text, markup)
        except RetryAfter as error:
            return self._retry_after(delivery, error)
        except (Forbidden, BadRequest) as error:
            return self._channel_refused_by(delivery, error)
        except TelegramError as error:
            return self._backoff(delivery, error)
        self._channel_refused = False
        return _Sent(delivery.id, self.clock())

    def _channel_refused_by(self, delivery: Claimed, error: TelegramError) -> Callable[[Session], None]:
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
            mark_failed(session, delivery.id, f"channel refused: {error.message}")
            if tell:
                text_in = partial(admin_channel_message, escape(target), escape(error.message))
                enqueue_admin_notices(session, self.admin_ids, text_in)

        return record

    def _blocked(self, session: Session, delivery: Claimed, reason: str) -> None:
        pause_subscriber(session, delivery.chat_id, reason)
        mark_failed(session, delivery.id, reason)

    def _migrated(self, session: Session, delivery: Claimed, new_chat_id: int) -> None:
        move_chat(session, delivery.chat_id, new_chat_id)
        mark_retry(session, delivery.id, self.clock(), "group migrated", attempt=False)

    def _retry_after(self, delivery: Claimed, error: RetryAfter) -> Callable[[Session], None]:
        """Pause all sending as Telegram asks; the delivery waits as long, without losing an attempt."""
        wait = error.retry_after
        seconds = wait.total_seconds() if isinstance(wait, timedelta) else float(wait)
        self._paused_until = asyncio.get_running_loop().time() + seconds
        log.warning("Telegram asks to wait %s s", seconds)
        later = self.clock() + timedelta(seconds=seconds)
        return lambda session: mark_retry(session, delivery.id, later, str(error), attempt=False)

    def _backoff(self, delivery: Claimed, error: TelegramError) -> Callable[[Session], None]:
        attempts = delivery.attempts + 1
        if attempts >= self.policy.max_attempts:
            log.warning("delivery %s to %s failed for good: %s", delivery.id, delivery.chat_id, error)
            reason = f"gave up after {attempts} attempts: {error}"
            return lambda session: mark_failed(session, delivery.id, reason)
        log.info("delivery %s to %s will be retried: %s", delivery.id, delivery.chat_id, error)
        later = self.clock() + self.policy.backoff * 2 ** (attempts - 1)
        return lambda session: mark_retry(session, delivery.id, later, str(error))


def _record(session: Session, outcomes: list[_Outcome]) -> None:
    """The sent ones in one UPDATE (dated by the last answer, milliseconds apart), then the others."""
    sent = [outcome for outcome in outcomes if isinstance(outcome, _Sent)]
    if sent:
        mark_sent(session, [outcome.delivery_id for outcome in sent], max(outcome.at for outcome in sent))
    for outcome in outcomes:
        if not isinstance(outcome, _Sent):
            outcome(session)
