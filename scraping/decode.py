"""Bytes to text: the HTTP header's charset, then the page's meta tag, then detection."""

import codecs
import re

from charset_normalizer import from_bytes

_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.IGNORECASE)
_HEADER_CHARSET = re.compile(r"""charset\s*=\s*["']?([A-Za-z0-9_.:-]+)""", re.IGNORECASE)
# gb2312 and gbk labels are, in practice, gb18030 (its superset): decode them as such, as browsers do.
_SUPERSETS = {
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "x-gbk": "gb18030",
    "euc-cn": "gb18030",
    "ascii": "utf-8",
}
_META_WINDOW = 64 * 1024
_DECODES_ANY_BYTES = {"iso8859-1", "iso8859-15", "cp1252"}


def _codec_name(label: str) -> str | None:
    """The Python codec for a charset label, widened to its superset; None when unknown."""
    try:
        name = codecs.lookup(label.strip().lower()).name
    except LookupError:
        return None
    return _SUPERSETS.get(name, name)


def charset_candidates(body: bytes, content_type: str | None) -> list[str]:
    """Codecs to try, in order: the header's, then the meta tag's (both only if Python knows them)."""
    labels = []
    if content_type and (match := _HEADER_CHARSET.search(content_type)):
        labels.append(match.group(1))
    if meta := _META_CHARSET.search(body[:_META_WINDOW]):
        labels.append(meta.group(1).decode("ascii", "replace"))
    names = [_codec_name(label) for label in labels]
    return list(dict.fromkeys(name for name in names if name))


def decode_with_charset(body: bytes, content_type: str | None) -> tuple[str, str]:
    """The text of a response body and the codec that read it; a label that does not fit is skipped."""
    if body.startswith(codecs.BOM_UTF8):
        return body[len(codecs.BOM_UTF8) :].decode("utf-8", "replace"), "utf-8"
    labelled = charset_candidates(body, content_type)
    # A single-byte Western label decodes any bytes without error, so it cannot prove itself: it is
    # only believed when neither UTF-8 nor detection fits (GBK pages served as iso-8859-1 are common).
    provable = [codec for codec in labelled if codec not in _DECODES_ANY_BYTES]
    for codec in dict.fromkeys([*provable, "utf-8"]):
        try:
            return body.decode(codec), codec
        except UnicodeDecodeError:
            continue
    best = from_bytes(body).best()
    detected = _codec_name(best.encoding) if best else None
    codec = detected or (labelled[0] if labelled else "utf-8")
    return body.decode(codec, "replace"), codec
