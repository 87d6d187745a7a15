"""A change at a glance: its severity and headline, from a stored report, else from the automatic report.

Lists of changes (home, a platform's timeline, the weekly page) and link previews show a change as
"运营主体变更 · 轻微". A model's stored report is preferred in either language (the page's first), as on
the diff page; without one the automatic report in the page's language is used, stored or made here from
the diff (kept in memory: versions never change). Nothing here ever asks the model.
"""

import threading
from collections.abc import Iterable
from dataclasses import dataclass
from functools import partial

from sqlmodel import Session, col, select

from analysis.diff import build_diff
from analysis.report import fallback_report
from i18n import LANGUAGES
from kinds import Severity
from storage.models import Report, Version
from storage.reports import Pair, best_reports
from web.cache import BoundedCache

SUMMARIES_KEPT = 50_000  # automatic summaries kept: a few hundred bytes each
MAKERS = 1  # diffs made at once for summaries (pure Python: see web.diff_view.MAKERS)


@dataclass(frozen=True)
class Summary:
    severity: Severity
    headline: str
    is_automatic: bool


def _stored(report: Report | None, language: str) -> Summary | None:
    """The summary a stored report gives in ``language``: a model's in any language, an automatic one in
    ``language`` only (made again in the page's language otherwise); None for a body not shaped so."""
    if report is None or (report.is_automatic and report.language != language):
        return None
    body = report.body
    severity, headline = body.get("severity"), body.get("headline")
    if severity not in set(Severity) or not isinstance(headline, str) or not headline.strip():
        return None
    return Summary(Severity(severity), headline, report.is_automatic)


def automatic_summary(old: str, new: str, language: str) -> Summary:
    """What the automatic report of ``old`` → ``new`` says at a glance, in ``language``."""
    report = fallback_report(build_diff(old, new), old, new, language)
    return Summary(report.severity, report.headline, True)


class Summaries:
    """Summaries of changes, many at once; automatic ones are made once per pair and language."""

    def __init__(self, kept: int = SUMMARIES_KEPT) -> None:
        self.cache: BoundedCache[tuple[Pair, str], Summary] = BoundedCache(kept, lambda _summary: 1)
        self.makers = threading.BoundedSemaphore(MAKERS)

    def of(self, session: Session, pairs: Iterable[Pair], language: str) -> dict[Pair, Summary]:
        """The summary of each pair (old version id, new version id) in ``language``."""
        wanted = list(dict.fromkeys(pairs))
        languages = (language, *(other for other in LANGUAGES if other != language))
        stored = best_reports(session, wanted, languages)
        found: dict[Pair, Summary] = {}
        for pair in wanted:
            summary = _stored(stored.get(pair), language) or self.cache.kept((pair, language))
            if summary is not None:
                found[pair] = summary
        missing = [pair for pair in wanted if pair not in found]
        texts = _texts(session, {version for pair in missing for version in pair})
        for pair in missing:
            old, new = texts.get(pair[0]), texts.get(pair[1])
            if old is not None and new is not None:
                found[pair] = self.cache.get_or_make(
                    (pair, language), partial(self._make, old, new, language)
                )
        return found

    def remember(self, pair: Pair, language: str, automatic: Summary) -> None:
        """Keep an automatic summary made elsewhere (the diff page's automatic report)."""
        self.cache.get_or_make((pair, language), lambda: automatic)

    def _make(self, old: str, new: str, language: str) -> Summary:
        with self.makers:
            return automatic_summary(old, new, language)


def _texts(session: Session, ids: set[int]) -> dict[int, str]:
    """The texts of versions, read as plain columns (the pages' versions were loaded without them)."""
    if not ids:
        return {}
    rows = session.exec(select(Version.id, Version.text).where(col(Version.id).in_(sorted(ids))))
    return {version_id: text for version_id, text in rows if version_id is not None}
