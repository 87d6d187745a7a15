"""Extraction without a selector on the corpus: ours against trafilatura and readability-lxml.

    .venv/bin/python benchmarks/extraction_bench.py [--runs N]

For each page of tests/fixtures/corpus (corpus.toml says where each comes from) it reads the page four
ways and scores each reading against the page's reference text:

- ``ours``: what a check reads (scraping.rules.read_text with the document's rules), without a selector;
- ``ours+sel``: the same with Open Terms Archive's selector translated to ``select``/``remove``;
- ``trafilatura``: trafilatura.extract (tables kept, links, comments and images left out);
- ``readability``: readability-lxml's Document.summary(), its HTML read into lines by our own writer.

The reference is OTA's version of the page (its markdown as plain lines), the seed policy for the pages
built from it, or, where OTA holds no version of this snapshot, ``ours+sel`` itself (marked ``=ref``).

Metric: character-weighted line precision and recall. Both texts are normalised the same way (NFKC,
whitespace collapsed, markdown markers and link targets stripped). A reference line counts as found when
it occurs in the extracted text (rapidfuzz ``partial_ratio`` >= 90, so a line split or merged differently,
or differing by a character, still counts; a line under 20 characters, a heading or a menu item, must be
a whole line of the other text); an extracted line counts as policy when it occurs in the reference the
same way. Each line weighs its length in characters, so a lost paragraph costs its size and a kept menu
item ("Home") costs little: recall = found reference characters / all reference characters,
precision = policy characters / all extracted characters, F1 their harmonic mean. ``chrome`` counts the
page's known chrome lines (corpus.toml) read as lines of the text; ``lost`` counts reference lines of 20
characters or more not found. Time is the median of ``--runs`` readings, in ms per page, and each
extractor's total is printed as a ratio to ours (the baseline, measured in the same run). Totals are over
the HTML pages a check reads as text; the PDF (which no HTML extractor reads) and the script-only page
(no text without a browser) are shown apart.
"""

import argparse
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass

import trafilatura
from rapidfuzz import fuzz
from readability import Document

from scraping.decode import decode_with_charset
from scraping.errors import ExtractError
from scraping.extract import extract_html
from scraping.rules import Rules, read_text
from scraping.text import normalize_line
from tests.corpus import CorpusPage, load_corpus, ota_reference, seed_reference

MATCH = 90  # partial_ratio from which a line counts as found in the other text
SHORT = 20  # a shorter line is found only as a whole line; shorter reference lines are not counted as lost

Reader = Callable[[CorpusPage], str]


def read_ours(page: CorpusPage) -> str:
    """What a check reads: the document's rules, here without a selector."""
    return read_text(page.body, page.content_type, Rules())[0]


def read_ours_selected(page: CorpusPage) -> str:
    """What a check reads with OTA's selector as the catalog's select/remove."""
    return read_text(page.body, page.content_type, Rules(select=page.select, remove=page.remove))[0]


def _html(page: CorpusPage) -> str:
    if page.is_pdf:
        raise ExtractError("not an HTML page")
    return decode_with_charset(page.body, page.content_type)[0]


def read_trafilatura(page: CorpusPage) -> str:
    """trafilatura's main text, tables included."""
    text = trafilatura.extract(_html(page), include_tables=True, include_comments=False, include_images=False)
    if not text:
        raise ExtractError("trafilatura found no text")
    return text


def read_readability(page: CorpusPage) -> str:
    """readability-lxml's article HTML, read into lines by our writer (no chrome is left to remove)."""
    return extract_html(Document(_html(page)).summary(html_partial=True), select=["body"])


READERS: dict[str, Reader] = {
    "ours": read_ours,
    "ours+sel": read_ours_selected,
    "trafilatura": read_trafilatura,
    "readability": read_readability,
}


def _clean_lines(text: str) -> list[str]:
    """Extracted text as normalised lines, list markers and table bars of plain-text outputs removed."""
    lines = []
    for raw in text.splitlines():
        for cell in raw.split(" | ") if raw.startswith("|") else [raw]:
            line = normalize_line(cell.strip("|").removeprefix("- "))
            if line:
                lines.append(line)
    return lines


@dataclass(frozen=True)
class Score:
    precision: float
    recall: float
    chrome: int
    lost: int
    ms: float

    @property
    def f1(self) -> float:
        total = self.precision + self.recall
        return 2 * self.precision * self.recall / total if total else 0.0


