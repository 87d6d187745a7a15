"""Stored change reports: one per (from version, to version, model, prompt version, language)."""

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from sqlmodel import Session, col, select

from storage.models import Report, utcnow


@dataclass(frozen=True)
class ReportKey:
    from_version_id: int
    to_version_id: int
    model: str
    prompt_version: str
    language: str


def find_report(session: Session, key: ReportKey) -> Report | None:
    return session.exec(
        select(Report).where(
            Report.from_version_id == key.from_version_id,
            Report.to_version_id == key.to_version_id,
            Report.model == key.model,
            Report.prompt_version == key.prompt_version,
            Report.language == key.language,
        )
    ).first()


def _preference(languages: Sequence[str]) -> Callable[[Report], tuple[bool, int, float]]:
    """How ``best_report`` ranks the reports of one pair: a model's before an automatic one, then in the
    order of ``languages``, the newest first."""
    return lambda report: (
        report.is_automatic,
        languages.index(report.language),
        -report.created_at.timestamp(),
    )


def best_report(
    session: Session, from_version_id: int, to_version_id: int, languages: Sequence[str]
) -> Report | None:
    """The stored report of a pair in one of ``languages``: a model's before an automatic one, then in the
    order of ``languages``, the newest first; any model or prompt version."""
    reports = session.exec(
        select(Report).where(
            Report.from_version_id == from_version_id,
            Report.to_version_id == to_version_id,
            col(Report.language).in_(languages),
        )
    ).all()
    return min(reports, key=_preference(languages), default=None)


Pair = tuple[int, int]  # (from version id, to version id)


def best_reports(session: Session, pairs: Iterable[Pair], languages: Sequence[str]) -> dict[Pair, Report]:
    """``best_report`` of many pairs in one query; pairs without a stored report are left out."""
    wanted = set(pairs)
    if not wanted:
        return {}
    found: dict[Pair, list[Report]] = {}
    for report in session.exec(
        select(Report).where(
            col(Report.to_version_id).in_(sorted({new for _, new in wanted})),
            col(Report.language).in_(languages),
        )
    ):
        pair = (report.from_version_id, report.to_version_id)
        if pair in wanted:
            found.setdefault(pair, []).append(report)
    return {pair: min(reports, key=_preference(languages)) for pair, reports in found.items()}


def save_report(session: Session, key: ReportKey, **fields: object) -> Report:
    """Insert the report for ``key``, or replace the stored one (a fallback being upgraded)."""
    report = find_report(session, key) or Report(**key.__dict__, body={})
    report.created_at = utcnow()
    for name, value in fields.items():
        setattr(report, name, value)
    session.add(report)
    session.flush()
    return report
