"""`policywatch probe URL`: one fetch, the extraction summary, the verdict and a catalog entry."""

import pytest
import yaml

from app.cli import main
from scraping.catalog import parse_catalog
from tests.pages import OLD_PAGE, SEED_OLD, policy_pdf, seed_text
from tests.servers import Page, PageServer

HOMEPAGE = """<!DOCTYPE html><html><head><title>Example Bank</title></head><body>
<nav><a href="/about">About</a></nav><main><h1>Welcome</h1><p>Banking for everyone.</p></main>
<footer><a href="/legal/privacy?utm_source=home">Privacy Policy</a> <a href="/terms">Terms of Use</a></footer>
</body></html>"""


@pytest.fixture
def probe(monkeypatch, tmp_path, capsys):
    """Run ``policywatch probe ARGS``: no database is touched, local pages are allowed."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("ALLOW_PRIVATE_NETWORKS", "true")
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path}/never.db")

    def run(*args: str) -> tuple[int, str, str]:
        capsys.readouterr()
        code = main(["probe", *args])
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    yield run
    assert not (tmp_path / "never.db").exists()


def _snippet(out: str) -> dict:
    entry = yaml.safe_load(out.split("catalog entry:\n", 1)[1])
    parse_catalog(yaml.safe_dump({"platforms": entry}), path=__import__("pathlib").Path("snippet"))
    return entry[0]


def test_a_policy_page_would_be_checked_and_gets_a_catalog_entry(probe, page_server: PageServer):
    url = page_server.serve("/privacy", Page(OLD_PAGE))
    code, out, _ = probe(url + "#top")
    assert code == 0
    assert "verdict     a check would succeed" in out
    assert "title       极氪APP个人信息保护政策" in out
    assert "language    zh" in out
    assert "headings    极氪APP个人信息保护政策概要" in out
    assert "page chrome (navigation, header, footer, forms, cookie banners): " in out
    assert f"first line  {seed_text(SEED_OLD).splitlines()[0]}" in out
    entry = _snippet(out)
    assert entry["documents"] == [{"kind": "privacy_policy", "url": url}]
    assert entry["slug"] == "127-0-0-1"


def test_selectors_and_the_browser_go_into_the_entry(probe, page_server: PageServer):
    url = page_server.serve("/privacy", Page(OLD_PAGE))
    code, out, _ = probe(url, "--select", ".policy", "--remove", "h2.section")
    assert code == 0
    assert "remove 'h2.section': " in out and "page chrome" not in out
    assert _snippet(out)["documents"][0]["select"] == [".policy"]
    code, out, _ = probe(url, "--select", ".nothing-here")
    assert code == 1
    assert "a check would fail: the selector '.nothing-here' matched nothing on the page" in out


def test_a_homepage_is_not_a_policy_and_names_its_policy_links(probe, page_server: PageServer):
    url = page_server.serve("/", Page(HOMEPAGE.encode()))
    code, out, _ = probe(url)
    assert code == 0  # a check would record it: the warning is for people
    assert "warning     this does not look like a policy" in out
    assert f"links       Privacy Policy → {page_server.url('/legal/privacy')}" in out
    assert f"Terms of Use → {page_server.url('/terms')}" in out


@pytest.mark.parametrize(
    ("page", "reason"),
    [
        (Page(b"<html><body><h1>\xe8\xaf\xb7\xe7\x99\xbb\xe5\xbd\x95</h1></body></html>"), "login page"),
        (Page(b"<html><body><p>Please verify you are human (captcha)</p></body></html>"), "captcha"),
        (Page(b"<html><body><script>x()</script></body></html>"), "the page holds no text"),
    ],
)
def test_pages_a_check_would_refuse_exit_1_with_the_reason(probe, page_server: PageServer, page, reason):
    code, out, _ = probe(page_server.serve("/p", page))
    assert code == 1
    assert "a check would fail: " in out and reason in out


def test_what_cannot_be_fetched_exits_1_and_bad_input_exits_2(probe, page_server: PageServer):
    code, out, _ = probe(page_server.url("/missing"))
    assert code == 1 and "a check would fail: " in out and "404" in out
    code, out, _ = probe(page_server.serve("/logo.png", Page(b"\x89PNG\r\n", content_type="image/png")))
    assert code == 1 and "neither HTML nor PDF" in out
    code, _, err = probe("ftp://example.com/privacy")
    assert code == 2 and "not an http(s) URL" in err
    code, _, err = probe("https://example.com/", "--select", "p[")
    assert code == 2 and "not a valid CSS selector" in err


def test_a_pdf_policy_is_read(probe, page_server: PageServer):
    url = page_server.serve(
        "/policy.pdf", Page(policy_pdf(seed_text(SEED_OLD)[:3000]), content_type="application/pdf")
    )
    code, out, _ = probe(url)
    assert code == 0, out
    assert "type        application/pdf" in out
