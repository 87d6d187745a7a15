"""Stored change reports: one per (from version, to version, model, prompt version, language)."""

from dataclasses import dataclass

from sqlmodel import Session, select

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


def save_report(session: Session, key: ReportKey, **fields: object) -> Report:
    """Insert the report for ``key``, or replace the stored one (a fallback being upgraded)."""
    report = find_report(session, key) or Report(**key.__dict__, body={})
    for name, value in fields.items():
        setattr(report, name, value)
    report.created_at = utcnow()
    session.add(report)
    session.flush()
    return report
