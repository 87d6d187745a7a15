"""Asking an OpenAI-compatible chat model for the change report; the client is injected.

Transport failures (429 with Retry-After, 5xx, connection errors) are retried by the openai SDK
itself (its ``max_retries``); blank, invalid or truncated answers are asked again here; whatever still
fails becomes the deterministic fallback report, labelled automatic. Every call is first granted by the
caller's ``reserve`` (the daily cap), and a model's severity never goes below the rubric's floor.
"""

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

import openai
from openai import AsyncOpenAI
from openai.types.chat import ChatCompletionMessageParam
from pydantic import ValidationError

from analysis.diff import Diff
from analysis.language import document_language
from analysis.report import (
    ChangeReport,
    ReplyError,
    batches,
    chat_messages,
    fallback_report,
    merge_reports,
    parse_reply,
    prompt_items,
    with_floor,
)

log = logging.getLogger(__name__)

DEFAULT_BUDGET_TOKENS = 6000  # of changes per request; more are split by section and merged

# Asked before calls are made: may ``count`` more model calls be made now? (the daily cap)
Reserve = Callable[[int], bool]


def unlimited(_count: int) -> bool:
    """Every call granted (no cap)."""
    return True


class OverBudget(Exception):
    """The calls a report needs are not granted: the daily cap is reached."""


@dataclass
class ReportRun:
    """A report and what it cost to make it."""

    report: ChangeReport
    model: str | None = None
    calls: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    latency_ms: int = 0
    failure: str | None = None  # why the fallback was used, when the model was asked and failed


def _granted(reserve: Reserve, count: int) -> None:
    """Go on only if ``count`` more calls are granted."""
    if not reserve(count):
        raise OverBudget("the daily cap of model calls (LLM_DAILY_CALLS) is reached")


@dataclass(frozen=True)
class _Asking:
    """How one report asks the model: which, how often per batch, how long, and whether it may."""

    client: AsyncOpenAI
    model: str
    attempts: int
    timeout: float
    reserve: Reserve


async def _ask(asking: _Asking, messages: list[ChatCompletionMessageParam], run: ReportRun) -> ChangeReport:
    """One batch's report; a second attempt (after a bad answer) is one more call to be granted."""
    last_problem = "no attempt"
    for attempt in range(asking.attempts):
        if attempt:
            _granted(asking.reserve, 1)
        run.calls += 1
        completion = await asking.client.chat.completions.create(
            model=asking.model,
            messages=messages,
            response_format={"type": "json_object"},
            temperature=0,
            timeout=asking.timeout,
        )
        if completion.usage:
            run.prompt_tokens += completion.usage.prompt_tokens
            run.completion_tokens += completion.usage.completion_tokens
        choice = completion.choices[0] if completion.choices else None
        try:
            if choice is not None and choice.finish_reason == "length":
                raise ReplyError("the answer was cut off (finish_reason=length)")
            return parse_reply(choice.message.content if choice else None)
        except ReplyError as problem:
            last_problem = str(problem)
            log.warning("report reply rejected: %s", problem)
    raise ReplyError(last_problem)


async def write_report(
    client: AsyncOpenAI | None,
    model: str,
    diff: Diff,
    old: str,
    new: str,
    *,
    language: str | None = None,
    budget_tokens: int = DEFAULT_BUDGET_TOKENS,
    attempts: int = 2,
    timeout: float = 60.0,
    reserve: Reserve = unlimited,
) -> ReportRun:
    """The report for a change: the model's when it answers well, else the fallback (never raises).

    The calls of every batch are granted by ``reserve`` together before the first one is made.
    """
    language = language or document_language(new)
    fallback = fallback_report(diff, old, new, language)
    items = prompt_items(diff, old, new)
    if client is None or not items:
        return ReportRun(fallback)
    run = ReportRun(fallback, model=model)
    asking = _Asking(client, model, attempts, timeout, reserve)
    started = time.perf_counter()
    try:
        groups = batches(items, budget_tokens)
        _granted(reserve, len(groups))
        parts = [await _ask(asking, chat_messages(batch, language), run) for batch in groups]
        merged = parts[0] if len(parts) == 1 else merge_reports(parts)
        run.report = with_floor(merged, diff, old, new, language)
    except (openai.APIError, ReplyError, OverBudget, ValidationError) as error:
        run.failure = f"{type(error).__name__}: {str(error)[:300]}"
        log.warning("report fell back to the automatic one: %s", run.failure)
    run.latency_ms = round((time.perf_counter() - started) * 1000)
    return run
