"""PDF documents to clean text, refusing output that is mostly undecodable glyphs."""

import io
import logging

from pypdf import PdfReader
from pypdf.errors import PdfReadError

from scraping.errors import ExtractError
from scraping.text import normalize_text

# A PDF whose fonts carry no Unicode mapping extracts as U+FFFD or "(cid:123)": not text to keep.
MAX_GARBAGE_SHARE = 0.01

logging.getLogger("pypdf").setLevel(logging.ERROR)  # it warns about every odd font, page by page


def _garbage_share(text: str) -> float:
    garbage = text.count("\ufffd") + 3 * text.count("(cid:")
    return garbage / max(1, len(text))


def extract_pdf(body: bytes) -> str:
    """The text of every page, one extracted line per line; raises ExtractError when unusable."""
    try:
        reader = PdfReader(io.BytesIO(body))
        if reader.is_encrypted and not reader.decrypt(""):
            raise ExtractError("the PDF is encrypted")
        raw = "\n".join(page.extract_text() or "" for page in reader.pages)
    except (PdfReadError, ValueError, KeyError) as error:
        raise ExtractError(f"not a readable PDF: {error}") from None
    if _garbage_share(raw) > MAX_GARBAGE_SHARE:
        raise ExtractError("the PDF's text is mostly undecodable glyphs (fonts without a Unicode map)")
    text = normalize_text(raw.splitlines())
    if not text:
        raise ExtractError("the PDF holds no extractable text (a scanned image?)")
    return text
