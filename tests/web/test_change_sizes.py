"""Timelines and feeds show each change's size as it was stored when the change was recorded."""

import xml.etree.ElementTree as ET
from pathlib import Path

import httpx
import yaml
from lxml import html as lxml_html
from sqlmodel import Session, col, select

from analysis.diff import build_diff
from scraping.catalog import parse_catalog
from scraping.check import Checker, active_targets
from scraping.fetch import Fetcher, make_client
from scraping.politeness import HostLimiter
from scraping.sync import sync_catalog
from storage.db import session_scope
from storage.models import Check, utcnow
from storage.versions import ChangeSize, FetchFacts, record_text
from tests.conftest import zeekr
from tests.pages import NEW_PAGE, OLD_PAGE, SEED_NEW, SEED_OLD, seed_text
from tests.seed import NEW_AT, OLD_AT, add_document, document_of_slug
from tests.servers import Page
from tests.web.conftest import running
from web.app import WebConfig, create_app

ATOM = "{http://www.w3.org/2005/Atom}"
MADE_UP = ChangeSize(7, 8, 9, 10, 11)  # not what a diff would say: shows the stored figures are read


async def test_the_checker_stores_the_size_of_each_change(engine, page_server):
    url = page_server.serve("/zeekr", [Page(OLD_PAGE), Page(NEW_PAGE)])
    catalog = parse_catalog(yaml.safe_dump({"platforms": [zeekr(url)]}), Path("test.yaml"))
    with session_scope(engine) as session:
        sync_catalog(session, catalog, utcnow())
    async with make_client(allow_private_networks=True, timeout_seconds=5.0) as client:
        checker = Checker(engine, Fetcher(client, HostLimiter(delay=0)), confirm_delay=0)
        for _ in range(2):
            with Session(engine) as session:
                (target,) = active_targets(session)
            await checker.check(target)
    with Session(engine) as session:
        checks = session.exec(select(Check).where(col(Check.version_id).is_not(None))).all()
        sizes = [ChangeSize.stored_in(check) for check in checks]
    expected = ChangeSize.of(build_diff(seed_text(SEED_OLD), seed_text(SEED_NEW)).stats)
    assert sizes[0] is None and sizes[-1] == expected and expected.paragraphs_modified == 1


def test_pages_and_feeds_show_the_stored_size(engine):
    with session_scope(engine) as session:
        add_document(session, "zeekr", "极氪", "ZEEKR", [(OLD_AT, "政策\n第一条")])
        document = document_of_slug(session, "zeekr")
        record_text(session, document, "政策\n第一条 改", FetchFacts(document.url), NEW_AT, size=MADE_UP)
    with running(create_app(engine, WebConfig(public_url="https://policywatch.example"))) as site:
        timeline = lxml_html.fromstring(httpx.get(site + "/p/zeekr", timeout=30).text).text_content()
        feed = ET.fromstring(httpx.get(site + "/feeds/all.atom", timeout=30).content)
    assert "+7 −8 ~9" in timeline
    assert [entry.find(f"{ATOM}summary").text for entry in feed.iter(f"{ATOM}entry")] == [
        "+7 −8 ~9 (10 / 11)"
    ]


def test_a_change_recorded_without_its_size_is_shown_without_figures(engine):
    with session_scope(engine) as session:
        add_document(
            session, "zeekr", "极氪", "ZEEKR", [(OLD_AT, "政策\n第一条"), (NEW_AT, "政策\n第一条 改")]
        )
    with running(create_app(engine, WebConfig(public_url="https://policywatch.example"))) as site:
        timeline = httpx.get(site + "/p/zeekr", headers={"Accept-Language": "en"}, timeout=30)
        feed = ET.fromstring(httpx.get(site + "/feeds/all.atom", timeout=30).content)
    page = lxml_html.fromstring(timeline.text)
    assert page.xpath("//span[@class='size']") == []  # no figures
    assert page.xpath("//a[contains(@href, '/diff/1..2')]/text()") == ["1 change"]  # the automatic headline
    assert [entry.find(f"{ATOM}summary") for entry in feed.iter(f"{ATOM}entry")] == [None]
