"""Links into the web app, and whether Telegram accepts them in a URL button."""

import ipaddress
from dataclasses import dataclass
from urllib.parse import quote, urlsplit


def is_public_url(url: str) -> bool:
    """Telegram rejects URL buttons pointing at localhost, bare IP addresses or names without a dot."""
    parts = urlsplit(url)
    host = (parts.hostname or "").rstrip(".")
    if parts.scheme not in ("http", "https") or "." not in host or host.endswith(".localhost"):
        return False
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return True
    return False


@dataclass(frozen=True)
class Links:
    """Absolute URLs of the web pages, under PUBLIC_URL."""

    public_url: str

    @property
    def buttons_allowed(self) -> bool:
        return is_public_url(self.public_url)

    def _url(self, path: str) -> str:
        return self.public_url.rstrip("/") + path

    def platform(self, slug: str) -> str:
        return self._url(f"/p/{quote(slug)}")

    def diff(self, slug: str, kind: str, old_id: int, new_id: int) -> str:
        return self._url(f"/p/{quote(slug)}/{quote(kind)}/diff/{old_id}..{new_id}")

    def version(self, slug: str, kind: str, version_id: int, line: int | None = None) -> str:
        """A version's page, at line ``line`` (its anchor ``#L118``) when given."""
        return self._url(f"/p/{quote(slug)}/{quote(kind)}/v/{version_id}") + (f"#L{line}" if line else "")

    def report(self, slug: str, kind: str, old_id: int, new_id: int) -> str:
        return self.diff(slug, kind, old_id, new_id) + "#report"
