"""ISO weeks as the weekly page names them: ``2025-W48``, Monday 00:00 to the next Monday 00:00, UTC.

UTC like every day the site shows (first seen, "days end at midnight UTC" when comparing by date).
"""

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

_SHAPE = re.compile(r"([0-9]{4})-[Ww]([0-9]{1,2})")  # ASCII digits only (\d takes ٢ too)
FIRST_YEAR = 2000  # weeks before it hold nothing PolicyWatch could have seen


class WeekError(ValueError):
    """Not a week: ``code`` is ``malformed`` when the text is not shaped like 2025-W48 (a 400), else
    ``no_such_week`` or ``too_early`` (a 404); ``values`` fill in the words ``web.week_<code>``."""

    def __init__(self, message: str, code: str, **values: object) -> None:
        super().__init__(message)
        self.code = code
        self.values = values

    @property
    def malformed(self) -> bool:
        return self.code == "malformed"


@dataclass(frozen=True, order=True)
class Week:
    year: int
    number: int

    @classmethod
    def parse(cls, text: str) -> "Week":
        """``2025-W48`` (``2025-w48`` and ``2025-W8`` too; ``canonical`` says how it is written)."""
        shape = _SHAPE.fullmatch(text)
        if shape is None:
            raise WeekError(f"{text[:40]!r} is not a week: write it like 2025-W48", "malformed")
        year, number = int(shape[1]), int(shape[2])
        if year < FIRST_YEAR:
            raise WeekError(f"{year} is before PolicyWatch watched anything", "too_early", year=year)
        weeks = weeks_in(year)
        if not 1 <= number <= weeks:
            raise WeekError(
                f"{year} has weeks 1 to {weeks}: there is no week {number}",
                "no_such_week",
                year=year,
                weeks=weeks,
                week=number,
            )
        return cls(year, number)

    @classmethod
    def of(cls, moment: datetime) -> "Week":
        """The week ``moment`` falls in (UTC)."""
        year, number, _ = moment.astimezone(UTC).isocalendar()
        return cls(year, number)

    @property
    def canonical(self) -> str:
        return f"{self.year}-W{self.number:02d}"

    @property
    def monday(self) -> date:
        return date.fromisocalendar(self.year, self.number, 1)

    @property
    def sunday(self) -> date:
        return self.monday + timedelta(days=6)

    @property
    def start(self) -> datetime:
        return datetime.combine(self.monday, time.min, tzinfo=UTC)

    @property
    def end(self) -> datetime:
        """The next week's start: the week holds moments ``start <= moment < end``."""
        return self.start + timedelta(days=7)

    def previous(self) -> "Week":
        return Week.of(self.start - timedelta(days=1))

    def next(self) -> "Week":
        return Week.of(self.end)

    def __str__(self) -> str:
        return self.canonical


def weeks_in(year: int) -> int:
    """52 or 53: December 28th is always in the year's last ISO week."""
    return date(year, 12, 28).isocalendar()[1]
