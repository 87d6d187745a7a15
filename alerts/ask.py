"""/ask and the web's question box: answers from a version, cached, limited per person, within the budget.

Retrieval is ``analysis.ask``; a model writes the answer when a key is set, at most LLM_DAILY_CALLS a UTC
day together with the reports (``ReportService.reserve``). Two choices, both in memory:

- Answers are kept in a bounded LRU cache per (version, model, normalised question, language). A restart
  costs at most one model call per question asked again, and what people ask is never written to the
  database (a question can say more about the asker than the policy). One ``policywatch run`` serves the
  bot and the web, so one cache serves both.
- The rate limit (10 questions an hour per person) is a sliding window per asker, in memory: a restart
  gives a person at most one extra hour's questions, while the daily budget, which is what costs money,
  is durable in the database. The bot refuses past the limit; the web answers with search results
  (retrieval is cheap) and no model call.
- Questions may use at most half of LLM_DAILY_CALLS a UTC day, so strangers cannot spend what change
  reports need. That half is counted here, in memory, per process (the shared daily cap stays in the
  database): a restart lets questions spend at most another half that day.
"""

import asyncio
import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from datetime import date
from weakref import WeakValueDictionary

import openai
from cachetools import LRUCache, TTLCache

from alerts.reports import AUTOMATIC, ReportService
from analysis.ask import (
    MODEL_PARAGRAPHS,
    Answer,
    AnswerRejected,
    PolicyIndex,
    model_answer,
    normalize_question,
    question_language,
    quoted,
)
from storage.db import row_id
from storage.models import Version

log = logging.getLogger(__name__)

AnswerKey = tuple[int, str, str, str]  # version id, model, normalised question, the asker's language

QUESTIONS_PER_HOUR = 10
WINDOW_SECONDS = 3600.0
INDEXES_KEPT = 16  # versions' indexes (about 1 MB each for a 100 KB policy)
ANSWERS_KEPT = 2000
MODEL_TIMEOUT = 30.0  # seconds a person waits at most for the model (LLM_TIMEOUT when shorter)
ASKERS_KEPT = 100_000  # people with questions in the last hour; the oldest are forgotten first


class RateLimit:
    """At most ``limit`` questions per asker in any ``window`` seconds (a sliding window, in memory)."""

    def __init__(
        self,
        limit: int = QUESTIONS_PER_HOUR,
        window: float = WINDOW_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.limit = limit
        self.window = window
        self.clock = clock
        self._asked: TTLCache[str, deque[float]] = TTLCache(ASKERS_KEPT, window, timer=clock)
        self._lock = threading.Lock()

    def take(self, asker: str) -> float:
        """0 when ``asker`` may ask now (the question is counted), else the seconds until they may."""
        now = self.clock()
        with self._lock:
            times = self._asked.get(asker) or deque()
            while times and times[0] <= now - self.window:
                times.popleft()
            if len(times) >= self.limit:
                self._asked[asker] = times
                return times[0] + self.window - now
            times.append(now)
            self._asked[asker] = times  # and its time to live starts again
            return 0.0


class AskService:
    """Answers to questions about a version: the model's when it may and answers well, else search results."""

    def __init__(self, reports: ReportService, limit: RateLimit | None = None) -> None:
        self.reports = reports
        self.limit = limit or RateLimit()
        self._indexes: LRUCache[int, PolicyIndex] = LRUCache(INDEXES_KEPT)
        self._answers: LRUCache[AnswerKey, Answer] = LRUCache(ANSWERS_KEPT)
        self._lock = threading.Lock()
        # a lock per question being answered; it goes with the last coroutine holding or awaiting it
        self._locks: WeakValueDictionary[AnswerKey, asyncio.Lock] = WeakValueDictionary()
        self._model_day: tuple[date, int] | None = None  # the UTC day and the model calls /ask made on it

    def may_use_model(self, asker: str) -> bool:
        """Count one web question of ``asker``; past the hourly limit it gets search results, no model."""
        return self.limit.take(asker) == 0

    def _take_question_call(self) -> bool:
        """Count one question's model call against half of LLM_DAILY_CALLS today; False past that half."""
        today = self.reports.clock().date()
        with self._lock:
            day, calls = self._model_day or (today, 0)
            calls = calls if day == today else 0
            if calls >= self.reports.daily_calls // 2:
                return False
            self._model_day = (today, calls + 1)
            return True

    @property
    def model(self) -> str:
        return self.reports.model if self.reports.client is not None else AUTOMATIC

    def index(self, version: Version) -> PolicyIndex:
        """The version's index, built once (in the caller's thread) and kept while it is asked about."""
        key = row_id(version)
        with self._lock:
            found = self._indexes.get(key)
        if found is None:
            found = PolicyIndex(version.text)
            with self._lock:
                self._indexes[key] = found
        return found

    async def answer(self, version: Version, question: str, use_model: bool = True) -> Answer:
        """The answer to ``question`` (at most MAX_QUESTION_CHARS, checked by the caller) from ``version``."""
        language = question_language(question)
        model = self.model if use_model else AUTOMATIC
        key = (row_id(version), model, normalize_question(question), language)
        async with self._asking(key):  # the same question asked at once: one model call, one answer
            with self._lock:
                cached = self._answers.get(key)
            if cached is not None:
                return cached
            return await self._answer(key, version, question, language, use_model)

    def _asking(self, key: AnswerKey) -> asyncio.Lock:
        lock = self._locks.get(key)
        if lock is None:
            lock = self._locks[key] = asyncio.Lock()
        return lock

    async def _answer(
        self, key: AnswerKey, version: Version, question: str, language: str, use_model: bool
    ) -> Answer:
        index = await asyncio.to_thread(self.index, version)
        hits = await asyncio.to_thread(index.search, question, MODEL_PARAGRAPHS)
        answer = quoted(hits, index.threshold, question, language)
        client = self.reports.client
        if answer.kind == "search" and client is not None and use_model:
            if not self._take_question_call() or not await asyncio.to_thread(self.reports.reserve, 1):
                return answer  # over today's budget: search results, asked of the model again tomorrow
            try:
                timeout = min(self.reports.timeout, MODEL_TIMEOUT)
                answer = await model_answer(client, self.reports.model, question, hits, language, timeout)
            except openai.APIError as error:
                log.warning("the model did not answer a question: %s", error)
                return answer  # not kept: the model is asked again next time
            except AnswerRejected as problem:
                log.warning("the model's answer was rejected, search results instead: %s", problem)
        with self._lock:
            self._answers[key] = answer
        return answer
