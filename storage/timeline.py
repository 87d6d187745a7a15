"""Which version was in force when: the changes of a document in order, and picking versions to compare."""

from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Literal

from sqlalchemy.orm import defer
from sqlmodel import Session, col, select

from storage.models import Check, CheckOutcome, Version
from storage.versions import ChangeSize

VersionRef = date | Literal["latest", "previous"]


CHANGE_OUTCOMES = (CheckOutcome.NEW_VERSION, CheckOutcome.REVERTED, CheckOutcome.TECHNICAL)


@dataclass(frozen=True)
class Change:
    """A version coming into force: the first version (a baseline), a new one, or a return to an old one.

    A technical change is the same policy read with new rules ("rules updated"). ``reread`` is the last
    technical re-reading of ``version`` that followed it, when timelines leave technical changes out.
    """

    at: datetime
    version: Version
    previous: Version | None
    size: ChangeSize | None = None  # from ``previous``, as measured when the change was recorded
    technical: bool = False
    reread: Version | None = None

    @property
    def is_revert(self) -> bool:
        return self.previous is not None and self.version.first_seen_at < self.at

    @property
    def in_force(self) -> Version:
        """The version as read with the newest rules: what comparisons with later versions use."""
        return self.reread or self.version


class CompareError(ValueError):
    """The versions asked for cannot be compared; the message says why, ``code`` and ``values`` too."""

    def __init__(self, message: str, code: str = "", **values: object) -> None:
        super().__init__(message)
        self.code = code
        self.values = values


def timeline(
    session: Session, document_id: int, *, texts: bool = True, technical: bool = False
) -> list[Change]:
    """Every change of a document, oldest first (reverts included); ``texts=False`` leaves texts unread.

    Technical changes are left out unless ``technical``; a change's ``previous`` is still the version just
    before it, technical or not, so that its diff shows only the policy's change.
    """
    query = (
        select(Check, Version)
        .join(Version, col(Version.id) == col(Check.version_id))
        .where(Check.document_id == document_id, col(Check.outcome).in_(CHANGE_OUTCOMES))
        .order_by(col(Check.id))
    )
    if not texts:
        # Version.text is an InstrumentedAttribute at run time; SQLModel types it as the str it holds.
        query = query.options(defer(Version.text, raiseload=True))  # type: ignore[arg-type]
    changes: list[Change] = []
    for check, version in session.exec(query).all():
        previous = changes[-1].version if changes else None
        is_technical = check.outcome is CheckOutcome.TECHNICAL
        changes.append(Change(check.checked_at, version, previous, ChangeSize.stored_in(check), is_technical))
    return changes if technical else _fold_technical(changes)


def _fold_technical(changes: list[Change]) -> list[Change]:
    """The policy's own changes, each knowing the technical re-reading that followed it (``reread``)."""
    folded: list[Change] = []
    for change in changes:
        if not change.technical:
            folded.append(change)
        elif folded:
            folded[-1] = replace(folded[-1], reread=change.version)
    return folded


def _end_of_day(day: date) -> datetime:
    return datetime.combine(day + timedelta(days=1), time.min, tzinfo=UTC)


def version_at(changes: list[Change], ref: VersionRef) -> Version:
    """The version in force at the end of a day (UTC), or the latest / previous one."""
    if not changes:
        raise CompareError("no version has been recorded yet", "no_version")
    if ref == "latest":
        return changes[-1].in_force
    if ref == "previous":
        if len(changes) < 2:
            raise CompareError("there is only one version so far: there is no previous one", "one_version")
        return changes[-2].in_force
    started = [change for change in changes if change.at < _end_of_day(ref)]
    if not started:
        first = changes[0].at.date()
        raise CompareError(
            f"{ref} is before the first recorded version ({first})", "before_first", date=ref, first=first
        )
    return started[-1].in_force


def versions_to_compare(
    changes: list[Change], first: VersionRef, second: VersionRef = "latest"
) -> tuple[Version, Version]:
    """The two versions in force at ``first`` and ``second``, older first."""
    today = datetime.now(UTC).date()
    for ref in (first, second):
        if isinstance(ref, date) and ref > today:
            raise CompareError(f"{ref} is in the future", "future", date=ref)
    old, new = version_at(changes, first), version_at(changes, second)
    if old.id == new.id:
        raise CompareError(
            f"the same version (#{old.id}) was in force at both dates: nothing to compare", "same", id=old.id
        )
    return (old, new) if old.first_seen_at <= new.first_seen_at else (new, old)
