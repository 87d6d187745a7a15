"""Normalizing extracted text: one clean paragraph per line, Unicode folded without changing wording."""

import re
import unicodedata
from collections.abc import Iterable

from analysis.disguise import strip_disguises

_ZERO_WIDTH = re.compile("[\u200b\u200c\u200d\u2060\ufeff\u00ad]")


def normalize_line(line: str) -> str:
    """NFKC (full-width forms, NBSP, ideographic space), no zero-width, bidi or tag characters, one space."""
    line = strip_disguises(unicodedata.normalize("NFKC", _ZERO_WIDTH.sub("", line)))
    return " ".join(line.split())  # str.split's whitespace is exactly what \s matches in a str pattern


def normalize_text(lines: Iterable[str]) -> str:
    """Normalize each line; keep single blank lines between paragraphs, none at the ends."""
    kept: list[str] = []
    for line in lines:
        clean = normalize_line(line)
        if clean or (kept and kept[-1]):
            kept.append(clean)
    while kept and not kept[-1]:
        kept.pop()
    return "\n".join(kept)
