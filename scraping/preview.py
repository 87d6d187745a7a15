"""A page read once, as a check would read it, for a person to judge before following it (/track, probe).

Nothing here writes to the database: a preview decides nothing, and the page is fetched with the same
guarded fetcher as every check.
"""

import asyncio
import re
from contextlib import suppress
from dataclasses import dataclass
from datetime import date
from urllib.parse import urljoin

import yaml

from analysis.dates import stated_dates
from analysis.language import document_language
from scraping.catalog import DocumentOptions
from scraping.decode import decode_with_charset
from scraping.errors import BotBlockedError, ExtractError, FetchError
from scraping.extract import Dropped, Outline, is_pdf, outline_html
from scraping.fetch import Fetched, Fetcher
from scraping.rules import Rules, read_text
from scraping.tracking import site_platform
from scraping.urls import BadUrl, host_of, normalise_url
from scraping.verdict import judge_text

# A page shorter than this, or naming none of the policy words, gets a warning and a second confirmation.
MIN_POLICY_CHARS = 800
POLICY_WORDS = re.compile(
    r"隐私|个人信息|用户协议|服务协议|服务条款|条款|privacy|personal (?:data|information)|terms|cookies?\b",
    re.IGNORECASE,
)
# Links that name a privacy policy (the first choice) or terms (the second), by their text or address.
_PRIVACY_LINK_TEXT = re.compile(
    r"隐私政策|隐私权政策|个人信息保护政策|隐私保护指引|隐私声明|"
    r"privacy policy|privacy notice|privacy statement",
    re.IGNORECASE,
)
_PRIVACY_LINK_URL = re.compile(r"privacy|yinsi", re.IGNORECASE)
_TERMS_LINK_TEXT = re.compile(r"用户协议|服务条款|服务协议|使用条款|terms", re.IGNORECASE)
_TERMS_LINK_URL = re.compile(r"terms|agreement|xieyi|/tos\b", re.IGNORECASE)
MAX_LINKS = 6
_HTML_TYPES = ("text/html", "application/xhtml+xml")


class NotAPage(FetchError):
    """Fetched, but neither an HTML page nor a PDF (an image, JSON, an archive...)."""


# Why a page could not be read, in the few words people get (the details stay in the log).
FAILURE_REASONS = ("private", "type", "size", "timeout", "blocked", "fetch")


def failure_reason(error: FetchError) -> str:
    """One of FAILURE_REASONS for a failed fetch."""
    message = str(error)
    if isinstance(error, NotAPage):
        return "type"
    if "non-public address" in message or "not a public address" in message or "cannot resolve" in message:
        return "private"  # one answer for both, so a stranger cannot probe which internal names exist
    if "is larger than" in message or ("encoded" in message and "times" in message):
        return "size"
    if "timed out" in message:
        return "timeout"
    if isinstance(error, BotBlockedError):
        return "blocked"
    return "fetch"


@dataclass(frozen=True)
class PolicyLink:
    """A link on a page that names a policy: ``rank`` 0 for privacy, 1 for terms."""

    text: str
    url: str  # absolute and normalised
    rank: int

    @property
    def kind(self) -> str:
        return "privacy_policy" if self.rank == 0 else "terms"


@dataclass(frozen=True)
class Preview:
    """A page as a check would read it; ``problem`` says why a check of it would fail (None: it would not)."""

    url: str  # normalised, as asked
    final_url: str
    content_type: str | None
    title: str | None
    text: str
    language: str
    stated_update: date | None
    stated_effective: date | None
    headings: tuple[str, ...]
    dropped: tuple[Dropped, ...]
    links: tuple[PolicyLink, ...]
    problem: str | None

    @property
    def site(self) -> str:
        return host_of(self.final_url)

    @property
    def lines(self) -> list[str]:
        return self.text.splitlines() if self.text else []

    @property
    def paragraphs(self) -> int:
        return len(self.lines)

    @property
    def chars(self) -> int:
        return len(self.text)

    @property
    def looks_like_policy(self) -> bool:
        """Long enough and naming at least one policy word."""
        return self.chars >= MIN_POLICY_CHARS and POLICY_WORDS.search(self.text) is not None

    @property
    def kind(self) -> str:
        """The document kind the page most likely is."""
        head = f"{self.title or ''} {self.url}".lower()
        if re.search(r"儿童|children|kids|child", head):
            return "children_privacy"
        if re.search(r"sdk|第三方信息共享|third-party", head):
            return "sdk_list"
        if re.search(r"隐私|个人信息|privacy", head):
            return "privacy_policy"
        if re.search(r"协议|条款|terms|agreement", head):
            return "terms"
        return "privacy_policy" if re.search(r"隐私|privacy", self.text[:2000], re.IGNORECASE) else "page"


