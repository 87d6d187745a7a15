"""Stored change reports: one per (from version, to version, model, prompt version, language)."""

from collections.abc import Sequence
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
    return min(
        reports,
        key=lambda report: (
            report.is_automatic,
            languages.index(report.language),
            -report.created_at.timestamp(),
        ),
        default=None,
    )


def save_report(session: Session, key: ReportKey, **fields: object) -> Report:
    """Insert the report for ``key``, or replace the stored one (a fallback being upgraded)."""
    report = find_report(session, key) or Report(**key.__dict__, body={})
    report.created_at = utcnow()
    for name, value in fields.items():
        setattr(report, name, value)
    session.add(report)
    session.flush()
    return report
