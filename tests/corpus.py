"""The extraction corpus (tests/fixtures/corpus): real policy pages with their page chrome, and seed pages.

Used by tests/scraping/test_corpus.py and benchmarks/extraction_bench.py; corpus.toml says where each page
comes from and what a reader must get from it.
"""

import re
import tomllib
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from scraping.text import normalize_line
from tests.pages import SEED_OLD, policy_page, policy_pdf, script_rendered_page, seed_text

CORPUS = Path(__file__).resolve().parent / "fixtures" / "corpus"
_HTML = "text/html; charset=utf-8"


@dataclass(frozen=True)
class CorpusPage:
    """One page of the corpus and what reading it without a selector must give."""

    name: str
    language: str
    shape: str
    body: bytes
    content_type: str
    select: tuple[str, ...]
    remove: tuple[str, ...]
    reference: str  # "ota", "selector", "seed" or "none"
    outcome: str  # "text", "error page" or "fails"
    keep: tuple[str, ...]
    chrome: tuple[str, ...]
    update: date | None
    effective: date | None
    reference_from: str = ""
    reference_until: str = ""

    @property
    def is_pdf(self) -> bool:
        return self.content_type == "application/pdf"


def _built(kind: str) -> tuple[bytes, str]:
    """The body and content type of a page tests/pages.py builds from the seed policy."""
    text = seed_text(SEED_OLD)
    if kind == "seed_page":
        return policy_page(text).encode(), _HTML
    if kind == "seed_page_gbk":
        return policy_page(text, charset="gbk").encode("gb18030"), "text/html"
    if kind == "seed_pdf":
        return policy_pdf(text), "application/pdf"
    if kind == "spa_shell":
        return script_rendered_page(text).encode(), _HTML
    raise ValueError(f"unknown built page {kind!r}")


def _date(value: str) -> date | None:
    return date.fromisoformat(value) if value else None


def load_corpus() -> list[CorpusPage]:
    """Every page of corpus.toml, in its order."""
    manifest = tomllib.loads((CORPUS / "corpus.toml").read_text(encoding="utf-8"))
    pages = []
    for entry in manifest["pages"]:
        if "built" in entry:
            body, content_type = _built(entry["built"])
        else:
            body, content_type = (CORPUS / f"{entry['name']}.html").read_bytes(), _HTML
        pages.append(
            CorpusPage(
                name=entry["name"],
                language=entry["language"],
                shape=entry["shape"],
                body=body,
                content_type=content_type,
                select=tuple(entry["select"]),
                remove=tuple(entry["remove"]),
                reference=entry["reference"],
                outcome=entry["outcome"],
                keep=tuple(entry["keep"]),
                chrome=tuple(entry["chrome"]),
                update=_date(entry["update"]),
                effective=_date(entry["effective"]),
                reference_from=entry.get("reference_from", ""),
                reference_until=entry.get("reference_until", ""),
            )
        )
    return pages


_MD_ESCAPED = re.compile(r"\\([\\`*_{}\[\]()#+\-.!|<>~])")
_PROTECTED = re.compile("[\U000f0000-\U000f007f]")
_MD_IMAGE = re.compile(r"!\[[^\]]*\]\([^)]*\)")
_MD_LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)")
_MD_RULE = re.compile(r"^\s*(?:=+|-{3,}|\|?\s*(?:-{3,}\s*\|\s*)+-*\s*\|?)\s*$")
_MD_MARKERS = re.compile(r"^\s*(?:#{1,6}\s+|>\s*|[*+-]\s+|\d+\.\s+)+")
_MD_EMPHASIS = re.compile(r"\*\*|__|(?<!\w)[*_](?=\S)|(?<=\S)[*_](?!\w)")
_MD_BREAK = re.compile(r"\s*<br>\s*")


def _markdown_text(part: str) -> str:
    """One line or cell of OTA's markdown as plain text; escaped characters stay as written."""
    text = _MD_ESCAPED.sub(lambda match: chr(0xF0000 + ord(match.group(1))), part)
    text = _MD_LINK.sub(r"\1", _MD_IMAGE.sub("", text))
    text = _MD_EMPHASIS.sub("", _MD_MARKERS.sub("", text))
    return _PROTECTED.sub(lambda match: chr(ord(match.group(0)) - 0xF0000), text)


def markdown_lines(markdown: str) -> list[str]:
    """OTA's markdown as plain lines: links as their text, a line per table cell and <br> part, no markers."""
    lines = []
    for raw in markdown.splitlines():
        if _MD_RULE.match(raw):
            continue
        cells = raw.strip().strip("|").split(" | ") if raw.lstrip().startswith("|") else [raw]
        for cell in cells:
            for part in _MD_BREAK.split(cell):
                if clean := normalize_line(_markdown_text(part)):
                    lines.append(clean)
    return lines


def _cut(lines: list[str], start: str, until: str) -> list[str]:
    """The lines from the first containing ``start`` to the first containing ``until`` (both kept)."""
    if start:
        lines = lines[next(i for i, line in enumerate(lines) if start in line) :]
    if until:
        lines = lines[: next(i for i, line in enumerate(lines) if until in line) + 1]
    return lines


def ota_reference(page: CorpusPage) -> list[str]:
    """OTA's version of the page as plain lines, cut to what this snapshot holds."""
    markdown = (CORPUS / f"{page.name}.expected.md").read_text(encoding="utf-8")
    return _cut(markdown_lines(markdown), page.reference_from, page.reference_until)


def seed_reference() -> list[str]:
    """The seed policy as plain lines."""
    return [clean for line in seed_text(SEED_OLD).split("\n") if (clean := normalize_line(line))]
