"""Logging: one line per event, readable text by default, JSON objects when LOG_FORMAT=json; no secrets."""

import logging
import re
import sys
import threading
from collections.abc import Iterable
from types import TracebackType

from pythonjsonlogger.json import JsonFormatter

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
REDACTED = "<redacted>"
# A Telegram bot token (``123456789:AA…``, 35 characters after the colon), ours or not, alone or in /bot…/.
TOKEN_SHAPE = re.compile(r"(?<![0-9])[0-9]{3,}:[A-Za-z0-9_-]{30,}")
SHORTEST_SECRET = 8  # shorter values would blank out ordinary words


_installed: list[logging.Handler] = []  # ours, replaced when configured again (other handlers stay)


class RedactSecrets(logging.Filter):
    """Replace secrets and anything shaped like a bot token in a record: message, traceback and extras."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        self.secrets = sorted({s for s in secrets if len(s) >= SHORTEST_SECRET}, key=len, reverse=True)
        self._traceback = logging.Formatter()

    def redact(self, text: str) -> str:
        """``text`` with every secret and token-shaped string replaced by <redacted>."""
        for secret in self.secrets:
            text = text.replace(secret, REDACTED)
        return TOKEN_SHAPE.sub(REDACTED, text)

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg, record.args = _message(record), None
        if record.exc_info:  # formatted here, once, so both formatters print the redacted text
            record.exc_text = self._traceback.formatException(record.exc_info)
            record.exc_info = None
        for key, value in list(vars(record).items()):  # the message, traceback, stack and extras
            if isinstance(value, str):
                setattr(record, key, self.redact(value))
        return True


def _message(record: logging.LogRecord) -> str:
    """The record's message with its arguments, or both side by side when they do not fit."""
    try:
        return record.getMessage()
    except Exception:  # a wrong format string must still be logged, and redacted
        return f"{record.msg} {record.args!r}"


def _formatter(log_format: str) -> logging.Formatter:
    if log_format == "json":
        return JsonFormatter(
            "%(asctime)s %(levelname)s %(name)s %(message)s",
            rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
            json_ensure_ascii=False,
        )
    return logging.Formatter(TEXT_FORMAT)


def _log_uncaught(kind: type[BaseException], error: BaseException, traceback: TracebackType | None) -> None:
    """An exception nobody caught goes through the logs too: redacted, and JSON when the logs are."""
    if issubclass(kind, KeyboardInterrupt):
        sys.__excepthook__(kind, error, traceback)
        return
    logging.getLogger("policywatch").critical("uncaught exception", exc_info=(kind, error, traceback))


def _log_uncaught_in_thread(args: threading.ExceptHookArgs) -> None:
    """The same for a thread's exception (``threading.excepthook``)."""
    if args.exc_value is not None:
        _log_uncaught(args.exc_type, args.exc_value, args.exc_traceback)


def configure_logging(log_format: str = "text", level: str = "INFO", secrets: Iterable[str] = ()) -> None:
    """Send every log record to stderr as one line (tracebacks inside the JSON object when json).

    ``secrets`` (the bot token, API keys) and any bot-token-shaped text never reach the output.
    """
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_formatter(log_format))
    handler.addFilter(RedactSecrets(secrets))
    root = logging.getLogger()
    for previous in _installed:
        root.removeHandler(previous)
    _installed[:] = [handler]
    root.addHandler(handler)
    root.setLevel(level)
    sys.excepthook = _log_uncaught  # what Python would print itself goes through the handler too
    threading.excepthook = _log_uncaught_in_thread
    logging.captureWarnings(True)
    for noisy in ("httpx", "alembic", "apscheduler.executors.default", "apscheduler.scheduler"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
