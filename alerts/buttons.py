"""Inline buttons and their callback data, which Telegram caps at 64 bytes."""

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

CALLBACK_LIMIT = 64  # bytes of callback_data

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


def button(label: str, action: str, *fields: object) -> InlineKeyboardButton:
    return InlineKeyboardButton(label, callback_data=callback(action, *fields))


def keyboard(rows: list[list[InlineKeyboardButton]]) -> InlineKeyboardMarkup | None:
    rows = [row for row in rows if row]
    return InlineKeyboardMarkup(rows) if rows else None
