"""One address per page: URLs that people type are normalised so that variants name one document."""

import unicodedata
from urllib.parse import unquote, urlsplit, urlunsplit

from yarl import URL

# Longer URLs are refused before anything else (a policy page's address is far shorter).
MAX_URL_LENGTH = 2048

_DEFAULT_PORTS = {"http": 80, "https": 443}

# Query parameters that say where a visitor came from, never which page it is.
_TRACKING_NAMES = {"spm", "from", "fbclid", "gclid", "igshid", "mc_cid", "mc_eid", "scm", "ref_src"}
_TRACKING_PREFIXES = ("utm_", "share")

# Second-level suffixes under which a site's own name is the third label from the right.
_SHARED_SUFFIXES = {
    "com.cn", "net.cn", "org.cn", "gov.cn", "edu.cn", "ac.cn",
    "com.hk", "com.tw", "org.tw", "com.sg", "com.au", "net.au", "org.au",
    "co.uk", "org.uk", "ac.uk", "co.jp", "ne.jp", "or.jp", "co.kr", "or.kr",
    "co.in", "co.nz", "com.br", "com.mx", "co.za", "com.tr", "com.my",
}  # fmt: skip


class BadUrl(ValueError):
    """Not an http(s) URL we may fetch; the message says why."""


def _is_tracking(name: str) -> bool:
    lowered = name.lower()
    return lowered in _TRACKING_NAMES or lowered.startswith(_TRACKING_PREFIXES)


def _is_plain_host(host: str, bracketed: bool) -> bool:
    """A host with one spelling: an IPv6 literal in brackets, or labels with no escapes and none empty.

    Escapes (``%65xample.com``, ``a.com%40b.com``) and empty labels name no host DNS knows, and a bracketed
    IPvFuture literal (``[v1.example]``) is not the host name inside it.
    """
    if bracketed:
        return ":" in host
    return "%" not in host and "" not in host.split(".")


def normalise_url(url: str) -> str:
    """The one spelling of ``url``: equivalent spellings (RFC 3986, section 6) and tracking dropped.

    Scheme and host lower-case, the host in IDNA (``例子.中国`` is ``xn--fsqu00a.xn--fiqs8s``) without a
    trailing dot, no default port, dot segments resolved, an empty path ``/``, escapes of unreserved
    characters decoded (``%70`` is ``p``) and the others upper-cased, other characters escaped as UTF-8,
    no fragment. yarl does this, and also decodes the escapes of delimiters that mean nothing where they
    stand (``%3B`` in a path, ``%2F`` in a query); ``%2F`` in a path and ``& = + #`` in a query stay
    escaped. Query parameters that only say where a visitor came from (``utm_*``, ``spm``, ``from``,
    ``share…``) are dropped; the others keep their order. Raises BadUrl for anything that is not an
    absolute http(s) URL with a host, or that holds credentials, whitespace, control characters or lone
    surrogates (yarl drops them: another path), or a host spelt with escapes or empty labels.
    """
    url = url.strip()
    if len(url) > MAX_URL_LENGTH:
        raise BadUrl(f"longer than {MAX_URL_LENGTH} characters")
    if any(char.isspace() or unicodedata.category(char) in ("Cc", "Cf", "Cs") for char in url):
        raise BadUrl("holds whitespace, control characters or lone surrogates")
    try:
        parts = urlsplit(url)
        port = parts.port
        parsed = URL(url)
    except (ValueError, UnicodeError) as error:
        raise BadUrl(f"not a valid URL ({error})") from None
    scheme = parts.scheme.lower()
    host = (parsed.raw_host or "").rstrip(".")
    if scheme not in _DEFAULT_PORTS or not host or port == 0:
        raise BadUrl("not an http(s) URL with a host")
    if parts.username is not None or parts.password is not None:
        raise BadUrl("holds a user name or password")
    if not _is_plain_host(host, bracketed="[" in parts.netloc):
        raise BadUrl("not a valid host name")
    if ":" in host:  # an IPv6 literal keeps its brackets
        host = f"[{host}]"
    netloc = host if port in (None, _DEFAULT_PORTS[scheme]) else f"{host}:{port}"
    query = "&".join(
        piece
        for piece in parsed.raw_query_string.split("&")
        if piece and not _is_tracking(unquote(piece.split("=")[0]))
    )
    return urlunsplit((scheme, netloc, parsed.raw_path or "/", query, ""))


def registrable_domain(host: str) -> str:
    """The part of a host a company registers: ``privacy.qq.com`` → ``qq.com``, ``a.b.com.cn`` → ``b.com.cn``.

    A small table of shared suffixes stands in for the public suffix list; an IP address is itself.
    """
    host = host.lower().strip("[]").rstrip(".")
    labels = host.split(".")
    if ":" in host or all(label.isdigit() for label in labels):
        return host
    keep = 3 if ".".join(labels[-2:]) in _SHARED_SUFFIXES else 2
    return ".".join(labels[-keep:])


def host_of(url: str) -> str:
    """The lower-case host of an URL (empty when it has none)."""
    return (urlsplit(url).hostname or "").lower().rstrip(".")