def policy_links(page_url: str, links: tuple[tuple[str, str], ...]) -> tuple[PolicyLink, ...]:
    """The links of a page that name a privacy policy, then terms, each address once, at most MAX_LINKS."""
    found: dict[str, PolicyLink] = {}
    for text, href in links:
        try:
            url = normalise_url(urljoin(page_url, href.strip()))
            if url == normalise_url(page_url):  # the page itself
                continue
        except BadUrl:
            continue
        if _PRIVACY_LINK_TEXT.search(text) or _PRIVACY_LINK_URL.search(href):
            rank = 0
        elif _TERMS_LINK_TEXT.search(text) or _TERMS_LINK_URL.search(href):
            rank = 1
        else:
            continue
        shown = text[:60] or url
        if url not in found or found[url].rank > rank:
            found[url] = PolicyLink(shown, url, rank)
    ranked = sorted(found.values(), key=lambda link: link.rank)  # stable: page order within a rank
    return tuple(ranked[:MAX_LINKS])


def _kind_of_body(body: bytes, content_type: str | None) -> str:
    """``pdf``, ``html`` or ``other``: by the content type, else by the first bytes."""
    if is_pdf(body, content_type):
        return "pdf"
    mime = (content_type or "").split(";")[0].strip().lower()
    if mime in _HTML_TYPES:
        return "html"
    if not mime and body.lstrip()[:200].lower().startswith((b"<!doctype html", b"<html", b"<")):
        return "html"
    return "other"


async def preview_url(fetcher: Fetcher, url: str, options: DocumentOptions | None = None) -> Preview:
    """Fetch ``url`` once and read it as a check would.

    Raises BadUrl before fetching anything that is not an http(s) URL; FetchError (NotAPage for what is
    neither HTML nor PDF) when it cannot be fetched. A page that is fetched but would fail a check (no
    text, a selector matching nothing, an error page, a login wall, a captcha) is a preview with a
    ``problem``.
    """
    options = options or DocumentOptions()
    normalised = normalise_url(url)
    fetched = await fetcher.fetch(normalised, render=options.in_browser)
    # Reading a page of up to 10 MB takes a while: off the event loop, which also serves the bot.
    return await asyncio.to_thread(_read, normalised, fetched, Rules.of(options))


def _read(normalised: str, fetched: Fetched, rules: Rules) -> Preview:
    kind = _kind_of_body(fetched.body, fetched.content_type)
    if kind == "other":
        raise NotAPage(
            f"the address serves {fetched.content_type or 'an unknown type'}, neither HTML nor PDF"
        )
    outline = Outline(None, (), (), ())
    if kind == "html":
        html, _ = decode_with_charset(fetched.body, fetched.content_type)
        with suppress(ExtractError):  # read_text below says why the page holds no text
            outline = outline_html(html, list(rules.select), list(rules.remove))
    links = policy_links(fetched.url, outline.links)
    try:
        text, _ = read_text(fetched.body, fetched.content_type, rules)
    except ExtractError as error:
        return Preview(
            normalised, fetched.url, fetched.content_type, outline.title, "", "en", None, None,
            outline.headings, outline.dropped, links, str(error),
        )  # fmt: skip
    verdict = judge_text(text, None)
    update, effective = stated_dates(text)
    return Preview(
        normalised,
        fetched.url,
        fetched.content_type,
        outline.title,
        text,
        document_language(text),
        update,
        effective,
        outline.headings,
        outline.dropped,
        links,
        verdict.reason if verdict else None,
    )


def catalog_snippet(preview: Preview, options: DocumentOptions | None = None) -> str:
    """The catalog YAML entry that would track this page, its platform named from the site."""
    site = site_platform(preview.url, preview.title)
    document: dict[str, object] = {"kind": preview.kind, "url": preview.url}
    document.update((options or DocumentOptions()).stored())
    entry = {
        "slug": site.slug,
        "name": {"zh": site.name, "en": site.name},
        "aliases": [],
        "documents": [document],
    }
    return yaml.safe_dump([entry], allow_unicode=True, sort_keys=False, default_flow_style=False, width=100)
