"""Versions written straight into a database, as checks would have recorded them."""

from datetime import UTC, datetime

from analysis.dates import stated_dates
from storage.models import Document, Platform
from storage.versions import FetchFacts, record_text

OLD_AT = datetime(2025, 11, 10, 13, 38, tzinfo=UTC)
NEW_AT = datetime(2025, 12, 31, 2, 55, tzinfo=UTC)


def add_document(
    session, slug: str, name_zh: str, name_en: str, texts: list[tuple[datetime, str]], aliases: list[str] = ()
) -> None:
    """A platform with a privacy policy that went through ``texts``, each first seen at its time."""
    platform = Platform(slug=slug, name_zh=name_zh, name_en=name_en, aliases=list(aliases))
    session.add(platform)
    session.flush()
    document = Document(platform_id=platform.id, kind="privacy_policy", url=f"https://example.com/{slug}")
    session.add(document)
    session.flush()
    for at, text in texts:
        record_text(session, document, text, FetchFacts(document.url, 200), at, stated_dates(text))
