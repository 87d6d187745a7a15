"""The pages as a reader wants them, through a real server: the latest changes first with their headline
and severity, timelines, the weekly page, link previews and the basics every page carries."""

import xml.etree.ElementTree as ET
from datetime import UTC, datetime

import httpx
import pytest
from lxml import html as lxml_html

from storage.db import session_scope
from storage.versions import FetchFacts, record_technical, record_text
from tests.seed import NEW_AT, OLD_AT, add_document, document_of_slug
from tests.web.conftest import READING_PUBLIC_URL as PUBLIC
from tests.web.conftest import running
from tests.web.reading import NEWEST, W48, ZEEKR
from web.app import WebConfig, create_app
from web.weeks import Week, WeekError

ZH = {"Accept-Language": "zh-CN,zh;q=0.9"}
EN = {"Accept-Language": "en-US,en;q=0.9"}
DIFF = "/p/zeekr/privacy_policy/diff/1..2"
ATOM = "{http://www.w3.org/2005/Atom}"


def page(site: str, path: str, headers: dict[str, str] = ZH) -> lxml_html.HtmlElement:
    response = httpx.get(site + path, headers=headers, timeout=30)
    assert response.status_code == 200, (path, response.status_code)
    return lxml_html.fromstring(response.text)


def cards(tree: lxml_html.HtmlElement) -> list[tuple[str, str, str]]:
    """Each change listed (not baselines, which link to no diff): (severity shown, headline, link)."""
    found = []
    for card in tree.xpath("//li[contains(@class, 'change')][.//p[@class='headline']/a]"):
        badge = card.xpath(".//p[@class='headline']/span[contains(@class, 'severity-')]")
        (link,) = card.xpath(".//p[@class='headline']/a")
        found.append((badge[0].text_content() if badge else "", link.text_content(), link.get("href")))
    return found


def meta(tree: lxml_html.HtmlElement, name: str) -> str:
    (value,) = tree.xpath(f"//meta[@property='{name}' or @name='{name}']/@content")
    return value


def test_home_lists_the_latest_changes_first_with_headline_severity_dates_and_age(reading):
    tree = page(reading, "/")
    listed = cards(tree)
    assert listed[0] == ("重大", NEWEST["zh"], "/p/xhs/privacy_policy/diff/6..7")
    assert ("轻微", ZEEKR["zh"], DIFF) in listed
    assert ("中等", W48["zh"], "/p/xhs/privacy_policy/diff/5..6") == listed[-1]
    assert ("轻微", "3 处变化", "/p/evil/privacy_policy/diff/3..4") in listed  # no report: the automatic one
    assert len(listed) == 5  # baselines are no change
    first = tree.xpath("//li[contains(@class, 'change')]")[0].text_content()
    assert "小红书" in first and "隐私政策" in first and "个月前" in first
    assert "政策更新日期 2026-01-01" in first and "生效日期 2026-01-08" in first
    english = cards(page(reading, "/", EN))
    assert english[0] == ("major", NEWEST["en"], "/p/xhs/privacy_policy/diff/6..7")
    assert ("minor", "3 changes", "/p/evil/privacy_policy/diff/3..4") in english
    assert "months ago" in page(reading, "/", EN).xpath("//li[contains(@class, 'change')]")[0].text_content()


def test_home_filters_by_severity_and_kind_of_document(reading):
    assert [headline for _, headline, _ in cards(page(reading, "/?severity=major"))] == [NEWEST["zh"]]
    minor = cards(page(reading, "/?severity=minor"))
    assert {severity for severity, _, _ in minor} == {"轻微"} and len(minor) == 3
    assert [link for _, _, link in cards(page(reading, "/?kind=terms"))] == ["/p/xhs/terms/diff/8..9"]
    assert cards(page(reading, "/?kind=terms&severity=major")) == []
    assert "没有符合条件的变化" in page(reading, "/?kind=terms&severity=major").text_content()
    assert len(cards(page(reading, "/?severity=bogus&kind=<b>"))) == 5  # unknown filters filter nothing
    selected = page(reading, "/?severity=moderate").xpath(
        "//select[@name='severity']/option[@selected]/@value"
    )
    assert selected == ["moderate"]


