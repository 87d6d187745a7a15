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


@pytest.mark.parametrize(
    ("variants", "canonical"),
    [
        (["https://example.com/%70rivacy", "https://example.com/privac%79", "https://example.com/%7e/../privacy"],
         "https://example.com/privacy"),
        (["https://example.com/%e4%b8%ad?q=%e4%b8%ad", "https://example.com/中?q=中"],
         "https://example.com/%E4%B8%AD?q=%E4%B8%AD"),
        (["https://example.com/a/./b/../c", "https://example.com/a/b/%2E%2E/c", "https://example.com/./a/c"],
         "https://example.com/a/c"),
        (["https://example.com", "https://example.com?", "https://example.com/."], "https://example.com/"),
        (["https://例子.中国/p", "https://xn--fsqu00a.xn--fiqs8s/p", "https://例子.中国./p", "https://XN--FSQU00A.xn--fiqs8s/p"],
         "https://xn--fsqu00a.xn--fiqs8s/p"),
        (["https://ＥＸＡＭＰＬＥ.com/p", "https://example.com./p", "https://EXAMPLE.COM.:443/p"], "https://example.com/p"),
    ],
)  # fmt: skip
def test_equivalent_spellings_of_a_url_are_one_url(variants, canonical):
    assert {normalise_url(variant) for variant in variants} == {canonical}


def test_escapes_that_mean_something_stay_escaped():
    assert (
        normalise_url("https://example.com/a%2fb?x=%26%3d%2b%23")
        == "https://example.com/a%2Fb?x=%26%3D%2B%23"
    )


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
        "https://[v1.example]/",  # an IPvFuture literal, not the host v1.example
        "https://example.com%40evil.example/",  # escapes in a host: no two spellings of one site
        "http://%65xample.com/",
        "https://privacy..example.com/",
        "https://.example.com/",
        "https://example.com/privacy/x\ud800y",  # a lone surrogate was dropped: /privacy/xy, another page
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
