"""The figures /metrics reports, read from the database so that they survive restarts."""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import case, func
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import Select

from storage.inbox import inbox_counts
from storage.models import Alert, Check, Delivery, Report, Version
from storage.outbox import oldest_pending_at, outbox_counts
from storage.stats import count_rows, last_check_at

FETCH_BUCKETS_MS = (100, 250, 500, 1000, 2500, 5000, 10000, 30000)


@dataclass(frozen=True)
class Figures:
    checks_by_outcome: dict[str, int]
    versions: int
    alerts: int
    deliveries_by_status: dict[str, int]
    deliveries_by_kind_status: dict[tuple[str, str], int]
    oldest_pending_at: datetime | None
    llm_calls: dict[str, int]  # model -> reports the model wrote
    llm_tokens: dict[str, int]  # prompt / completion
    llm_failures: int
    fetch_buckets: list[int]  # cumulative counts of fetches at or under each FETCH_BUCKETS_MS bound
    fetch_count: int
    fetch_sum_ms: int
    last_check_at: datetime | None
    inbox_by_status: dict[str, int]  # webhook updates: pending, processing, done, failed


def _fetch_histogram(session: Session) -> tuple[list[int], int, int]:
    duration = col(Check.duration_ms)
    # Select is what select() builds for more than one column; its overloads stop at four, this has ten.
    row: tuple[int | None, ...] = session.exec(
        Select(
            *(func.sum(case((duration <= bound, 1), else_=0)) for bound in FETCH_BUCKETS_MS),
            func.count(duration),
            func.coalesce(func.sum(duration), 0),
        ).where(duration.is_not(None))
    ).one()
    # A SUM over no rows is NULL; COUNT and COALESCE never are.
    return [int(value or 0) for value in row[:-2]], int(row[-2] or 0), int(row[-1] or 0)


def read_figures(session: Session) -> Figures:
    checks = dict(session.exec(select(Check.outcome, func.count()).group_by(Check.outcome)).all())
    by_kind = session.exec(
        select(Delivery.kind, Delivery.status, func.count()).group_by(Delivery.kind, Delivery.status)
    )
    models = session.exec(
        select(Report.model, func.count()).where(~col(Report.is_automatic)).group_by(Report.model)
    ).all()
    prompt, completion = session.exec(
        select(
            func.coalesce(func.sum(Report.prompt_tokens), 0),
            func.coalesce(func.sum(Report.completion_tokens), 0),
        )
    ).one()
    buckets, count, total = _fetch_histogram(session)
    return Figures(
        checks_by_outcome=checks,
        versions=count_rows(session, Version),
        alerts=count_rows(session, Alert),
        deliveries_by_status=outbox_counts(session),
        deliveries_by_kind_status={(kind, status): n for kind, status, n in by_kind.all()},
        oldest_pending_at=oldest_pending_at(session),
        llm_calls=dict(models),
        llm_tokens={"prompt": int(prompt), "completion": int(completion)},
        llm_failures=count_rows(session, Report, col(Report.failure).is_not(None)),
        fetch_buckets=buckets,
        fetch_count=count,
        fetch_sum_ms=total,
        last_check_at=last_check_at(session),
        inbox_by_status=inbox_counts(session),
    )