def test_the_platform_list_follows_and_searches_alone(reading):
    tree = page(reading, "/?q=jike")
    platforms = tree.xpath("//section[@aria-labelledby='all-platforms']//tbody//td[1]//a/text()")
    assert platforms == ["极氪"]
    assert len(cards(tree)) == 5  # the changes are everyone's
    order = [element.get("id") for element in tree.xpath("//h2[@id]")]
    assert order == ["latest", "all-platforms"]


def test_the_timeline_shows_headline_and_severity_with_line_counts_secondary(reading):
    tree = page(reading, "/p/zeekr")
    assert cards(tree) == [("轻微", ZEEKR["zh"], DIFF)]
    (change,) = tree.xpath(
        "//li[contains(@class, 'change')][.//a[@href='/p/zeekr/privacy_policy/diff/1..2']]"
    )
    facts = change.xpath(".//p[@class='facts']")[0].text_content()
    assert "+0 −0 ~1" in facts and "+0 −0 ~1" not in change.xpath(".//p[@class='headline']")[0].text_content()
    xhs = cards(page(reading, "/p/xhs", EN))
    assert [(severity, headline) for severity, headline, _ in xhs] == [
        ("major", NEWEST["en"]),
        ("moderate", W48["en"]),
        ("minor", "1 change"),
    ]


def test_the_weekly_page_lists_the_weeks_changes_by_severity(reading):
    tree = page(reading, "/weekly/2026-W01")
    assert tree.xpath("//h1")[0].text_content() == "2026 年第 1 周的政策变化"
    groups = [section.get("aria-labelledby") for section in tree.xpath("//main/section")]
    assert groups == ["severity-major", "severity-minor"]
    assert [headline for _, headline, _ in cards(tree)] == [NEWEST["zh"], "3 处变化", ZEEKR["zh"], "1 处变化"]
    assert "2025-12-29 至 2026-01-04" in tree.text_content() and "共 4 处变化" in tree.text_content()
    assert tree.xpath("//a[@rel='prev']/@href") == ["/weekly/2025-W52"]
    assert tree.xpath("//a[@rel='next']/@href") == ["/weekly/2026-W02"]
    w48 = page(reading, "/weekly/2025-W48", EN)
    assert cards(w48) == [("moderate", W48["en"], "/p/xhs/privacy_policy/diff/5..6")]
    assert "Policy changes in week 48 of 2025" in w48.text_content()
    assert "No change was recorded" in page(reading, "/weekly/2025-W50", EN).text_content()


def test_the_current_week_has_no_next_week_and_names_its_permalink(reading):
    tree = page(reading, "/weekly")
    current = Week.of(datetime.now(UTC))
    assert tree.xpath("//link[@rel='canonical']/@href") == [f"{PUBLIC}/weekly/{current}"]
    assert tree.xpath("//a[@rel='next']") == [] and tree.xpath("//a[@rel='prev']/@href")


@pytest.mark.parametrize(
    ("path", "status", "message"),
    [
        ("/weekly/2025-48", 400, "write it like 2025-W48"),
        ("/weekly/yesterday", 400, "write it like 2025-W48"),
        ("/weekly/٢٠٢٥-W48", 400, "write it like 2025-W48"),
        ("/weekly/2025-W53", 404, "2025 has weeks 1 to 52: there is no week 53"),
        ("/weekly/2025-W00", 404, "there is no week 0"),
        ("/weekly/1999-W10", 404, "before PolicyWatch recorded anything"),
        ("/weekly/2999-W01", 404, "2999-W01 has not started yet"),
    ],
)
def test_a_bad_week_is_a_clear_400_or_404(reading, path, status, message):
    response = httpx.get(reading + path, headers=EN, timeout=30)
    assert response.status_code == status
    assert message in lxml_html.fromstring(response.text).xpath("//h1")[0].text_content()


