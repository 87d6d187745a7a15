"""A bad setting stops the program at start with one line naming the variable: no traceback, no password."""

import os
import subprocess

import pytest

from app.settings import SettingsError, load_settings
from tests.service_process import CONSOLE_SCRIPT, free_port


def assert_one_line_about(code: int, stderr: str, variable: str) -> str:
    assert code == 2, stderr
    assert "Traceback" not in stderr and "secret" not in stderr
    [line] = stderr.splitlines()
    assert line.startswith("policywatch: ") and variable in line
    return line


def test_the_console_script_says_one_line_without_the_password(tmp_path):
    """The real command, as a person runs it: exit status 2 and one line on stderr."""
    url = f"postgresql://u:secret@127.0.0.1:{free_port()}/db"  # nothing listens there
    done = subprocess.run(
        [str(CONSOLE_SCRIPT), "platforms"],
        cwd=tmp_path,
        env={**os.environ, "DATABASE_URL": url},
        capture_output=True,
        text=True,
        timeout=120,
    )
    line = assert_one_line_about(done.returncode, done.stderr, "DATABASE_URL")
    assert "cannot open postgresql://u:***@127.0.0.1:" in line


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
def test_a_bad_database_url_is_one_line_naming_it(cli, monkeypatch, tmp_path, url, said):
    (tmp_path / "a-file").write_text("not a folder, not a database, and no secret " * 100)
    port = str(free_port())  # nothing listens there
    url, said = (text.format(port=port, tmp=tmp_path) for text in (url, said))
    monkeypatch.setenv("DATABASE_URL", url)
    done = cli("platforms")
    assert said in assert_one_line_about(done.code, done.err, "DATABASE_URL")


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
        ("WEB_REQUEST_TIMEOUT", "0s"),
        ("WEB_REQUEST_TIMEOUT", "1h"),
    ],
)
def test_an_absurd_duration_is_one_line_naming_it(cli, monkeypatch, variable, value):
    monkeypatch.setenv(variable, value)
    done = cli("platforms")
    assert_one_line_about(done.code, done.err, variable)


def test_durations_in_seconds_and_up_to_a_month_are_fine(cli, monkeypatch):
    settings = {
        "CHECK_INTERVAL": "30d",
        "CONFIRM_DELAY": "0s",
        "FETCH_TIMEOUT": "1s",
        "LLM_TIMEOUT": "90s",
        "WEB_REQUEST_TIMEOUT": "5m",
    }
    for variable, value in settings.items():
        monkeypatch.setenv(variable, value)
    done = cli("platforms")
    assert done.code == 0, done.err


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


SECRET = "s3cret-Token_0123456789"


@pytest.mark.parametrize(
    "url",
    [
        "https://policywatch.example.org/telegram/webhook",
        "https://policywatch.example.org:8443/telegram/webhook",
        "https://8.8.8.8/telegram/webhook",
    ],
)
def test_a_public_https_webhook_url_with_a_secret_turns_webhooks_on(tmp_path, monkeypatch, url):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("WEBHOOK_URL", url)
    monkeypatch.setenv("WEBHOOK_SECRET", SECRET)
    settings = load_settings()
    assert str(settings.WEBHOOK_URL) == url
    assert SECRET in settings.secrets()  # so the logs never show it


@pytest.mark.parametrize(
    ("url", "said"),
    [
        ("http://policywatch.example.org/hook", "must be a public https URL"),
        ("https://localhost/hook", "must be a public https URL"),
        ("https://127.0.0.1/hook", "must be a public https URL"),
        ("https://192.168.1.10/hook", "must be a public https URL"),
        ("https://[::1]/hook", "must be a public https URL"),
        ("https://intranet/hook", "must be a public https URL"),
        ("https://policywatch.example.org:8080/hook", "443, 80, 88 or 8443"),
        ("policywatch.example.org/hook", "WEBHOOK_URL"),
        ("https://policywatch.example.org/{update}", "its path"),
        ("https://policywatch.example.org/钩子", "its path"),
    ],
)
def test_a_webhook_url_telegram_cannot_post_to_is_refused_naming_it(tmp_path, monkeypatch, url, said):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("WEBHOOK_URL", url)
    monkeypatch.setenv("WEBHOOK_SECRET", SECRET)
    with pytest.raises(SettingsError, match="WEBHOOK_URL") as refused:
        load_settings()
    assert said in str(refused.value)


def test_a_loopback_http_webhook_url_needs_allow_private_networks(tmp_path, monkeypatch):
    """For a self-hosted Bot API server (or a test's) on this machine; never by default."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("WEBHOOK_URL", "http://127.0.0.1:8080/telegram/webhook")
    monkeypatch.setenv("WEBHOOK_SECRET", SECRET)
    with pytest.raises(SettingsError, match="WEBHOOK_URL"):
        load_settings()
    monkeypatch.setenv("ALLOW_PRIVATE_NETWORKS", "true")
    assert str(load_settings().WEBHOOK_URL) == "http://127.0.0.1:8080/telegram/webhook"


@pytest.mark.parametrize("secret", ["", "short", "with space 0123456789", "ünïcode0123456789", "x" * 257])
def test_the_webhook_secret_is_required_and_shaped_as_telegram_takes_it(tmp_path, monkeypatch, secret):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("WEBHOOK_URL", "https://policywatch.example.org/telegram/webhook")
    monkeypatch.setenv("WEBHOOK_SECRET", secret)
    with pytest.raises(SettingsError, match="WEBHOOK_SECRET") as refused:
        load_settings()
    assert secret not in str(refused.value) or not secret


def test_a_bad_webhook_setting_stops_the_program_with_one_line(cli, monkeypatch):
    monkeypatch.setenv("WEBHOOK_URL", "https://policywatch.example.org/telegram/webhook")
    done = cli("platforms")
    assert "required with WEBHOOK_URL" in assert_one_line_about(done.code, done.err, "WEBHOOK_SECRET")
