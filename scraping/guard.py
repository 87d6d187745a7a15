"""SSRF guard: http(s) only, to hosts whose every address is public, connected at the checked address.

A host is resolved once per connection, inside httpcore's network backend, and that very address is
dialled: a DNS answer that changes between the check and the connection (rebinding) cannot reach
another address. The Host header, TLS SNI and certificate checks keep the URL's host name.
"""

import asyncio
import ipaddress
import socket
import ssl
import typing
from collections.abc import Awaitable, Callable
from urllib.parse import urljoin, urlsplit

import httpcore
import httpx

from scraping.errors import PermanentFetchError

ALLOWED_SCHEMES = frozenset({"http", "https"})
_MAX_URL_IN_MESSAGE = 120

_IPV4_COMPATIBLE = ipaddress.IPv6Network("::/96")  # ::a.b.c.d (deprecated, RFC 4291)
_IPV4_TRANSLATED = ipaddress.IPv6Network("::ffff:0:0:0/96")  # SIIT (RFC 2765)
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")  # the well-known NAT64 prefix (RFC 6052)
# Local-use NAT64 (RFC 8215): where the IPv4 address sits depends on the operator's prefix length,
# so the address it reaches cannot be known; it is never public.
_LOCAL_NAT64 = ipaddress.IPv6Network("64:ff9b:1::/48")
_LOW_32_BITS = (_IPV4_COMPATIBLE, _IPV4_TRANSLATED, _NAT64)


def embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address carries (mapped, compatible, translated, NAT64, 6to4), if any."""
    if ip.ipv4_mapped or ip.sixtofour:
        return ip.ipv4_mapped or ip.sixtofour
    if any(ip in network for network in _LOW_32_BITS):
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def is_public_address(address: str) -> bool:
    """True for a globally routable unicast address; an IPv6 form of an IPv4 address is judged by it."""
    ip: ipaddress.IPv4Address | ipaddress.IPv6Address = ipaddress.ip_address(address.split("%")[0])
    if isinstance(ip, ipaddress.IPv6Address):
        if ip in _LOCAL_NAT64:
            return False
        ip = embedded_ipv4(ip) or ip
    return ip.is_global and not ip.is_multicast


def shorten(url: str) -> str:
    """A URL short enough for a reason (a data: URL can be megabytes)."""
    return url if len(url) <= _MAX_URL_IN_MESSAGE else url[:_MAX_URL_IN_MESSAGE] + "…"


def scheme_refusal(url: str) -> str | None:
    """Why ``url`` is refused for its scheme (only http and https are fetched), or None."""
    scheme = urlsplit(url).scheme.lower()
    if scheme in ALLOWED_SCHEMES:
        return None
    return f"refused {shorten(url)}: only http(s) URLs are fetched, not {scheme or 'scheme-less'} URLs"


async def refuse_redirects_off_http(response: httpx.Response) -> None:
    """An httpx response hook: a redirect to anything but http(s) fails before httpx even parses it."""
    if not response.has_redirect_location:
        return
    if reason := scheme_refusal(urljoin(str(response.url), response.headers["location"])):
        raise PermanentFetchError(reason)


async def resolve(host: str, port: int) -> list[str]:
    """Every address ``host`` resolves to."""
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as error:
        raise PermanentFetchError(f"cannot resolve {host}: {error.strerror}") from None
    return [str(info[4][0]) for info in infos]


Resolver = Callable[[str, int], Awaitable[list[str]]]


class _Refused(Exception):
    """The guard refuses to connect; the transport adds the URL to the reason."""


class GuardedNetworkBackend(httpcore.AsyncNetworkBackend):
    """Resolves each host once, checks every address, and dials only the checked addresses."""

    def __init__(self, resolver: Resolver = resolve, *, allow_private_networks: bool = False) -> None:
        self.resolver = resolver
        self.allow_private_networks = allow_private_networks
        self._backend = httpcore.AnyIOBackend()

    async def checked_addresses(self, host: str, port: int) -> list[str]:
        """The addresses of ``host`` once; refused when any of them is not public (unless allowed)."""
        addresses = list(dict.fromkeys(await self.resolver(host, port)))
        if not addresses:
            raise PermanentFetchError(f"cannot resolve {host}: no address")
        private = [address for address in addresses if not is_public_address(address)]
        if private and not self.allow_private_networks:
            raise _Refused(
                f"{host} resolves to the non-public address {private[0]} "
                "(set ALLOW_PRIVATE_NETWORKS=true to allow it)"
            )
        return addresses

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: typing.Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        """Connect to the first checked address that answers; TLS still names ``host``."""
        failure: Exception | None = None
        for address in await self.checked_addresses(host, port):
            try:
                return await self._backend.connect_tcp(
                    address, port, timeout=timeout, local_address=local_address, socket_options=socket_options
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as error:
                failure = error
        assert failure is not None  # checked_addresses returns at least one address
        raise failure

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: typing.Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        """Never: the guard only dials TCP addresses it checked."""
        raise _Refused(f"a Unix socket ({path}) is not a public address")

    async def sleep(self, seconds: float) -> None:
        await self._backend.sleep(seconds)


class GuardedTransport(httpx.AsyncHTTPTransport):
    """httpx's transport over the guarded network backend: every request and redirect hop is checked."""

    def __init__(
        self,
        resolver: Resolver = resolve,
        *,
        allow_private_networks: bool = False,
        verify: ssl.SSLContext | bool = True,
    ) -> None:
        super().__init__(verify=verify)
        # httpx 0.28 cannot be given a network backend, so its pool is replaced by one built with
        # httpcore's public API. Fail closed should httpx ever stop keeping its pool in `_pool`.
        if not isinstance(getattr(self, "_pool", None), httpcore.AsyncConnectionPool):
            raise RuntimeError("httpx's transport changed: the SSRF guard cannot install its network backend")
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=httpx.create_ssl_context(verify=verify),
            network_backend=GuardedNetworkBackend(resolver, allow_private_networks=allow_private_networks),
        )

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if reason := scheme_refusal(str(request.url)):
            raise PermanentFetchError(reason)
        try:
            return await super().handle_async_request(request)
        except _Refused as refusal:
            raise PermanentFetchError(f"refused {shorten(str(request.url))}: {refusal}") from None
