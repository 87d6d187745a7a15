"""Asking an OpenAI-compatible chat model for the change report; the client is injected.

Transport failures (429 with Retry-After, 5xx, connection errors) are retried by the openai SDK
itself (its ``max_retries``); blank, invalid or truncated answers are asked again here; whatever still
fails becomes the deterministic fallback report, labelled automatic.
"""

import logging
import time
from dataclasses import dataclass

import openai
from openai import AsyncOpenAI

from analysis.diff import Diff
from analysis.report import (
    ChangeReport,
    ReplyError,
    batches,
    chat_messages,
    document_language,
    fallback_report,
    merge_reports,
    parse_reply,
    prompt_items,
)

log = logging.getLogger(__name__)

DEFAULT_BUDGET_TOKENS = 6000  # of changes per request; more are split by section and merged


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


async def _ask(
    client: AsyncOpenAI, model: str, messages: list[dict], run: ReportRun, attempts: int, timeout: float
) -> ChangeReport:
    last_problem = "no attempt"
    for _ in range(attempts):
        run.calls += 1
        completion = await client.chat.completions.create(
            model=model,
            messages=messages,
            response_format={"type": "json_object"},
            temperature=0,
            timeout=timeout,
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
) -> ReportRun:
    """The report for a change: the model's when it answers well, else the fallback (never raises)."""
    language = language or document_language(new)
    fallback = fallback_report(diff, old, new, language)
    items = prompt_items(diff, old, new)
    if client is None or not items:
        return ReportRun(fallback)
    run = ReportRun(fallback, model=model)
    started = time.perf_counter()
    try:
        parts = [
            await _ask(client, model, chat_messages(batch, language), run, attempts, timeout)
            for batch in batches(items, budget_tokens)
        ]
        run.report = parts[0] if len(parts) == 1 else merge_reports(parts)
    except (openai.APIError, ReplyError) as error:
        run.failure = f"{type(error).__name__}: {str(error)[:300]}"
        log.warning("report fell back to the automatic one: %s", run.failure)
    run.latency_ms = round((time.perf_counter() - started) * 1000)
    return run
