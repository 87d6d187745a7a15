"""HTML (or plain text) to clean paragraph-per-line text: headings, paragraphs, list items, table cells."""

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import lru_cache

import lxml.html
from lxml import etree
from lxml.cssselect import CSSSelector

from scraping.decode import decode_with_charset
from scraping.errors import ExtractError
from scraping.pdf import extract_pdf
from scraping.prose import drop_link_blocks
from scraping.text import normalize_text

# Never content: code, embedded objects, page furniture, and a <title> misplaced in the body (never shown).
_ALWAYS_DROPPED = (
    "script, style, noscript, template, svg, iframe, object, canvas, title, [hidden], [aria-hidden=true]"
)
# Boilerplate around the content, dropped when the catalog names no `select`: navigation, banners,
# breadcrumbs, dialogs (modals are in the page, hidden until opened) and cookie banners.
_BOILERPLATE = (
    "nav, header, footer, aside, form, dialog, [role=navigation], [role=banner], [role=contentinfo], "
    "[role=dialog], [aria-modal=true], [class*=modal], [class*=breadcrumb], [id*=breadcrumb], "
    "[id*=cookie], [class*=cookie], [id*=consent], [class*=consent], [class*=gdpr]"
)
_MAIN_TAGS = frozenset({"main", "article"})
_MAIN_CONTENT = ["main", "[role=main]", "article"]
_BLOCK_TAGS = frozenset(
    "address article aside blockquote caption dd details div dl dt fieldset figcaption figure footer "
    "form h1 h2 h3 h4 h5 h6 header hr li main nav ol p pre section summary table tbody td tfoot th thead "
    "tr ul".split()
)


_SIMPLE_TAG = re.compile(r"[a-z][a-z0-9]*")
_SIMPLE_ATTRIBUTE = re.compile(r"\[([a-z][a-z-]*)(?:(=|\*=)([a-z][a-z0-9-]*))?\]")  # [a], [a=v], [a*=v]


def _attribute_axis(selector: str) -> str | None:
    """A tag or an attribute test as XPath, attributes along the attribute axis; None for anything else.

    cssselect makes ``[id*=cookie]`` a test of every element (``//*[@id and contains(@id, 'cookie')]``);
    libxml2 finds the same elements several times faster from the attributes (``//*/@id[contains(...)]/..``).
    """
    if _SIMPLE_TAG.fullmatch(selector):
        return f"descendant-or-self::{selector}"
    if not (found := _SIMPLE_ATTRIBUTE.fullmatch(selector)):
        return None
    name, operator, value = found.groups()
    test = {None: "", "=": f"[. = '{value}']", "*=": f"[contains(., '{value}')]"}[operator]
    return f"descendant-or-self::*/@{name}{test}/.."


@lru_cache(maxsize=256)
def _compiled(selector: str) -> Callable[[lxml.html.HtmlElement], list[lxml.html.HtmlElement]]:
    """A CSS selector (group) as a function of the root: the elements it matches, in document order.

    A group of tags and attribute tests only (the page chrome, most catalog selectors) is one XPath union of
    the faster forms above; anything else is cssselect's own translation.
    """
    paths = [_attribute_axis(part.strip()) for part in selector.split(",")]
    simple = [path for path in paths if path is not None]
    return etree.XPath(" | ".join(simple)) if len(simple) == len(paths) else CSSSelector(selector)


def _select_all(root: lxml.html.HtmlElement, selector: str) -> list[lxml.html.HtmlElement]:
    return _compiled(selector)(root)


def _drop(root: lxml.html.HtmlElement, selectors: Iterable[str]) -> None:
    for selector in selectors:
        _drop_elements(_select_all(root, selector))


def _drop_elements(elements: Iterable[lxml.html.HtmlElement]) -> None:
    for element in elements:
        if element.getparent() is not None:
            element.drop_tree()


def _in_main_content(element: lxml.html.HtmlElement) -> bool:
    return any(parent.tag in _MAIN_TAGS or parent.get("role") == "main" for parent in element.iterancestors())


