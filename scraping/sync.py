"""Loading the catalog into storage: new entries appear, missing ones retire, history stays."""

from dataclasses import dataclass, field
from datetime import datetime

from sqlmodel import Session, select

from scraping.catalog import Catalog, DocumentSpec, PlatformSpec
from scraping.tracking import rekey_user_documents
from storage.db import row_id
from storage.models import Document, Platform


@dataclass
class SyncReport:
    """What a sync changed, by platform slug and ``slug/kind`` for documents."""

    added: list[str] = field(default_factory=list)
    retired: list[str] = field(default_factory=list)


def _sync_platform(
    session: Session, spec: PlatformSpec, existing: Platform | None, report: SyncReport
) -> Platform:
    if existing is None:
        existing = Platform(slug=spec.slug, name_zh=spec.name.zh, name_en=spec.name.en)
        report.added.append(spec.slug)
    existing.name_zh, existing.name_en = spec.name.zh, spec.name.en
    existing.aliases = list(spec.aliases)
    existing.added_by_users = False  # a site people tracked first may join the catalog
    existing.retired_at = None
    session.add(existing)
    session.flush()
    return existing


def _sync_document(
    session: Session, platform: Platform, spec: DocumentSpec, existing: Document | None
) -> bool:
    """Create or update one document; True when it is new."""
    is_new = existing is None
    document = existing or Document(platform_id=row_id(platform), kind=spec.kind, url=spec.url)
    if document.url != spec.url:  # validators of the old URL say nothing about the new one
        document.url, document.etag, document.last_modified = spec.url, None, None
    document.options = spec.options().stored()
    document.added_by_users, document.url_key = False, None
    document.retired_at = None
    session.add(document)
    return is_new


def sync_catalog(session: Session, catalog: Catalog, now: datetime) -> SyncReport:
    """Make the platforms and documents in storage match the catalog, retiring (never deleting) the rest.

    What people added with /track is not the catalog's: it stays, and retires by itself (retire_untracked);
    its keys follow today's URL normalisation (rekey_user_documents).
    """
    report = SyncReport()
    platforms = {p.slug: p for p in session.exec(select(Platform))}
    documents = {(d.platform_id, d.kind): d for d in session.exec(select(Document))}
    kept: set[int | None] = set()
    for spec in catalog.platforms:
        platform = _sync_platform(session, spec, platforms.get(spec.slug), report)
        for document_spec in spec.documents:
            key = (row_id(platform), document_spec.kind)
            if _sync_document(session, platform, document_spec, documents.get(key)):
                report.added.append(f"{spec.slug}/{document_spec.kind}")
            kept.add(documents[key].id if key in documents else None)
    listed = {spec.slug for spec in catalog.platforms}
    for platform in platforms.values():
        if platform.slug not in listed and platform.retired_at is None and not platform.added_by_users:
            platform.retired_at = now
            report.retired.append(platform.slug)
    slugs = {platform.id: platform.slug for platform in platforms.values()}
    for document in documents.values():
        if document.id not in kept and document.retired_at is None and not document.added_by_users:
            document.retired_at = now
            report.retired.append(f"{slugs[document.platform_id]}/{document.kind}")
    session.flush()
    rekey_user_documents(session, now)
    return report
