"""The rules a document is read with, their fingerprint, and reading a raw response with them."""

import hashlib
import json
from dataclasses import asdict, dataclass
from typing import Self

from sqlmodel import Session

from scraping.catalog import DocumentOptions
from scraping.extract import extract_with_charset
from scraping.noise import compile_ignore, strip_noise
from storage.db import row_id
from storage.models import Version
from storage.snapshots import RawResponse, raw_response, reference_snapshot
from storage.versions import ReadFrom

# Bump it whenever extraction can give another text for the same page and rules (scraping/extract.py,
# decode.py, pdf.py, text.py, noise.py): the next check of each document then records the new reading
# as a technical version instead of announcing a change of the policy.
EXTRACTOR_VERSION = 4


@dataclass(frozen=True)
class Rules:
    """A document's catalog rules that shape its text: ``select``, ``remove``, ``ignore``, ``render``."""

    select: tuple[str, ...] = ()
    remove: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    render: str = "http"

    @classmethod
    def of(cls, options: DocumentOptions) -> Self:
        """The rules among a document's catalog options."""
        return cls(tuple(options.select), tuple(options.remove), tuple(options.ignore), options.render)

    @property
    def fingerprint(self) -> str:
        """The SHA-256 of these rules and EXTRACTOR_VERSION: equal fingerprints read a page alike."""
        payload = json.dumps({**asdict(self), "extractor": EXTRACTOR_VERSION}, sort_keys=True)
        return hashlib.sha256(payload.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class KnownReading:
    """A text and what it was read from: the response (its SHA-256, content type, charset) and the rules."""

    text: str
    sha256: str
    content_type: str | None
    charset: str | None
    fingerprint: str

    def is_reading_of(self, body: bytes, content_type: str | None, rules: Rules) -> bool:
        """``body`` is that very response, to be read with the same rules (so it reads as ``text``)."""
        return (
            self.fingerprint == rules.fingerprint
            and self.content_type == content_type
            and hashlib.sha256(body).hexdigest() == self.sha256
        )


def known_reading(version: Version | None, source: ReadFrom | None) -> KnownReading | None:
    """How a version was first read: its text, from the response ``source``, with its own rules."""
    if version is None or source is None:
        return None
    return KnownReading(version.text, source.sha256, source.content_type, source.charset, version.fingerprint)


def read_text(
    body: bytes, content_type: str | None, rules: Rules, known: KnownReading | None = None
) -> tuple[str, str | None]:
    """The clean text of a response body read with ``rules``, and the charset it was decoded with.

    The text depends only on the bytes, the content type and the rules, so the body ``known`` was read
    from is not read again with the same rules: most checks fetch the very bytes they saw last time.
    """
    if known is not None and known.is_reading_of(body, content_type, rules):
        return known.text, known.charset
    text, charset = extract_with_charset(body, content_type, list(rules.select), list(rules.remove))
    return strip_noise(text, compile_ignore(rules.ignore)), charset


def reread(raw: RawResponse, rules: Rules) -> str:
    """A stored response's text as ``rules`` read it today."""
    return read_text(raw.body, raw.content_type, rules)[0]


def reread_version(session: Session, version: Version, rules: Rules) -> tuple[str, int] | None:
    """A version's text as ``rules`` read its latest stored response today, and that snapshot's id.

    None when no stored response read as it (a version recorded before snapshots, or pruned).
    Raises ExtractError when today's rules cannot read that response at all.
    """
    snapshot = reference_snapshot(session, version)
    if snapshot is None:
        return None
    return reread(raw_response(session, snapshot), rules), row_id(snapshot)
