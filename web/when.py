"""How long ago a change was, in the largest whole unit: the words are ``web.ago_<unit>``."""

from datetime import datetime

MINUTE, HOUR, DAY = 60, 3600, 86400


def how_long_ago(then: datetime, now: datetime) -> tuple[str, int]:
    """(unit, count): ``("days", 3)`` for three days ago; ``("now", 0)`` under a minute (or ahead of now)."""
    seconds = int((now - then).total_seconds())
    days = seconds // DAY
    if seconds < MINUTE:
        return "now", 0
    if seconds < HOUR:
        return "minutes", seconds // MINUTE
    if seconds < DAY:
        return "hours", seconds // HOUR
    if days < 30:
        return "days", days
    if days < 365:
        return "months", days // 30
    return "years", days // 365
