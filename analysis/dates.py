"""Dates as policies state them (更新日期 / Last updated ...), and dates and durations as people type them."""

import re
from datetime import date, timedelta
from typing import Literal

_MONTHS = {
    name: number
    for number, names in enumerate(
        [
            ("january", "jan"),
            ("february", "feb"),
            ("march", "mar"),
            ("april", "apr"),
            ("may",),
            ("june", "jun"),
            ("july", "jul"),
            ("august", "aug"),
            ("september", "sep", "sept"),
            ("october", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        ],
        start=1,
    )
    for name in names
}
_MONTH = "(?P<month_name>" + "|".join(sorted(_MONTHS, key=len, reverse=True)) + r")\.?"

_DATE_FORMS = [
    r"(?P<y>\d{4})\s*年\s*(?P<m>\d{1,2})\s*月\s*(?P<d>\d{1,2})\s*[日号]?",
    r"(?P<y>\d{4})[-/.](?P<m>\d{1,2})[-/.](?P<d>\d{1,2})",
    _MONTH + r"\s+(?P<d>\d{1,2})(?:st|nd|rd|th)?,?\s+(?P<y>\d{4})",
    r"(?P<d>\d{1,2})(?:st|nd|rd|th)?\s+" + _MONTH + r",?\s+(?P<y>\d{4})",
]
_DATE_PATTERNS = [re.compile(form, re.IGNORECASE) for form in _DATE_FORMS]

_UPDATE_LABELS = (
    r"最近更新(?:日期|时间)?|最新更新(?:日期|时间)?|版本更新(?:日期|时间)|更新(?:日期|时间)|更新于|"
    r"修订(?:日期|时间)|发布(?:日期|时间)|发布于|"
    r"last\s+(?:updated?|modified|revised)(?:\s+on)?|updated(?:\s+on)?|revised(?:\s+on)?"
)
_EFFECTIVE_LABELS = r"生效(?:日期|时间)|生效于|effective(?:\s+date)?(?:\s+(?:as\s+of|from|on))?"
# After the label: punctuation or a little filler (":", "：", " is ", "为") before the date itself.
_GAP = r"[\s:：,，)）(（]*(?:is|为|是)?[\s:：]*"
_STATED_UPDATE = re.compile(rf"(?:{_UPDATE_LABELS}){_GAP}", re.IGNORECASE)
_STATED_EFFECTIVE = re.compile(rf"(?:{_EFFECTIVE_LABELS}){_GAP}", re.IGNORECASE)


def _date_from_match(match: re.Match[str]) -> date | None:
    """The date a match of one of the date forms names, or None when it is impossible."""
    groups = {key: value for key, value in match.groupdict().items() if value}
    month = _MONTHS[groups["month_name"].lower()] if "month_name" in groups else int(groups["m"])
    try:
        return date(int(groups["y"]), month, int(groups["d"]))
    except ValueError:
        return None


def _date_at(text: str, position: int) -> date | None:
    """The real date written at ``position`` of ``text``, if one starts there."""
    for pattern in _DATE_PATTERNS:
        match = pattern.match(text, position)
        if match:
            return _date_from_match(match)
    return None


def _first_stated(label: re.Pattern[str], text: str) -> date | None:
    for match in label.finditer(text):
        found = _date_at(text, match.end())
        if found:
            return found
    return None


def stated_dates(text: str) -> tuple[date | None, date | None]:
    """The update date and the effective date a policy states about itself, when it does."""
    return _first_stated(_STATED_UPDATE, text), _first_stated(_STATED_EFFECTIVE, text)


class DateInputError(ValueError):
    """A date typed by a person that is malformed or impossible (``impossible``); the message says which."""

    def __init__(self, message: str, shown: str, impossible: bool) -> None:
        super().__init__(message)
        self.shown = shown
        self.impossible = impossible


_USER_FORMS = [re.compile(rf"^\s*(?:{form})\s*$", re.IGNORECASE) for form in _DATE_FORMS]
_COMPACT = re.compile(r"^\s*(?P<y>\d{4})(?P<m>\d{2})(?P<d>\d{2})\s*$")
EXAMPLE_FORMATS = "2025-11-10, 2025/11/10, 2025.11.10, 20251110, 2025年11月10日"


def parse_user_date(value: str) -> date:
    """Parse a date typed by a person in any of :data:`EXAMPLE_FORMATS`."""
    shown = value if len(value) <= 40 else value[:40] + "…"
    for pattern in [*_USER_FORMS, _COMPACT]:
        match = pattern.match(value)
        if match:
            parsed = _date_from_match(match)
            if parsed is None:
                raise DateInputError(f"{shown!r} is not a real date", shown, impossible=True)
            return parsed
    raise DateInputError(f"{shown!r} is not a date; use one of {EXAMPLE_FORMATS}", shown, impossible=False)


def parse_version_ref(value: str) -> date | Literal["latest", "previous"]:
    """A typed date, or the words ``latest`` / ``previous`` (any case) for the newest versions."""
    word = value.strip().lower()
    if word == "latest":
        return "latest"
    if word == "previous":
        return "previous"
    return parse_user_date(value)


_DURATION = re.compile(r"^\s*(\d+)\s*([smhd])\s*$", re.IGNORECASE)
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
# What a check interval (CHECK_INTERVAL, a catalog ``interval``) may be: seconds for tests, a month at most.
MIN_INTERVAL = timedelta(seconds=1)
MAX_INTERVAL = timedelta(days=30)


def _shown(value: str) -> str:
    return repr(value if len(value) <= 40 else value[:40] + "…")


def parse_duration(value: str) -> timedelta:
    """Parse ``<number><unit>`` (s, m, h or d), such as ``90s``, ``30m``, ``6h`` or ``1d``."""
    match = _DURATION.match(value) if len(value) <= 40 else None
    if not match:
        raise ValueError(
            f"{_shown(value)} is not a duration; use a number and a unit, e.g. 90s, 30m, 6h or 1d"
        )
    amount, unit = int(match.group(1)), match.group(2).lower()
    try:
        return timedelta(seconds=amount * _UNIT_SECONDS[unit])
    except OverflowError:
        raise ValueError(f"{_shown(value)} is too long a duration") from None


def check_interval(interval: timedelta) -> timedelta:
    """``interval`` itself when it is between MIN_INTERVAL and MAX_INTERVAL, else a ValueError."""
    if not MIN_INTERVAL <= interval <= MAX_INTERVAL:
        bounds = f"{_duration_text(MIN_INTERVAL)} and {_duration_text(MAX_INTERVAL)}"
        raise ValueError(f"an interval must be between {bounds}, not {interval.total_seconds():.0f} seconds")
    return interval


def parse_interval(value: str) -> timedelta:
    """A check interval typed as :func:`parse_duration` reads it, between MIN_INTERVAL and MAX_INTERVAL."""
    return check_interval(parse_duration(value))


def _duration_text(duration: timedelta) -> str:
    """``30d``, ``6h``, ``1s``: a whole number of seconds in the largest unit that divides it."""
    seconds = int(duration.total_seconds())
    unit = next(unit for unit in "dhms" if seconds % _UNIT_SECONDS[unit] == 0)
    return f"{seconds // _UNIT_SECONDS[unit]}{unit}"
