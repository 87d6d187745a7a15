"""One address per page: the variants people paste normalise to one URL."""

import pytest

from scraping.urls import MAX_URL_LENGTH, BadUrl, normalise_url, registrable_domain

CANONICAL = "https://example.com/privacy?lang=zh"


@pytest.mark.parametrize(
    "variant",
    [
        "https://example.com/privacy?lang=zh",
        "HTTPS://Example.COM/privacy?lang=zh",
        "https://example.com:443/privacy?lang=zh",
        "https://example.com/privacy?lang=zh#section-3",
        "https://example.com/privacy?utm_source=wechat&lang=zh&utm_medium=share",
        "https://example.com/privacy?spm=a2c4g.11186623&lang=zh&from=timeline",
        "https://example.com/privacy?share_token=abc123&lang=zh&shareId=9",
        "  https://example.com./privacy?lang=zh  ",
    ],
)
def test_variants_of_one_page_normalise_to_one_url(variant):
    assert normalise_url(variant) == CANONICAL


def test_what_names_another_page_is_kept_as_written():
    assert normalise_url("http://example.com:8080") == "http://example.com:8080/"
    assert normalise_url("http://example.com:443/a") == "http://example.com:443/a"
    assert (
        normalise_url("https://example.com/Privacy?b=2&a=%E4%B8%AD")
        == "https://example.com/Privacy?b=2&a=%E4%B8%AD"
    )
    assert normalise_url("https://[2001:DB8::1]/p") == "https://[2001:db8::1]/p"


@pytest.mark.parametrize(
    "bad",
    [
        "example.com/privacy",
        "ftp://example.com/privacy",
        "javascript:alert(1)",
        "https://user:secret@example.com/",
        "https://exa mple.com/",
        "https://example.com/\u202eyciv",
        "https://example.com:99999/",
        "https://example.com/" + "a" * 5000,
        "not a url at all",
    ],
)
def test_what_is_not_an_http_url_is_refused(bad):
    with pytest.raises(BadUrl):
        normalise_url(bad)


def test_a_url_just_under_the_limit_is_accepted():
    url = "https://example.com/" + "a" * (MAX_URL_LENGTH - len("https://example.com/"))
    assert normalise_url(url) == url


@pytest.mark.parametrize(
    ("host", "domain"),
    [
        ("privacy.qq.com", "qq.com"),
        ("www.example.com.cn", "example.com.cn"),
        ("a.b.example.co.uk", "example.co.uk"),
        ("example.com", "example.com"),
        ("127.0.0.1", "127.0.0.1"),
        ("localhost", "localhost"),
    ],
)
def test_registrable_domains(host, domain):
    assert registrable_domain(host) == domain
