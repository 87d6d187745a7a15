"""Raw responses kept once per document, zstd-compressed, most of them as a delta against a base snapshot."""

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

import zstandard
from sqlalchemy import delete, update
from sqlmodel import Session, col, select

from storage.models import Check, Snapshot, Version

# A delta larger than this share of its base's compressed size starts a new base (the page drifted).
NEW_BASE_RATIO = 0.5
ZSTD_LEVEL = 3

Retention = Literal["all", "versions"] | int  # "all", "versions", or days for snapshots no version uses


@dataclass(frozen=True)
class RawResponse:
    """A response body as it was fetched (decoded from any Content-Encoding), with what it came with."""

    body: bytes
    url: str
    content_type: str | None
    charset: str | None
    fetched_at: datetime

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.body).hexdigest()


def _dictionary(raw: bytes) -> zstandard.ZstdCompressionDict:
    return zstandard.ZstdCompressionDict(raw, dict_type=zstandard.DICT_TYPE_RAWCONTENT)


def _compress(body: bytes, base: bytes | None) -> bytes:
    dictionary = _dictionary(base) if base is not None else None
    return zstandard.ZstdCompressor(level=ZSTD_LEVEL, dict_data=dictionary).compress(body)


def _decompress(blob: bytes, base: bytes | None) -> bytes:
    dictionary = _dictionary(base) if base is not None else None
    return zstandard.ZstdDecompressor(dict_data=dictionary).decompress(blob)


def snapshot_body(session: Session, snapshot: Snapshot) -> bytes:
    """The raw bytes of a snapshot."""
    base = session.get(Snapshot, snapshot.base_id) if snapshot.base_id is not None else None
    return _decompress(snapshot.body, _decompress(base.body, None) if base is not None else None)


def _latest_base(session: Session, document_id: int) -> Snapshot | None:
    return session.exec(
        select(Snapshot)
        .where(Snapshot.document_id == document_id, col(Snapshot.base_id).is_(None))
        .order_by(col(Snapshot.id).desc())
        .limit(1)
    ).first()


def _packed(session: Session, document_id: int, body: bytes) -> tuple[bytes, int | None]:
    """``body`` compressed against the document's latest base when that pays, else alone."""
    base = _latest_base(session, document_id)
    if base is not None:
        delta = _compress(body, _decompress(base.body, None))
        if len(delta) <= NEW_BASE_RATIO * len(base.body):
            return delta, base.id
    return _compress(body, None), None


def store_snapshot(session: Session, document_id: int, raw: RawResponse) -> Snapshot:
    """The snapshot of ``raw``: the stored one when these bytes were fetched before, else a new one."""
    sha256 = raw.sha256
    snapshot = session.exec(
        select(Snapshot).where(Snapshot.document_id == document_id, Snapshot.sha256 == sha256)
    ).first()
    if snapshot is not None:
        snapshot.last_fetched_at = raw.fetched_at
        return snapshot
    body, base_id = _packed(session, document_id, raw.body)
    snapshot = Snapshot(
        document_id=document_id,
        sha256=sha256,
        size=len(raw.body),
        body=body,
        base_id=base_id,
        url=raw.url,
        content_type=raw.content_type,
        charset=raw.charset,
        fetched_at=raw.fetched_at,
        last_fetched_at=raw.fetched_at,
    )
    session.add(snapshot)
    session.flush()
    return snapshot


def raw_response(session: Session, snapshot: Snapshot) -> RawResponse:
    """A stored snapshot as the response it was."""
    return RawResponse(
        snapshot_body(session, snapshot),
        snapshot.url,
        snapshot.content_type,
        snapshot.charset,
        snapshot.fetched_at,
    )


def reference_snapshot(session: Session, version: Version) -> Snapshot | None:
    """The latest stored response that read as ``version``: what a change of rules is re-read from."""
    latest = session.exec(
        select(Snapshot)
        .join(Check, col(Check.snapshot_id) == col(Snapshot.id))
        .where(Check.document_id == version.document_id, Check.version_id == version.id)
        .order_by(col(Check.id).desc())
        .limit(1)
    ).first()
    if latest is None and version.snapshot_id is not None:
        return session.get(Snapshot, version.snapshot_id)
    return latest


def _ids(rows: Iterable[int | None]) -> set[int]:
    return {row for row in rows if row is not None}


def _kept_ids(session: Session, document_id: int, retention: Retention, now: datetime) -> set[int]:
    """The snapshots the retention keeps: those versions use, recent ones, and the bases of both."""
    kept = _ids(session.exec(select(col(Version.snapshot_id)).where(Version.document_id == document_id)))
    if isinstance(retention, int):
        since = now - timedelta(days=retention)
        recent = select(col(Snapshot.id)).where(
            Snapshot.document_id == document_id, Snapshot.last_fetched_at >= since
        )
        kept |= _ids(session.exec(recent))
    return kept | _ids(session.exec(select(col(Snapshot.base_id)).where(col(Snapshot.id).in_(kept))))


def prune_snapshots(session: Session, document_id: int, retention: Retention, now: datetime) -> int:
    """Delete a document's snapshots that ``retention`` does not keep; returns how many."""
    if retention == "all":
        return 0
    kept = _kept_ids(session, document_id, retention, now)
    doomed = list(
        session.exec(
            select(Snapshot.id).where(Snapshot.document_id == document_id, col(Snapshot.id).not_in(kept))
        )
    )
    if doomed:
        session.execute(update(Check).where(col(Check.snapshot_id).in_(doomed)).values(snapshot_id=None))
        session.execute(delete(Snapshot).where(col(Snapshot.id).in_(doomed)))
    return len(doomed)
