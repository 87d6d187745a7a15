"""SSRF guard: refuse hosts that resolve to loopback, private, link-local, multicast or reserved addresses."""

import asyncio
import ipaddress
import socket
from collections.abc import Awaitable, Callable

import httpx

from scraping.errors import PermanentFetchError


def is_public_address(address: str) -> bool:
    """True for a globally routable unicast address."""
    ip = ipaddress.ip_address(address.split("%")[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
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