def test_a_week_written_loosely_redirects_to_its_permalink(reading):
    response = httpx.get(reading + "/weekly/2025-w8", timeout=30, follow_redirects=False)
    assert response.status_code == 308 and response.headers["location"] == f"{PUBLIC}/weekly/2025-W08"


def test_weeks_are_iso_weeks_in_utc():
    assert (Week.parse("2026-W01").monday.isoformat(), Week.parse("2026-W01").sunday.isoformat()) == (
        "2025-12-29",
        "2026-01-04",
    )
    assert Week.of(datetime(2025, 11, 30, 23, 59, tzinfo=UTC)).canonical == "2025-W48"
    assert Week.of(datetime(2025, 12, 1, tzinfo=UTC)).canonical == "2025-W49"
    assert Week.parse("2026-W53").next() == Week(2027, 1) and Week(2027, 1).previous() == Week(2026, 53)
    with pytest.raises(WeekError) as raised:
        Week.parse("2025-W53")
    assert not raised.value.malformed and raised.value.values == {"year": 2025, "weeks": 52, "week": 53}


@pytest.mark.parametrize(
    ("path", "headers", "title", "description"),
    [
        (DIFF, ZH, "极氪 · 隐私政策 · 2025-11-10 → 2025-12-31", "运营主体变更(严重程度:轻微)"),
        (DIFF, EN, "ZEEKR · Privacy policy · 2025-11-10 → 2025-12-31", "Operator changed (severity: minor)"),
        ("/p/zeekr/privacy_policy/v/2", ZH, "极氪 · 隐私政策 · 2025-12-31", "运营主体变更(严重程度:轻微)"),
        (
            "/p/xhs",
            EN,
            "Xiaohongshu · every version and change of its policies",
            "Latest change (Privacy policy, 2026-01-02): Face data is now collected (severity: major)",
        ),
        ("/p/evil/privacy_policy/diff/3..4", EN, None, "3 changes (severity: minor)"),
    ],
)
def test_shared_links_preview_with_title_headline_and_severity(reading, path, headers, title, description):
    tree = page(reading, path, headers)
    if title:
        assert meta(tree, "og:title") == title and meta(tree, "twitter:title") == title
    assert meta(tree, "og:description") == description == meta(tree, "description")
    assert meta(tree, "twitter:description") == description
    assert meta(tree, "og:url") == PUBLIC + path
    assert meta(tree, "og:site_name") == ("PolicyWatch" if headers is EN else "隐私政策观察")
    assert meta(tree, "twitter:card") == "summary" and meta(tree, "og:type") == "article"


@pytest.mark.parametrize(
    "path", ["/", "/?severity=major", "/p/zeekr", DIFF, "/p/zeekr/privacy_policy/v/1", "/weekly/2025-W48"]
)
def test_every_page_has_a_description_a_language_a_canonical_link_and_an_icon(reading, path):
    for headers, lang in [(ZH, "zh-CN"), (EN, "en")]:
        tree = page(reading, path, headers)
        assert tree.xpath("/html/@lang") == [lang]
        assert len(meta(tree, "description")) > 10
        assert tree.xpath("//link[@rel='canonical']/@href") == [PUBLIC + path.split("?")[0]]
        (icon,) = tree.xpath("//link[@rel='icon']/@href")
        response = httpx.get(reading + icon, timeout=30)
        assert response.status_code == 200 and response.headers["content-type"] == "image/svg+xml"
    assert page(reading, "/", EN).xpath("//meta[@name='description']/@content") != page(
        reading, "/p/zeekr", EN
    ).xpath("//meta[@name='description']/@content")


