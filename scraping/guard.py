"""SSRF guard: refuse hosts that resolve to loopback, private, link-local, multicast or reserved addresses."""

import asyncio
import ipaddress
import socket
from collections.abc import Awaitable, Callable

import httpx

from scraping.errors import PermanentFetchError

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


async def resolve(host: str, port: int) -> list[str]:
    """Every address ``host`` resolves to."""
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as error:
        raise PermanentFetchError(f"cannot resolve {host}: {error.strerror}") from None
    return [str(info[4][0]) for info in infos]


Resolver = Callable[[str, int], Awaitable[list[str]]]


class PublicOnlyTransport(httpx.AsyncHTTPTransport):
    """A transport that checks every request, redirects included, before connecting."""

    def __init__(self, resolver: Resolver = resolve) -> None:
        super().__init__()
        self.resolver = resolver

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        host = request.url.host
        port = request.url.port or (443 if request.url.scheme == "https" else 80)
        for address in await self.resolver(host, port):
            if not is_public_address(address):
                raise PermanentFetchError(
                    f"refused {request.url}: {host} resolves to the non-public address {address} "
                    "(set ALLOW_PRIVATE_NETWORKS=true to allow it)"
                )
        return await super().handle_async_request(request)