def _chrome(root: lxml.html.HtmlElement) -> list[lxml.html.HtmlElement]:
    """The page's boilerplate, but not a <header> inside <main>/<article>: that one holds title and dates."""
    return [
        element
        for element in _select_all(root, _BOILERPLATE)
        if not (element.tag == "header" and _in_main_content(element))
    ]


class _LineWriter:
    """Collects text into lines: block edges end a non-empty line, ``<br>`` always ends one."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self._current: list[str] = []
        self._is_blank = True  # the current line is only whitespace so far (kept as text comes)

    def text(self, value: str | None) -> None:
        if value:
            self._current.append(value)
            self._is_blank = self._is_blank and value.isspace()

    def soft_break(self) -> None:
        if not self._is_blank:
            self.hard_break()

    def hard_break(self) -> None:
        self.lines.append("".join(self._current))
        self._current, self._is_blank = [], True

    def finish(self) -> list[str]:
        self.soft_break()
        return self.lines


def _is_blank(element: lxml.html.HtmlElement, lead: str | None) -> bool:
    """No text but whitespace inside ``element``; ``lead``, its own leading text, settles most at once."""
    if lead and not lead.isspace():
        return False
    return not (element.text_content() or "").strip()


def _write(element: lxml.html.HtmlElement, out: _LineWriter) -> None:
    tag = element.tag
    if not isinstance(tag, str):  # comments and processing instructions: only their tail counts
        out.text(element.tail)
        return
    tag = tag.lower()
    is_block = tag in _BLOCK_TAGS
    lead = element.text
    if tag == "br":
        out.hard_break()
    elif is_block:
        out.soft_break()
        if tag == "p" and _is_blank(element, lead):
            out.hard_break()  # an empty paragraph is the author's blank line
    if tag == "pre":
        for i, piece in enumerate((element.text_content() or "").split("\n")):
            if i:
                out.hard_break()
            out.text(piece)
    else:
        out.text(lead)
        for child in element:
            _write(child, out)
    if is_block:
        out.soft_break()
    out.text(element.tail)


def _content_roots(root: lxml.html.HtmlElement, select: list[str]) -> list[lxml.html.HtmlElement]:
    """The elements holding the policy: the catalog's `select`, else the page's main content."""
    if select:
        roots = [element for selector in select for element in _select_all(root, selector)]
        if not roots:
            raise ExtractError(f"the selector {', '.join(select)!r} matched nothing on the page")
        return roots
    content = _main_content(root)
    drop_link_blocks(content)
    return [content]


def _main_content(root: lxml.html.HtmlElement) -> lxml.html.HtmlElement:
    """The page's largest <main> or <article>, else its body."""
    for selector in _MAIN_CONTENT:
        found = _select_all(root, selector)
        if found:
            return max(found, key=lambda element: len(element.text_content() or ""))
    body = root.find("body")
    return body if body is not None else root


# lxml.html's own parser asks a Python method which class to wrap each element in (forms and inputs get
# theirs), about a microsecond every time an element is reached; reading needs only HtmlElement's methods,
# and this lookup picks those classes in C.
_PARSER = lxml.html.HTMLParser()
_PARSER.set_element_class_lookup(
    etree.ElementDefaultClassLookup(
        element=lxml.html.HtmlElement,
        comment=lxml.html.HtmlComment,
        pi=lxml.html.HtmlProcessingInstruction,
        entity=lxml.html.HtmlEntity,
    )
)


def parse_html(html: str) -> lxml.html.HtmlElement:
    """Parse a page, however broken; an empty page is an ExtractError."""
    if not html.strip():
        raise ExtractError("the page is empty")
    try:
        return lxml.html.document_fromstring(html, parser=_PARSER)
    except (etree.ParserError, ValueError) as error:
        raise ExtractError(f"the page could not be parsed as HTML: {error}") from None


def extract_html(html: str, select: list[str] | None = None, remove: list[str] | None = None) -> str:
    """The clean text of an HTML page; raises ExtractError when no text is left."""
    root = parse_html(html)
    _drop(root, [_ALWAYS_DROPPED, *(remove or [])])
    if not select:
        _drop_elements(_chrome(root))
    writer = _LineWriter()
    for content in _content_roots(root, select or []):
        _write(content, writer)
        writer.soft_break()
    text = normalize_text(writer.finish())
    if not text:
        raise ExtractError("the page holds no text")
    return text


