"""The logs never show a secret or a bot token, in text or JSON, tracebacks included; JSON stays JSON."""

import json
import logging
import subprocess
import sys

import pytest

from app.logs import configure_logging

SECRET = "sk-our-openai-key-0123456789"
STRANGER = "7012345678:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"  # a bot token we were not told about


def _log_everything() -> None:
    logging.getLogger("httpx").warning(
        'HTTP Request: POST https://api.telegram.org/bot%s/getMe "401"', STRANGER
    )
    logging.getLogger("openai").warning("key %s refused", SECRET, extra={"detail": f"Bearer {SECRET}"})
    try:
        raise RuntimeError(f"The token `{STRANGER}` was rejected by the server.")
    except RuntimeError:
        logging.getLogger("telegram.ext.Application").exception("start failed")


@pytest.mark.parametrize("log_format", ["text", "json"])
def test_secrets_and_token_shapes_are_redacted_everywhere(log_format, capsys, monkeypatch):
    monkeypatch.setattr(sys, "excepthook", sys.excepthook)
    configure_logging(log_format, "DEBUG", [SECRET])
    _log_everything()
    err = capsys.readouterr().err
    assert SECRET not in err and STRANGER.split(":")[1] not in err
    assert "bot<redacted>/getMe" in err and "Traceback" in err and "RuntimeError" in err
    if log_format == "json":
        records = [json.loads(line) for line in err.splitlines()]
        assert [r["level"] for r in records] == ["WARNING", "WARNING", "ERROR"]
        assert "<redacted>" in records[1]["detail"] and "Traceback" in records[2]["exc_info"]


def test_what_python_prints_itself_becomes_redacted_json_lines_too():
    program = (
        "import logging, threading, warnings\n"
        "from app.logs import configure_logging\n"
        "configure_logging('json', 'INFO')\n"
        f"logging.getLogger('policywatch').info('two placeholders %s %s, one argument', '{STRANGER}')\n"
        f"warnings.warn('deprecated: /bot{STRANGER}/getMe')\n"
        f"def fail(): raise ValueError('in a thread: {STRANGER}')\n"
        "thread = threading.Thread(target=fail)\n"
        "thread.start(); thread.join()\n"
        f"raise RuntimeError('token {STRANGER} refused')\n"
    )
    done = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, timeout=60)
    assert done.returncode == 1
    assert STRANGER.split(":")[1] not in done.stderr
    malformed, warning, in_thread, uncaught = (json.loads(line) for line in done.stderr.splitlines())
    assert malformed["message"] == "two placeholders %s %s, one argument ('<redacted>',)"
    assert warning["level"] == "WARNING" and "/bot<redacted>/getMe" in warning["message"]
    assert "ValueError: in a thread: <redacted>" in in_thread["exc_info"]
    assert uncaught["level"] == "CRITICAL" and "token <redacted> refused" in uncaught["exc_info"]
