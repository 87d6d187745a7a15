"""Reports computed once per pair of versions and reused by every alert, page and /compare."""

import asyncio
from collections import defaultdict
from dataclasses import dataclass
from datetime import timedelta

from openai import AsyncOpenAI
from sqlalchemy import Engine
from sqlmodel import Session

from analysis.diff import build_diff
from analysis.llm import write_report
from analysis.report import PROMPT_VERSION, ChangeReport, document_language
from storage.db import session_scope
from storage.models import Report, Version, utcnow
from storage.reports import ReportKey, find_report, save_report

AUTOMATIC = "automatic"
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
    ) -> None:
        self.engine = engine
        self.prices = prices
        self.retry_fallback_after = retry_fallback_after
        self.client = client
        self.model = model if client is not None else AUTOMATIC
        self.timeout = timeout
        self._locks: defaultdict[ReportKey, asyncio.Lock] = defaultdict(asyncio.Lock)

    def _key(self, old: Version, new: Version, language: str) -> ReportKey:
        return ReportKey(old.id, new.id, self.model, PROMPT_VERSION, language)

    def _is_fresh(self, stored: Report) -> bool:
        """A model's report is final; a fallback is retried once the model may be back."""
        if not stored.is_automatic or self.client is None:
            return True
        return utcnow() - stored.created_at < self.retry_fallback_after

    async def report_for(self, old: Version, new: Version, language: str | None = None) -> ChangeReport:
        """The report of the change from ``old`` to ``new``, in ``language`` (default: the document's)."""
        key = self._key(old, new, language or document_language(new.text))
        async with self._locks[key]:
            with Session(self.engine) as session:
                stored = find_report(session, key)
            if stored is not None and self._is_fresh(stored):
                return ChangeReport.model_validate(stored.body)
            diff = build_diff(old.text, new.text)
            run = await write_report(
                self.client, self.model, diff, old.text, new.text, language=key.language, timeout=self.timeout
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
                )
            return run.report
