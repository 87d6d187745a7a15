"""Real policy pages read without a selector, as /track and a catalog entry without `select` read them.

The corpus (tests/fixtures/corpus/corpus.toml) holds pages from Open Terms Archive with their menus,
sidebars, footers and cookie banners, and the seed policy in our own page, GBK page, PDF and script-only
page. For each: the policy's key lines are read, its chrome is not, every paragraph of the reference text
is there, and the dates the policy states are found.
"""

import pytest
from rapidfuzz import fuzz

from analysis.dates import stated_dates
from scraping.errors import ExtractError
from scraping.rules import Rules, read_text
from scraping.verdict import judge_text
from tests.corpus import CorpusPage, load_corpus, ota_reference, seed_reference

PAGES = load_corpus()
READ_AS_TEXT = [page for page in PAGES if page.outcome == "text"]


def read(page: CorpusPage) -> str:
    """What a check reads from the page with no catalog rules."""
    return read_text(page.body, page.content_type, Rules())[0]


@pytest.mark.parametrize("page", READ_AS_TEXT, ids=lambda page: page.name)
def test_the_policys_key_lines_are_read_and_its_chrome_is_not(page):
    lines = read(page).split("\n")
    assert [line for line in page.keep if line not in lines] == []
    assert [line for line in page.chrome if line in lines] == []


@pytest.mark.parametrize("page", READ_AS_TEXT, ids=lambda page: page.name)
def test_every_paragraph_of_the_reference_is_read(page):
    text = " ".join(read(page).split("\n"))
    if page.reference == "selector":
        reference = read_text(page.body, page.content_type, Rules(select=page.select, remove=page.remove))[0]
        paragraphs = [line for line in reference.split("\n") if line]
    else:
        paragraphs = ota_reference(page) if page.reference == "ota" else seed_reference()
    # OTA's filters rewrote a few characters (';' as '.'): a paragraph differing by that little is the same
    lost = [line for line in paragraphs if line not in text and fuzz.partial_ratio(line, text) < 90]
    assert lost == []


@pytest.mark.parametrize("page", READ_AS_TEXT, ids=lambda page: page.name)
def test_the_dates_the_policy_states_are_found(page):
    assert stated_dates(read(page)) == (page.update, page.effective)


@pytest.mark.parametrize("page", [p for p in PAGES if p.outcome == "error page"], ids=lambda page: page.name)
def test_an_error_page_in_place_of_the_policy_is_never_a_version(page):
    verdict = judge_text(read(page), previous=read(PAGES[0]))
    assert verdict is not None and verdict.is_error_page


@pytest.mark.parametrize("page", [p for p in PAGES if p.outcome == "fails"], ids=lambda page: page.name)
def test_a_script_only_page_fails_over_plain_http(page):
    with pytest.raises(ExtractError, match="no text"):
        read(page)