def test_the_icon_robots_txt_and_the_feeds_link_to_the_weekly_page(reading):
    favicon = httpx.get(reading + "/favicon.ico", timeout=30)
    assert favicon.status_code == 200 and favicon.content.startswith(b"<svg")
    assert "User-agent: *" in httpx.get(reading + "/robots.txt", timeout=30).text
    feed = ET.fromstring(httpx.get(reading + "/feeds/all.atom", timeout=30).content)
    links = {link.get("rel"): link.get("href") for link in feed.findall(f"{ATOM}link")}
    assert links["related"] == PUBLIC + "/weekly" and links["alternate"] == PUBLIC + "/"
    platform_feed = ET.fromstring(httpx.get(reading + "/p/xhs/feed.atom", timeout=30).content)
    links = {link.get("rel"): link.get("href") for link in platform_feed.findall(f"{ATOM}link")}
    assert links["related"] == PUBLIC + "/weekly" and links["alternate"] == PUBLIC + "/p/xhs"
    assert len(platform_feed.findall(f"{ATOM}entry")) == 3


def test_a_version_page_shows_its_text_dates_and_the_changes_around_it(reading):
    tree = page(reading, "/p/xhs/privacy_policy/v/6", EN)
    text = tree.text_content()
    assert "我们接入第三方SDK用于推送。" in tree.xpath("//table[@class='version']")[0].text_content()
    assert "2025-11-26" in text and "Stated update date: 2025-11-25" in text
    related = tree.xpath("//ul[@class='related']")[0]
    links = related.xpath(".//a/@href")
    assert "/p/xhs/privacy_policy/diff/5..6" in links and "/p/xhs/privacy_policy/diff/6..7" in links
    assert W48["en"] in related.text_content() and "moderate" in related.text_content()
    first = page(reading, "/p/xhs/privacy_policy/v/5", EN)
    assert "first version" in first.xpath("//ul[@class='related']")[0].text_content()
    assert httpx.get(reading + "/p/xhs/privacy_policy/v/1", timeout=30).status_code == 404  # zeekr's


@pytest.fixture
def reread(engine):
    """A baseline (1), its re-reading with new rules (2, technical, in 2025-W48), the policy's change (3)."""
    with session_scope(engine) as session:
        add_document(session, "zeekr", "极氪", "ZEEKR", [(OLD_AT, "隐私政策\n第一条")])
        document = document_of_slug(session, "zeekr")
        record_technical(session, document, "极氪\n隐私政策\n第一条", FetchFacts(document.url), W48_MONDAY)
        record_text(session, document, "极氪\n隐私政策\n第一条 改", FetchFacts(document.url), NEW_AT)
    with running(create_app(engine, WebConfig(public_url=PUBLIC))) as url:
        yield url


W48_MONDAY = datetime(2025, 11, 24, 12, 0, tzinfo=UTC)


def test_rules_updates_are_never_listed_as_changes(reread):
    assert [link for _, _, link in cards(page(reread, "/"))] == ["/p/zeekr/privacy_policy/diff/2..3"]
    assert cards(page(reread, "/weekly/2025-W48")) == []
    assert [link for _, _, link in cards(page(reread, "/weekly/2026-W01"))] == [
        "/p/zeekr/privacy_policy/diff/2..3"
    ]
    assert [link for _, _, link in cards(page(reread, "/p/zeekr"))] == ["/p/zeekr/privacy_policy/diff/2..3"]
    shown = page(reread, "/p/zeekr?technical=1", EN)
    assert [link for _, _, link in cards(shown)][-1] == "/p/zeekr/privacy_policy/diff/1..2"
    assert "rules updated" in shown.xpath("//li[.//a[contains(@href, '/diff/1..2')]]")[0].text_content()
    technical = page(reread, "/p/zeekr/privacy_policy/v/2", EN).xpath("//ul[@class='related']")[0]
    assert "rules updated" in technical.text_content()
