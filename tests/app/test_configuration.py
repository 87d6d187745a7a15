"""A bad setting stops the program at start with one line naming the variable: no traceback, no password."""

import os
import subprocess
from pathlib import Path

import pytest

from app.settings import SettingsError, load_settings
from tests.service_process import CONSOLE_SCRIPT, free_port


def policywatch(tmp_path: Path, *args: str, **settings: str) -> subprocess.CompletedProcess:
    """Run the real command in ``tmp_path`` with these settings."""
    env = {**os.environ, **settings}
    return subprocess.run(
        [str(CONSOLE_SCRIPT), *args], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120
    )


def assert_one_line_about(done: subprocess.CompletedProcess, variable: str) -> str:
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr and "secret" not in done.stderr
    [line] = done.stderr.splitlines()
    assert line.startswith("policywatch: ") and variable in line
    return line


@pytest.mark.parametrize(
    ("url", "said"),
    [
        ("postgresql://u:secret@127.0.0.1:{port}/db", "cannot open postgresql://u:***@127.0.0.1:{port}/db"),
        ("nonsense://u:secret@x/db", "'nonsense' databases are not supported"),
        ("postgresql://u:secret@x:port/db", "not a database URL"),
        ("postgresql+nodriver://u:secret@x/db", "cannot open"),
        ("sqlite:///{tmp}/a-file/sub/policywatch.db", "cannot open sqlite:///"),
        ("sqlite:///{tmp}/a-file", "file is not a database"),
    ],
)
def test_a_bad_database_url_is_one_line_naming_it(tmp_path, url, said):
    (tmp_path / "a-file").write_text("not a folder, not a database, and no secret " * 100)
    port = str(free_port())  # nothing listens there
    url, said = (text.format(port=port, tmp=tmp_path) for text in (url, said))
    done = policywatch(tmp_path, "platforms", DATABASE_URL=url)
    assert said in assert_one_line_about(done, "DATABASE_URL")


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("CHECK_INTERVAL", "0s"),
        ("CHECK_INTERVAL", "31d"),
        ("CHECK_INTERVAL", "999999999d"),
        ("CHECK_INTERVAL", "9" * 30 + "d"),
        ("CONFIRM_DELAY", "999999999d"),
        ("FETCH_TIMEOUT", "0s"),
        ("FETCH_TIMEOUT", "99999d"),
        ("LLM_TIMEOUT", "0s"),
        ("LLM_TIMEOUT", "99999d"),
    ],
)
def test_an_absurd_duration_is_one_line_naming_it(tmp_path, variable, value):
    done = policywatch(
        tmp_path, "platforms", DATABASE_URL=f"sqlite:///{tmp_path}/policywatch.db", **{variable: value}
    )
    assert_one_line_about(done, variable)


def test_durations_in_seconds_and_up_to_a_month_are_fine(tmp_path):
    settings = {"CHECK_INTERVAL": "30d", "CONFIRM_DELAY": "0s", "FETCH_TIMEOUT": "1s", "LLM_TIMEOUT": "90s"}
    done = policywatch(tmp_path, "platforms", DATABASE_URL=f"sqlite:///{tmp_path}/policywatch.db", **settings)
    assert done.returncode == 0, done.stderr


@pytest.mark.parametrize(("value", "kept"), [("all", "all"), ("Versions", "versions"), ("30", 30)])
def test_snapshot_retention_is_all_versions_or_a_number_of_days(tmp_path, monkeypatch, value, kept):
    monkeypatch.chdir(tmp_path)  # no stray .env
    monkeypatch.setenv("SNAPSHOT_RETENTION", value)
    retention = load_settings().SNAPSHOT_RETENTION
    assert retention == kept


@pytest.mark.parametrize("value", ["0", "-3", "forever"])
def test_another_snapshot_retention_is_refused_naming_it(tmp_path, monkeypatch, value):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SNAPSHOT_RETENTION", value)
    with pytest.raises(SettingsError, match="SNAPSHOT_RETENTION"):
        load_settings()


@pytest.mark.parametrize("value", ["@policywatch_cn", "-1001234567890", ""])
def test_channel_id_is_a_username_or_a_channel_id(tmp_path, monkeypatch, value):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("CHANNEL_ID", value)
    settings, expected = load_settings(), value or None
    assert expected == settings.CHANNEL_ID
    assert settings.CHANNEL_LANGUAGE == "zh"


@pytest.mark.parametrize("value", ["policywatch_cn", "@a", "12345", "-100abc", "https://t.me/x"])
def test_another_channel_id_is_refused_naming_it(tmp_path, monkeypatch, value):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("CHANNEL_ID", value)
    with pytest.raises(SettingsError, match="CHANNEL_ID"):
        load_settings()


@pytest.mark.parametrize(
    ("rate", "paid", "accepted"),
    [
        ("30", "", True),
        ("31", "", False),
        ("31", "true", True),
        ("1000", "true", True),
        ("1001", "true", False),
    ],
)
def test_telegram_rate_goes_past_30_a_second_only_with_paid_broadcasts(
    tmp_path, monkeypatch, rate, paid, accepted
):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("TELEGRAM_RATE", rate)
    monkeypatch.setenv("TELEGRAM_PAID_BROADCAST", paid or "false")
    if accepted:
        assert float(rate) == load_settings().TELEGRAM_RATE
        return
    with pytest.raises(SettingsError, match="TELEGRAM_RATE") as refused:
        load_settings()
    assert ("TELEGRAM_PAID_BROADCAST=true" in str(refused.value)) is not paid
