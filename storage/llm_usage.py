"""Model calls counted per UTC day against LLM_DAILY_CALLS, durably and atomically across processes."""

from datetime import date

from sqlalchemy import false, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Field, Session, col

from storage.models import SQLModel  # the shared metadata, with its naming convention


class LlmUsage(SQLModel, table=True):
    """One UTC day's model calls, and whether the admins were told the cap was reached."""

    __tablename__ = "llm_usage"

    day: date = Field(primary_key=True)
    calls: int = 0
    cap_noticed: bool = Field(default=False, sa_column_kwargs={"server_default": false()})


def _ensure_day(session: Session, day: date) -> None:
    """The day's row, created at zero calls unless another writer created it first."""
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    session.exec(
        dialect.insert(LlmUsage).values(day=day, calls=0, cap_noticed=False).on_conflict_do_nothing()
    )


def take_calls(session: Session, day: date, count: int, cap: int) -> bool:
    """Count ``count`` calls on ``day`` if they all fit under ``cap`` (all or none); True when granted."""
    _ensure_day(session, day)
    granted = session.exec(
        update(LlmUsage)
        .where(col(LlmUsage.day) == day, col(LlmUsage.calls) + count <= cap)
        .values(calls=col(LlmUsage.calls) + count)
    )
    return granted.rowcount == 1


def first_cap_notice(session: Session, day: date) -> bool:
    """True for exactly one caller per day: the one who tells the admins that the cap was reached."""
    _ensure_day(session, day)
    marked = session.exec(
        update(LlmUsage).where(col(LlmUsage.day) == day, ~col(LlmUsage.cap_noticed)).values(cap_noticed=True)
    )
    return marked.rowcount == 1


def calls_on(session: Session, day: date) -> int:
    """The calls counted on ``day``."""
    usage = session.get(LlmUsage, day)
    return usage.calls if usage else 0
