"""Hostile catalog entries get a clear answer: bounded intervals, parsed URLs, ignore patterns on a clock."""

from pathlib import Path

import pytest

from scraping.catalog import CatalogError, parse_catalog
from storage.models import CheckOutcome
from tests.pages import SEED_OLD, policy_page, seed_text
from tests.scraping.test_check_faults import tracker  # noqa: F401 - the fixture, checks with real HTTP
from tests.servers import Page

PLATFORM = """
platforms:
  - slug: zeekr
    name: {zh: 极氪, en: ZEEKR}
    documents:
      - kind: privacy_policy
        url: https://www.zeekrlife.com/privacy
"""


def _document(**fields: str):
    extra = "".join(f"\n        {name}: {value}" for name, value in fields.items())
    return parse_catalog(PLATFORM + extra.lstrip("\n") + "\n", Path("c.yaml")).platforms[0].documents[0]


def _refused(field: str, value: str) -> str:
    source = PLATFORM.replace("url: https://www.zeekrlife.com/privacy", f"{field}: {value}")
    if field != "url":
        source += "        url: https://www.zeekrlife.com/privacy\n"
    with pytest.raises(CatalogError) as error:
        parse_catalog(source, Path("c.yaml"))
    return str(error.value)


@pytest.mark.parametrize("interval", ["0s", "0", "-5", "999999999d", "31d", "2592001s", "9999999999999999d"])
def test_intervals_must_be_positive_and_at_most_30_days(interval):
    message = _refused("interval", interval)
    assert "c.yaml: platforms[0] (zeekr).documents[0].interval" in message
    assert "between 1s and 30d" in message or "too long a duration" in message


@pytest.mark.parametrize(
    ("interval", "seconds"), [("1s", 1), ("90s", 90), ("6h", 21_600), ("30d", 2_592_000)]
)
def test_intervals_from_a_second_to_30_days_are_kept(interval, seconds):
    assert _document(interval=interval).interval.total_seconds() == seconds


@pytest.mark.parametrize(
    "url",
    [
        '"https://exa mple.com/privacy"',  # a prefix match took "https://exa" as the host
        '"https://example.com/privacy\\nHost: evil"',
        '"https://example.com/\\u202eycavirp"',
        '"https://example.com/\\u0000"',
        "https:///privacy",
        '"https://"',
        "https:/example.com/privacy",
        "http://[::1/privacy",
        "https://example.com:99999/privacy",
        "https://example.com:0/privacy",
        "https://user:secret@example.com/privacy",
        "https://example.com@evil.example/privacy",
        "file:///etc/passwd",
        "javascript:alert(1)",
    ],
)
def test_urls_are_parsed_http_or_https_with_a_host_and_nothing_hidden(url):
    assert "documents[0].url" in _refused("url", url)


@pytest.mark.parametrize(
    "url",
    ["https://www.zeekrlife.com/privacy?lang=zh#top", "http://127.0.0.1:8080/p", "https://例子.中国/隐私"],
)
def test_ordinary_urls_are_kept_as_written(url):
    source = PLATFORM.replace("https://www.zeekrlife.com/privacy", url)
    assert parse_catalog(source, Path("c.yaml")).platforms[0].documents[0].url == url


def test_a_catalog_nested_ten_thousand_deep_is_a_catalog_error():
    for nested in ("[" * 10_000 + "]" * 10_000, "{a: " * 10_000 + "1" + "}" * 10_000):
        with pytest.raises(CatalogError, match=r"c\.yaml: nested too deeply"):
            parse_catalog(f"platforms: {nested}\n", Path("c.yaml"))


BACKTRACKING = "a" * 40 + "!"  # (a+)+$ and (a|aa)+$ try about 2^40 ways to match it


async def test_the_classic_catastrophic_pattern_does_not_hang_a_check(tracker):  # noqa: F811
    tracker.track(
        "/p", Page(policy_page(seed_text(SEED_OLD) + "\n" + BACKTRACKING).encode()), ignore=["(a+)+$"]
    )
    result = await tracker.check()
    assert result.outcome is CheckOutcome.NEW_VERSION
    assert tracker.versions()[0].text.endswith(BACKTRACKING)


async def test_an_ignore_pattern_that_backtracks_past_the_time_limit_is_a_failed_check(tracker):  # noqa: F811
    tracker.track(
        "/p", Page(policy_page(seed_text(SEED_OLD) + "\n" + BACKTRACKING).encode()), ignore=["(a|aa)+$"]
    )
    result = await tracker.check()
    assert result.outcome is CheckOutcome.FAILED
    assert "ignore patterns took over 1 s on this page" in result.reason and "(a|aa)+$" in result.reason
    assert tracker.versions() == []
