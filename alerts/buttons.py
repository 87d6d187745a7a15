"""Inline buttons and their callback data, which Telegram caps at 64 bytes."""

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

CALLBACK_LIMIT = 64  # bytes of callback_data
MAX_ID = 2**63 - 1  # the largest row id SQLite (and a BIGINT) holds

FOLLOW, UNFOLLOW, PAGE, LANGUAGE, REPORT, SETTING = "f", "u", "p", "l", "r", "s"
WATCH, UNWATCH = "w", "x"  # a suggested keyword (its text); a Remove button of /watches (the watch id)
TRACK, TRACK_CANCEL, TRACK_PICK, UNTRACK = "t", "c", "k", "d"  # /track's preview, its links, /untrack


def callback(action: str, *fields: object) -> str:
    """``action:field:...`` within 64 bytes; the last field (free text) is cut to fit at a character."""
    data = ":".join([action, *(str(field) for field in fields)])
    while len(data.encode("utf-8")) > CALLBACK_LIMIT:
        data = data[:-1]
    return data


def parse_callback(data: str) -> tuple[str, list[str]]:
    """The action and its fields; free text may itself contain ':' (it is the last field)."""
    action, _, rest = data.partition(":")
    return action, rest.split(":", 1) if rest else []


def parse_id(field: str | None) -> int | None:
    """A row id from callback data: ASCII digits only (``²`` passes ``str.isdigit``), at most MAX_ID."""
    if not field or not (field.isascii() and field.isdigit()) or len(field) > len(str(MAX_ID)):
        return None
    number = int(field)
    return number if number <= MAX_ID else None


def field_id(fields: list[str], index: int = 0) -> int | None:
    """The id in ``fields[index]``, or None when it is missing or not an id."""
    return parse_id(fields[index]) if len(fields) > index else None


def button(label: str, action: str, *fields: object) -> InlineKeyboardButton:
    return InlineKeyboardButton(label, callback_data=callback(action, *fields))


def keyboard(rows: list[list[InlineKeyboardButton]]) -> InlineKeyboardMarkup | None:
    rows = [row for row in rows if row]
    return InlineKeyboardMarkup(rows) if rows else None
