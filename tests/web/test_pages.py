"""Every page through a real server: content, languages, permalinks, 404s, escaping, Atom."""

import xml.etree.ElementTree as ET

import httpx
import pytest
from lxml import html as lxml_html
from prometheus_client.parser import text_string_to_metric_families

from storage.db import session_scope
from storage.models import Delivery
from tests.pages import NEW_COMPANY, OLD_COMPANY
from tests.web.conftest import HOSTILE_NAME

ZH = {"Accept-Language": "zh-CN,zh;q=0.9"}
EN = {"Accept-Language": "en-US,en;q=0.9"}
DIFF = "/p/zeekr/privacy_policy/diff/1..2"
ATOM = "{http://www.w3.org/2005/Atom}"


def get(site: str, path: str, headers: dict | None = None) -> httpx.Response:
    return httpx.get(site + path, headers=headers or ZH, timeout=30)


def _platform_list(site: str, query: str = "") -> str:
    page = lxml_html.fromstring(get(site, "/" + query).text)
    return page.xpath("//section[@aria-labelledby='all-platforms']")[0].text_content()


def test_home_lists_platforms_with_their_last_change_and_searches(site):
    page = lxml_html.fromstring(get(site, "/").text)
    assert "极氪" in _platform_list(site)
    links = page.xpath("//a[text()='2025-12-31']/@href")
    assert sorted(link.split("/p/")[1] for link in links) == ["evil/privacy_policy/diff/3..4", DIFF[3:]]
    assert "极氪" in _platform_list(site, "?q=jike")
    assert "极氪" not in _platform_list(site, "?q=evil")
    assert get(site, "/?q=" + "x" * 10_000).status_code == 200


def test_interface_follows_accept_language_and_the_switch(site):
    assert "版本对比" in get(site, DIFF).text
    english = get(site, DIFF, EN)
    assert "Compare versions" in english.text and "版本对比" not in english.text
    switched = httpx.get(site + DIFF + "?lang=zh", headers=EN)
    assert "版本对比" in switched.text and switched.cookies.get("lang") == "zh"
    assert "版本对比" in httpx.get(site + DIFF, headers=EN, cookies={"lang": "zh"}).text
    assert '"nowrap">隐私政策</td>' in get(site, "/").text
    assert '"nowrap">Privacy policy</td>' in get(site, "/", EN).text


def test_platform_page_shows_the_version_timeline(site):
    text = lxml_html.fromstring(get(site, "/p/zeekr").text).text_content()
    assert "2025-12-31 02:55" in text and "2025-11-10 13:38" in text
    assert "2025-05-19" in text and "2025-05-25" in text
    assert "+0 −0 ~1" in text and "首个版本" in text


def test_diff_page_has_the_seed_layout_and_the_highlighted_change(site):
    page = lxml_html.fromstring(get(site, DIFF).text)
    text = page.text_content()
    for expected in [
        "返回首页",
        "版本对比",
        "极氪APP个人信息保护政策概要",
        "上一个版本",
        "当前版本",
        "2025-11-10",
        "2025-12-31",
    ]:
        assert expected in text
    for legend in ["删除的内容", "新增的内容", "修改的内容"]:
        assert legend in text
    (row,) = page.xpath("//tr[contains(@class, 'modified')]")
    assert row.get("id") == "c1"
    numbers = [cell.text_content() for cell in row.xpath("td[contains(@class, 'no')]")]
    assert numbers == ["147", "147"]
    assert [d.text_content() for d in row.xpath(".//del")] == [OLD_COMPANY]
    assert [i.text_content() for i in row.xpath(".//ins")] == [NEW_COMPANY]
    assert "新增 0 段,删除 0 段,修改 1 段" in text
    collapsed = page.xpath("//tbody[@class='collapsed']//summary")
    assert [s.text_content() for s in collapsed] == ["143 行未变化", "274 行未变化"]


def test_each_version_has_a_plain_text_view(site):
    response = get(site, "/p/zeekr/privacy_policy/v/2.txt")
    assert response.headers["content-type"].startswith("text/plain")
    assert NEW_COMPANY in response.text and len(response.text.splitlines()) == 424


def test_compare_form_by_versions_and_by_dates_redirects_to_permalinks(site):
    page = get(site, "/p/zeekr/privacy_policy/compare")
    assert page.status_code == 200 and 'name="date1"' in page.text
    for query in ["?from=2&to=1", "?date1=2025年11月10日", "?date1=20251110&date2=latest", "?date1=previous"]:
        response = httpx.get(site + "/p/zeekr/privacy_policy/compare" + query, follow_redirects=False)
        assert response.status_code == 303, query
        assert response.headers["location"].endswith(DIFF), query


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("?date1=2025-02-30", "not a real date"),
        ("?date1=yesterday", "not a date"),
        ("?date1=2025-01-01", "before the first recorded version"),
        ("?date1=2099-01-01", "in the future"),
        ("?date1=2026-01-05&date2=latest", "same version"),
        ("?from=1&to=1", "two different versions"),
        ("?from=abc&to=-2", "pick two versions"),
        ("?from=²&to=1", "pick two versions"),  # str.isdigit() says yes, int() says no
        ("?from=1&to=٢", "pick two versions"),  # an Arabic-Indic digit: int() would read it
        ("?from=1&to=" + "9" * 5000, "pick two versions"),
    ],
)
def test_compare_explains_what_is_wrong(site, query, message):
    response = get(site, "/p/zeekr/privacy_policy/compare" + query)
    assert response.status_code == 400 and message in response.text


