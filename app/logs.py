"""Logging: one line per event, readable text by default, JSON objects when LOG_FORMAT=json."""

import logging
import sys

from pythonjsonlogger.json import JsonFormatter

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


_installed: list[logging.Handler] = []  # ours, replaced when configured again (other handlers stay)


def configure_logging(log_format: str = "text", level: str = "INFO") -> None:
    """Send every log record to stderr as one line (tracebacks inside the JSON object when json)."""
    handler = logging.StreamHandler(sys.stderr)
    if log_format == "json":
        handler.setFormatter(
            JsonFormatter(
                "%(asctime)s %(levelname)s %(name)s %(message)s",
                rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
                json_ensure_ascii=False,
            )
        )
    else:
        handler.setFormatter(logging.Formatter(TEXT_FORMAT))
    root = logging.getLogger()
    for previous in _installed:
        root.removeHandler(previous)
    _installed[:] = [handler]
    root.addHandler(handler)
    root.setLevel(level)
    for noisy in ("httpx", "alembic", "apscheduler.executors.default", "apscheduler.scheduler"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