def _found(line: str, text: str, whole_lines: set[str]) -> bool:
    if len(line) < SHORT:
        return line in whole_lines
    return line in text or fuzz.partial_ratio(line, text) >= MATCH


def _weighted_share(lines: list[str], other: list[str]) -> tuple[float, list[str]]:
    """The share of ``lines``' characters found in the ``other`` lines, and the lines not found."""
    text, whole_lines = " ".join(other), set(other)
    missing = [line for line in lines if not _found(line, text, whole_lines)]
    total = sum(map(len, lines))
    return (1 - sum(map(len, missing)) / total if total else 0.0), missing


def score(page: CorpusPage, reference: list[str], text: str, ms: float) -> Score:
    """How ``text`` read from ``page`` compares with the reference lines."""
    lines = _clean_lines(text)
    recall, missing = _weighted_share(reference, lines)
    precision, _ = _weighted_share(lines, reference)
    chrome = sum(1 for line in lines if line in {normalize_line(c) for c in page.chrome})
    lost = sum(1 for line in missing if len(line) >= SHORT)
    return Score(precision, recall, chrome, lost, ms)


def reference_lines(page: CorpusPage) -> list[str]:
    """The page's reference text as normalised lines."""
    if page.reference == "ota":
        return ota_reference(page)
    if page.reference == "seed":
        return seed_reference()
    return _clean_lines(read_ours_selected(page))


def timed(reader: Reader, page: CorpusPage, runs: int) -> tuple[str | None, float]:
    """The reader's text (None when it raises) and its median time in ms."""
    times, text = [], None
    for _ in range(runs):
        start = time.perf_counter()
        try:
            text = reader(page)
        except ExtractError:
            text = None
        times.append((time.perf_counter() - start) * 1000)
    return text, statistics.median(times)


def _cell(result: Score | None, is_reference: bool) -> str:
    if result is None:
        return f"{'(no text)':>26}"
    f1 = "=ref" if is_reference else f"{result.f1:.3f}"
    return f"{f1:>5} {result.chrome:>3}c {result.lost:>3}l {result.ms:>7.1f}ms "


def _print_totals(totals: dict[str, list[Score]], counted: list[bool]) -> None:
    """Mean F1, precision and recall, and summed chrome, lost lines and time, over the counted pages."""
    print(f"\ntotals over the {sum(counted)} HTML pages read as text:")
    baseline = sum(result.ms for result, kept in zip(totals["ours"], counted, strict=True) if kept)
    for name, all_results in totals.items():
        results = [result for result, kept in zip(all_results, counted, strict=True) if kept]
        f1 = statistics.mean(result.f1 for result in results)
        precision = statistics.mean(result.precision for result in results)
        recall = statistics.mean(result.recall for result in results)
        chrome, lost = sum(r.chrome for r in results), sum(r.lost for r in results)
        ms = sum(r.ms for r in results)
        print(
            f"  {name:<12} F1 {f1:.3f}  P {precision:.3f}  R {recall:.3f}  chrome {chrome:>3}  "
            f"lost {lost:>3}  {ms:8.1f} ms  ({ms / baseline:.2f}x ours)"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=5, help="readings per page and extractor (median kept)")
    runs = parser.parse_args().runs
    pages = [page for page in load_corpus() if page.reference != "none"]
    print(f"{len(pages)} pages; per extractor: F1, chrome lines kept (c), policy lines lost (l), ms per page")
    print(f"{'page':<22}{'lang':<5}" + "".join(f"{name:>27}" for name in READERS))
    totals: dict[str, list[Score]] = {name: [] for name in READERS}
    for page in pages:
        reference = reference_lines(page)
        cells = []
        for name, reader in READERS.items():
            text, ms = timed(reader, page, runs)
            result = score(page, reference, text, ms) if text is not None else Score(0, 0, 0, 0, ms)
            totals[name].append(result)
            shown = result if text is not None else None
            cells.append(_cell(shown, name == "ours+sel" and page.reference == "selector"))
        print(f"{page.name:<22}{page.language:<5}" + "".join(f"{cell:>27}" for cell in cells))
    _print_totals(totals, [page.outcome == "text" and not page.is_pdf for page in pages])


if __name__ == "__main__":
    main()
