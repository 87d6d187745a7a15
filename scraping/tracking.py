"""Where a tracked page belongs: the catalog document it already is, else a users' platform of its site."""

import re
from datetime import datetime

import yaml
from sqlmodel import Session, col, select

from scraping.urls import BadUrl, host_of, normalise_url, registrable_domain
from storage.db import row_id
from storage.models import Document, Platform, Subscriber
from storage.tracking import NewPlatform, add_user_document, document_at, merge_into, trackers, url_key

# What separates a page's own title from its site's name: "隐私政策 - 示例", "Privacy | Example".
_TITLE_SEPARATORS = re.compile(r"\s+[-|–—·:]\s+|\s*[|｜_]\s*")
_MAX_NAME = 60


def _without_scheme(url: str) -> str:
    return url.partition("://")[2]


def existing_document(session: Session, normalised_url: str) -> Document | None:
    """The document in service that a normalised URL names: one people added, or a catalog document.

    A catalog document matches only at its own address (normalised, http or https alike).
    """
    added = document_at(session, normalised_url)
    if added is not None:
        return added
    address = _without_scheme(normalised_url)
    for document in session.exec(
        select(Document).where(col(Document.retired_at).is_(None), ~col(Document.added_by_users))
    ):
        try:
            if _without_scheme(normalise_url(document.url)) == address:
                return document
        except ValueError:
            continue
    return None


def rekey_user_documents(session: Session, now: datetime) -> None:
    """Key every user-added document by today's normalisation; merge those that now name one page.

    Run at each start (by sync_catalog), so that a page tracked under an older normalisation (or before
    http and https were one page) is still found under any spelling. Of documents that now share a key,
    the one in service with the most trackers keeps it; the others' trackers move to it and they retire,
    history kept.
    """
    documents = session.exec(
        select(Document).where(col(Document.added_by_users), col(Document.url_key).is_not(None))
    ).all()  # one without a key was merged away before
    wanted: dict[str, list[Document]] = {}
    for document in documents:
        try:
            wanted.setdefault(url_key(normalise_url(document.url)), []).append(document)
        except BadUrl:
            continue  # stored before URLs were checked: it keeps its key
    changed = [(key, same) for key, same in wanted.items() if [d.url_key for d in same] != [key]]
    for _, same in changed:  # keys cleared first, so that no key is held twice on the way
        for document in same:
            document.url_key = None
            session.add(document)
    session.flush()
    for key, same in changed:
        kept, *others = sorted(
            same, key=lambda d: (d.retired_at is not None, -trackers(session, row_id(d)), d.id)
        )
        for other in others:
            merge_into(session, other, kept, now)
        kept.url_key = key
        session.add(kept)
        session.flush()


def site_platform(normalised_url: str, title: str | None) -> NewPlatform:
    """A platform named from the site: the site part of the page title when it has one, else the domain."""
    domain = registrable_domain(host_of(normalised_url))
    slug = re.sub(r"[^a-z0-9]+", "-", domain.lower()).strip("-")[:64] or "site"
    name = domain
    parts = [part.strip() for part in _TITLE_SEPARATORS.split(title or "") if part.strip()]
    if len(parts) >= 2 and len(parts[-1]) <= _MAX_NAME:
        name = parts[-1]
    return NewPlatform(slug=slug, name=name[:_MAX_NAME])


def add_tracked(
    session: Session,
    url: str,
    kind: str,
    now: datetime,
    added_by: Subscriber | None = None,
    added_by_user_id: int | None = None,
) -> Document:
    """The document people follow when they track ``url``: the existing one, else a new user-added one.

    ``url`` is normalised here (BadUrl when it cannot be). Only a catalog document's own address follows
    that document; any other page, even on a catalog platform's domain (many host pages anyone can
    make), goes to a platform of its site added by users, named from the domain, never from the page.
    A new document records ``added_by``, the chat whose /track created it, and ``added_by_user_id``, the
    person who pressed Track.
    """
    normalised = normalise_url(url)
    existing = existing_document(session, normalised)
    if existing is not None and not existing.added_by_users:
        return existing
    platform = site_platform(normalised, None)
    return add_user_document(session, normalised, kind, platform, now, added_by, added_by_user_id)


def promotion_snippet(platform: Platform, document: Document) -> str:
    """The catalog YAML promoting a user-added document (and its platform, if added by users)."""
    entry: dict[str, object] = {"kind": document.kind, "url": document.url}
    if not platform.added_by_users:
        listed = yaml.safe_dump([entry], allow_unicode=True, sort_keys=False, width=100)
        return f"# under the documents of {platform.slug}:\n{listed}"
    whole = {
        "slug": platform.slug,
        "name": {"zh": platform.name_zh, "en": platform.name_en},
        "aliases": list(platform.aliases),
        "documents": [entry],
    }
    return yaml.safe_dump([whole], allow_unicode=True, sort_keys=False, default_flow_style=False, width=100)
