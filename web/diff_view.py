"""What the diff page shows of a pair of versions, made once per pair and language: versions never change."""

import threading
from dataclasses import dataclass

from markupsafe import Markup

from analysis.diff import DiffStats, build_diff
from analysis.language import document_language
from analysis.report import ChangeReport, fallback_report
from i18n import translator
from storage.db import row_id
from storage.models import Version
from web.cache import BoundedCache
from web.diff_table import header_row, render_diff_table

# Rendered tables kept, in characters (a Python str takes 1-4 bytes each).
DIFF_CACHE_CHARS = 16_000_000
# Diffs made at once: they are pure Python, so more threads only take turns holding the GIL, and every
# other request (``/healthz`` included) would wait behind all of them for its turn.
MAKERS = 1


@dataclass(frozen=True)
class DiffView:
    """The side-by-side table, the statistics and the automatic report of one pair, in one language."""

    table: Markup
    stats: DiffStats
    automatic: ChangeReport
    document_language: str

    @property
    def size(self) -> int:
        """Roughly what it holds, in characters."""
        return len(self.table) + len(self.automatic.model_dump_json())


def make_view(old: Version, new: Version, language: str) -> DiffView:
    """Diff the pair, render its table and write its automatic report (the page's CPU-heavy part)."""
    diff = build_diff(old.text, new.text)
    translate = translator(language)
    header = header_row(translate, _day(old), _day(new))
    return DiffView(
        table=render_diff_table(diff, translate, header, old.id, new.id),
        stats=diff.stats,
        automatic=fallback_report(diff, old.text, new.text, language),
        document_language=document_language(new.text),
    )


def _day(version: Version) -> str:
    return version.first_seen_at.strftime("%Y-%m-%d")


class DiffViews:
    """Diff views of the pairs asked for lately, bounded in size; a burst for one new pair makes it once."""

    def __init__(self, max_chars: int = DIFF_CACHE_CHARS) -> None:
        self.cache: BoundedCache[tuple[int, int, str], DiffView] = BoundedCache(
            max_chars, lambda view: view.size
        )
        self.makers = threading.BoundedSemaphore(MAKERS)

    def get(self, old: Version, new: Version, language: str) -> DiffView:
        """The view of ``old`` → ``new`` in ``language``, kept or made now (in a worker thread)."""
        return self.cache.get_or_make(
            (row_id(old), row_id(new), language), lambda: self._make(old, new, language)
        )

    def _make(self, old: Version, new: Version, language: str) -> DiffView:
        with self.makers:
            return make_view(old, new, language)
