"""Reports computed once per pair of versions and reused by every alert, page and /compare.

Who may make the model write: ``report_for`` (alerts of consecutive versions, and what a person asks the
bot or the CLI for), within LLM_DAILY_CALLS a UTC day. ``stored_report`` (the web) never does.
"""

import asyncio
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from weakref import WeakValueDictionary

from openai import AsyncOpenAI
from sqlalchemy import Engine
from sqlmodel import Session

from alerts.admins import enqueue_admin_notices
from alerts.text import admin_llm_cap_message
from analysis.diff import build_diff
from analysis.language import document_language
from analysis.llm import write_report
from analysis.report import PROMPT_VERSION, ChangeReport
from storage.db import row_id, session_scope
from storage.llm_usage import first_cap_notice, take_calls
from storage.models import Report, Version, utcnow
from storage.reports import ReportKey, best_report, find_report, save_report

log = logging.getLogger(__name__)

AUTOMATIC = "automatic"
DAILY_CALLS = 200  # model calls a UTC day, all reports together (LLM_DAILY_CALLS)
# A fallback report is asked of the model again, at most this often, until the model answers.
RETRY_FALLBACK_AFTER = timedelta(minutes=10)


@dataclass(frozen=True)
class Prices:
    """What the endpoint charges per million tokens, to store each report's cost."""

    prompt: float
    completion: float

    def cost(self, prompt_tokens: int, completion_tokens: int) -> float:
        return (prompt_tokens * self.prompt + completion_tokens * self.completion) / 1_000_000


class ReportService:
    """The report of a change, from storage when it is there, else computed (once, however many ask)."""

    def __init__(
        self,
        engine: Engine,
        client: AsyncOpenAI | None,
        model: str,
        timeout: float = 60.0,
        retry_fallback_after: timedelta = RETRY_FALLBACK_AFTER,
        prices: Prices | None = None,
        daily_calls: int = DAILY_CALLS,
        admin_ids: frozenset[int] = frozenset(),
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.engine = engine
        self.daily_calls = daily_calls
        self.admin_ids = admin_ids
        self.clock = clock
        self.prices = prices
        self.retry_fallback_after = retry_fallback_after
        self.client = client
        self.model = model if client is not None else AUTOMATIC
        self.timeout = timeout
        # a lock per report being made; it goes away with the last coroutine that holds or awaits it
        self._locks: WeakValueDictionary[ReportKey, asyncio.Lock] = WeakValueDictionary()

    def _lock(self, key: ReportKey) -> asyncio.Lock:
        """One lock per key while anyone needs it, so concurrent askers compute a report once."""
        lock = self._locks.get(key)
        if lock is None:
            lock = self._locks[key] = asyncio.Lock()
        return lock

    def _key(self, old: Version, new: Version, language: str) -> ReportKey:
        return ReportKey(row_id(old), row_id(new), self.model, PROMPT_VERSION, language)

    def _is_fresh(self, stored: Report) -> bool:
        """A model's report is final; a fallback is retried once the model may be back."""
        if not stored.is_automatic or self.client is None:
            return True
        return self.clock() - stored.created_at < self.retry_fallback_after

    def reserve(self, count: int) -> bool:
        """Count ``count`` model calls against today's cap (reports and /ask together); False when refused."""
        return self._reserve(count)

    def _reserve(self, count: int) -> bool:
        """Count ``count`` model calls against today's cap; the first refusal of a day tells the admins."""
        day = self.clock().date()
        with session_scope(self.engine) as session:
            if take_calls(session, day, count, self.daily_calls):
                return True
            if first_cap_notice(session, day):
                log.warning(
                    "LLM_DAILY_CALLS=%d reached: automatic reports until midnight UTC", self.daily_calls
                )
                enqueue_admin_notices(
                    session,
                    self.admin_ids,
                    lambda language: admin_llm_cap_message(self.daily_calls, language),
                )
        return False

    def stored_report(self, old: Version, new: Version, languages: Sequence[str]) -> ChangeReport | None:
        """The best stored report of the pair (see ``best_report``), or None; never asks the model."""
        with Session(self.engine) as session:
            stored = best_report(session, row_id(old), row_id(new), languages)
        return ChangeReport.model_validate(stored.body) if stored else None

    async def report_for(self, old: Version, new: Version, language: str | None = None) -> ChangeReport:
        """The report of the change from ``old`` to ``new``, in ``language`` (default: the document's)."""
        key = self._key(old, new, language or document_language(new.text))
        async with self._lock(key):
            with Session(self.engine) as session:
                stored = find_report(session, key)
            if stored is not None and self._is_fresh(stored):
                return ChangeReport.model_validate(stored.body)
            diff = await asyncio.to_thread(build_diff, old.text, new.text)
            run = await write_report(
                self.client,
                self.model,
                diff,
                old.text,
                new.text,
                language=key.language,
                timeout=self.timeout,
                reserve=self._reserve,
            )
            with session_scope(self.engine) as session:
                save_report(
                    session,
                    key,
                    body=run.report.model_dump(mode="json"),
                    is_automatic=run.report.is_automatic,
                    prompt_tokens=run.prompt_tokens,
                    completion_tokens=run.completion_tokens,
                    latency_ms=run.latency_ms,
                    failure=run.failure,
                    cost=self.prices.cost(run.prompt_tokens, run.completion_tokens) if self.prices else None,
                    created_at=self.clock(),
                )
            return run.report
