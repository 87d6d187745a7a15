"""/metrics in Prometheus' text format, read from the database at each scrape."""

from collections.abc import Iterator
from datetime import datetime

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily, Metric
from sqlalchemy import Engine
from sqlmodel import Session
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from storage.metrics import FETCH_BUCKETS_MS, Figures, read_figures
from storage.models import utcnow
from web.security import has_bearer_token, is_loopback_client


def _age(since: datetime | None, now: datetime) -> float:
    return (now - since).total_seconds() if since else 0.0


class DatabaseCollector:
    """Collects at scrape time, from the database: every process sees the same, restarts lose nothing."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def collect(self) -> Iterator[Metric]:
        with Session(self.engine) as session:
            figures = read_figures(session)
        yield from _metrics(figures)


def _metrics(figures: Figures) -> Iterator[Metric]:
    now = utcnow()
    checks = CounterMetricFamily("policywatch_checks", "Document checks by outcome", labels=["outcome"])
    for outcome, count in sorted(figures.checks_by_outcome.items()):
        checks.add_metric([outcome], count)
    yield checks
    yield CounterMetricFamily("policywatch_versions", "Distinct versions stored", value=figures.versions)
    yield CounterMetricFamily("policywatch_alerts", "Changes alerted", value=figures.alerts)
    deliveries = GaugeMetricFamily(
        "policywatch_deliveries",
        "Outbox deliveries by kind and status (sent, failed, pending, ...)",
        labels=["kind", "status"],
    )
    for (kind, status), count in sorted(figures.deliveries_by_kind_status.items()):
        deliveries.add_metric([kind, status], count)
    yield deliveries
    yield GaugeMetricFamily(
        "policywatch_outbox_lag_seconds",
        "Age of the oldest delivery not sent yet (0 when none waits)",
        value=_age(figures.oldest_pending_at, now),
    )
    calls = CounterMetricFamily("policywatch_llm_calls", "Reports written by a model", labels=["model"])
    for model, count in sorted(figures.llm_calls.items()):
        calls.add_metric([model], count)
    yield calls
    tokens = CounterMetricFamily(
        "policywatch_llm_tokens", "Tokens sent to and received from models", labels=["kind"]
    )
    for kind, count in figures.llm_tokens.items():
        tokens.add_metric([kind], count)
    yield tokens
    yield CounterMetricFamily(
        "policywatch_llm_failures", "Reports that fell back to the automatic one", value=figures.llm_failures
    )
    buckets = [
        (str(bound / 1000), count)
        for bound, count in zip(FETCH_BUCKETS_MS, figures.fetch_buckets, strict=True)
    ]
    yield HistogramMetricFamily(
        "policywatch_fetch_duration_seconds",
        "How long fetching a document took",
        buckets=[*buckets, ("+Inf", figures.fetch_count)],
        sum_value=figures.fetch_sum_ms / 1000,
    )
    yield GaugeMetricFamily(
        "policywatch_last_check_age_seconds",
        "Seconds since the last check of any document",
        value=_age(figures.last_check_at, now),
    )
    inbox = GaugeMetricFamily(
        "policywatch_inbox_updates",
        "Telegram updates the webhook stored, by status (pending, processing, done, failed)",
        labels=["status"],
    )
    for status, count in sorted(figures.inbox_by_status.items()):
        inbox.add_metric([status], count)
    yield inbox


def metrics(request: Request) -> Response:
    """The figures, for a loopback client or one with ``Authorization: Bearer METRICS_TOKEN``."""
    if not (is_loopback_client(request) or has_bearer_token(request, request.app.state.config.metrics_token)):
        return PlainTextResponse(
            "metrics need a bearer token",
            status_code=401,
            headers={"WWW-Authenticate": 'Bearer realm="metrics"'},
        )
    registry = CollectorRegistry(auto_describe=False)
    registry.register(DatabaseCollector(request.app.state.engine))
    return Response(generate_latest(registry), headers={"Content-Type": CONTENT_TYPE_LATEST})