@dataclass(frozen=True)
class Dropped:
    """Text extraction leaves out, and why: page chrome, a ``remove`` selector, outside the content."""

    why: str
    elements: int
    chars: int


@dataclass(frozen=True)
class Outline:
    """What a person checks before following a page: its title, headings, and what was left out."""

    title: str | None
    headings: tuple[str, ...]
    dropped: tuple[Dropped, ...]
    links: tuple[tuple[str, str], ...]  # (text, href as written) of every link, in page order


def _visible_chars(elements: Iterable[lxml.html.HtmlElement]) -> int:
    return sum(len("".join((element.text_content() or "").split())) for element in elements)


def _matched(root: lxml.html.HtmlElement, selectors: Iterable[str]) -> list[lxml.html.HtmlElement]:
    """The outermost elements the selectors match (one inside another is counted once)."""
    return _outermost({element for selector in selectors for element in _select_all(root, selector)})


def _outermost(found: set[lxml.html.HtmlElement]) -> list[lxml.html.HtmlElement]:
    return [element for element in found if not any(parent in found for parent in element.iterancestors())]


MAX_TITLE_CHARS = 200


def outline_html(html: str, select: list[str] | None = None, remove: list[str] | None = None) -> Outline:
    """The outline of a page read as extract_html reads it (the text itself comes from extract_html)."""
    root = parse_html(html)
    title_element = root.find(".//title")
    title = " ".join((title_element.text_content() if title_element is not None else "").split()) or None
    links = tuple(
        (" ".join((link.text_content() or "").split()), link.get("href") or "")
        for link in root.iter("a")
        if link.get("href")
    )
    _drop(root, [_ALWAYS_DROPPED])
    dropped: list[Dropped] = []
    for why, selectors in ((f"remove {selector!r}", [selector]) for selector in remove or []):
        found = _matched(root, selectors)
        dropped.append(Dropped(why, len(found), _visible_chars(found)))
        _drop(root, selectors)
    if not select:
        found = _outermost(set(_chrome(root)))
        chrome = "page chrome (navigation, header, footer, forms, cookie banners)"
        dropped.append(Dropped(chrome, len(found), _visible_chars(found)))
        _drop_elements(found)
    kept_before = _visible_chars([root])
    try:
        roots = _content_roots(root, select or [])
    except ExtractError:
        roots = []
    kept = _visible_chars(roots)
    what = "outside the selection" if select else "outside the main content"
    dropped.append(Dropped(what, 0, max(kept_before - kept, 0)))
    headings = tuple(
        text
        for content in roots
        for element in content.iter("h1", "h2", "h3", "h4", "h5", "h6")
        if (text := " ".join((element.text_content() or "").split()))
    )
    if title is None and headings:
        title = headings[0]
    title = title[:MAX_TITLE_CHARS] if title else title  # a page may send 11,000 characters of title
    return Outline(title, headings, tuple(item for item in dropped if item.chars), links)


def extract_plain(text: str) -> str:
    """The clean text of a plain-text document."""
    clean = normalize_text(text.splitlines())
    if not clean:
        raise ExtractError("the document is empty")
    return clean


def is_pdf(body: bytes, content_type: str | None) -> bool:
    """A PDF document, by its content type or its first bytes."""
    mime = (content_type or "").split(";")[0].strip().lower()
    return mime == "application/pdf" or body.startswith(b"%PDF-")


def extract_with_charset(
    body: bytes, content_type: str | None, select: list[str], remove: list[str]
) -> tuple[str, str | None]:
    """The clean text of a fetched body (HTML unless it says PDF or plain text), and its charset."""
    if is_pdf(body, content_type):
        return extract_pdf(body), None
    text, charset = decode_with_charset(body, content_type)
    if (content_type or "").split(";")[0].strip().lower() == "text/plain":
        return extract_plain(text), charset
    return extract_html(text, select, remove), charset


def extract_body(body: bytes, content_type: str | None, select: list[str], remove: list[str]) -> str:
    """The clean text of a fetched body, by its content type (HTML unless it says PDF or plain text)."""
    return extract_with_charset(body, content_type, select, remove)[0]
