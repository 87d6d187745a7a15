"""Versions written straight into a database, as checks would have recorded them."""

from datetime import UTC, datetime

from sqlmodel import Session, col, select

from analysis.dates import stated_dates
from analysis.diff import build_diff
from storage.models import Document, Platform, Version
from storage.versions import ChangeSize, FetchFacts, record_text, versions_of
from tests.pages import SEED_NEW, SEED_OLD, seed_text

OLD_AT = datetime(2025, 11, 10, 13, 38, tzinfo=UTC)
NEW_AT = datetime(2025, 12, 31, 2, 55, tzinfo=UTC)


def new_document(
    session: Session,
    slug: str = "zeekr",
    name_zh: str = "极氪",
    name_en: str = "ZEEKR",
    aliases: list[str] = (),
    url: str | None = None,
) -> Document:
    """A platform with a privacy policy that has no version yet."""
    platform = Platform(slug=slug, name_zh=name_zh, name_en=name_en, aliases=list(aliases))
    session.add(platform)
    session.flush()
    document = Document(
        platform_id=platform.id, kind="privacy_policy", url=url or f"https://example.com/{slug}"
    )
    session.add(document)
    session.flush()
    return document


def add_document(
    session, slug: str, name_zh: str, name_en: str, texts: list[tuple[datetime, str]], aliases: list[str] = ()
) -> None:
    """A platform with a privacy policy that went through ``texts``, each first seen at its time."""
    document = new_document(session, slug, name_zh, name_en, aliases)
    for at, text in texts:
        record_text(session, document, text, FetchFacts(document.url, 200), at, stated_dates(text))


def document_of_slug(session: Session, slug: str) -> Document:
    """The privacy policy of the platform ``slug``."""
    return session.exec(
        select(Document)
        .join(Platform, col(Platform.id) == col(Document.platform_id))
        .where(Platform.slug == slug)
    ).one()


def add_measured_pair(
    session: Session, slug: str, name_zh: str, name_en: str, old: str, new: str, aliases: list[str] = ()
) -> Document:
    """A platform whose policy changed from ``old`` to ``new``, its size stored as the checker stores it."""
    add_document(session, slug, name_zh, name_en, [(OLD_AT, old)], aliases)
    document = document_of_slug(session, slug)
    size = ChangeSize.of(build_diff(old, new).stats)
    record_text(session, document, new, FetchFacts(document.url, 200), NEW_AT, stated_dates(new), size=size)
    return document


def add_seed_pair(session: Session) -> tuple[Version, Version]:
    """zeekr (极氪) with the seed policy's two versions, first seen 2025-11-10 and 2025-12-31."""
    old, new = seed_text(SEED_OLD), seed_text(SEED_NEW)
    document = add_measured_pair(session, "zeekr", "极氪", "ZEEKR", old, new, ["jike", "极氪汽车"])
    first, second = versions_of(session, document.id)
    return first, second