@pytest.mark.parametrize(
    "path",
    [
        "/p/nosuch",
        "/p/zeekr/terms/compare",
        "/p/zeekr/privacy_policy/diff/1..99",
        "/p/zeekr/privacy_policy/diff/1..99999999999999999999999",
        "/p/zeekr/privacy_policy/v/0.txt",
        "/p/zeekr/privacy_policy/diff/1..3",
        "/p/zeekr/privacy_policy/v/4.txt",
        "/p/zeekr/privacy_policy/v/4",
        "/p/zeekr/privacy_policy/v/99999999999999999999999",
        "/p/nosuch/feed.atom",
        "/no/such/page",
        "/p/zeekr/",  # no redirect built from the Host header
    ],
)
def test_unknown_things_get_a_404_page_that_helps(site, path):
    response = get(site, path)
    assert response.status_code == 404
    assert "找不到页面" in response.text and 'name="q"' in response.text


@pytest.mark.both_databases
@pytest.mark.parametrize(
    "path", ["/p/%00", "/p/zeekr/%00/compare", "/p/%00/feed.atom", "/p/zeekr/a%00b/v/1.txt"]
)
def test_a_nul_in_a_name_is_a_404_not_a_database_error(site, path):
    assert get(site, path).status_code == 404  # PostgreSQL refuses NUL in text: it is never asked


def test_hostile_policy_text_and_names_are_escaped(site):
    for path in ["/", "/p/evil", "/p/evil/privacy_policy/diff/3..4", "/feeds/all.atom"]:
        body = get(site, path).text
        assert "<script>alert(" not in body, path
        assert "<b>bold</b>" not in body, path
    diff = get(site, "/p/evil/privacy_policy/diff/3..4").text
    shown = lxml_html.fromstring(diff).text_content()
    assert "&lt;script&gt;alert(" in diff and "<script>alert('y')</script>" in shown
    assert "{{ 7*8 }}" in shown and "{% raw %}" in shown and "56" not in shown
    assert "Tom &amp; Jerry &amp;amp; co" in diff
    assert HOSTILE_NAME in lxml_html.fromstring(get(site, "/p/evil").text).text_content()


def test_atom_feeds_are_valid_and_link_to_public_permalinks(site):
    response = get(site, "/feeds/all.atom")
    assert response.headers["content-type"].startswith("application/atom+xml")
    feed = ET.fromstring(response.content)
    entries = feed.findall(f"{ATOM}entry")
    assert len(entries) == 2
    assert {e.find(f"{ATOM}link").get("href") for e in entries} == {
        "https://policywatch.example" + DIFF,
        "https://policywatch.example/p/evil/privacy_policy/diff/3..4",
    }
    for entry in entries:
        for child in ("id", "title", "updated"):
            assert entry.find(f"{ATOM}{child}").text
    platform_feed = ET.fromstring(get(site, "/p/zeekr/feed.atom").content)
    assert len(platform_feed.findall(f"{ATOM}entry")) == 1
    assert feed.find(f"{ATOM}id").text and feed.find(f"{ATOM}updated").text.startswith("2025-12-31")


def test_healthz_reports_the_database_and_the_age_of_the_last_check(site):
    health = get(site, "/healthz").json()
    assert health["status"] == "ok" and health["database"] == "ok"
    assert health["last_check_age_seconds"] > 300 * 24 * 3600  # the seeded checks date from 2025


def test_metrics_in_prometheus_text_format(site, seeded):
    with session_scope(seeded) as session:
        session.add(Delivery(kind="alert", chat_id=1, status="sent"))
        session.add(Delivery(kind="alert", chat_id=2))
    response = get(site, "/metrics")
    assert response.headers["content-type"].startswith("text/plain; version=")
    samples = {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }
    assert samples[("policywatch_checks_total", (("outcome", "new_version"),))] == 4
    assert samples[("policywatch_versions_total", ())] == 4
    assert samples[("policywatch_deliveries", (("kind", "alert"), ("status", "pending")))] == 1
    assert samples[("policywatch_deliveries", (("kind", "alert"), ("status", "sent")))] == 1
    assert samples[("policywatch_outbox_lag_seconds", ())] >= 0
    assert samples[("policywatch_fetch_duration_seconds_count", ())] == 0  # seeded checks carry no timing
    assert ("policywatch_llm_tokens_total", (("kind", "prompt"),)) in samples
