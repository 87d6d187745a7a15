"""The sender's transport takes the Bot API's proxy from the environment, as PTB's own transport does."""

import pytest

from alerts.bot_http import environment_proxy


@pytest.fixture(autouse=True)
def fresh_lookup(monkeypatch):
    for name in ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "NO_PROXY", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
    environment_proxy.cache_clear()
    yield
    environment_proxy.cache_clear()


def test_https_proxy_is_used_for_the_bot_api_unless_no_proxy_names_the_host(monkeypatch):
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.internal:3128")
    monkeypatch.setenv("NO_PROXY", "botapi.internal")
    assert environment_proxy("https", "api.telegram.org") == "http://proxy.internal:3128"
    assert environment_proxy("https", "botapi.internal") is None
    assert environment_proxy("http", "api.telegram.org") is None  # HTTPS_PROXY is for https only


def test_without_a_proxy_in_the_environment_the_sender_connects_directly():
    assert environment_proxy("https", "api.telegram.org") is None
