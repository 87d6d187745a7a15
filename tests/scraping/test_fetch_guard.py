"""Fetching through the SSRF guard: DNS pinned at every hop (issue 12, item 2), http(s) only (item 1)."""

import ssl
import subprocess
from pathlib import Path

import httpx
import pytest

from scraping.errors import PermanentFetchError, TransientFetchError
from scraping.fetch import fetch_url, make_client
from scraping.guard import GuardedTransport
from tests.pages import OLD_PAGE
from tests.servers import PUBLIC_A, PUBLIC_B, Page, PageServer, RebindingDns, TlsPageServer, on_host


async def test_a_host_rebinding_to_loopback_is_connected_at_the_address_that_was_checked(
    page_server, network
):
    network.routes[PUBLIC_A] = "127.0.0.1"  # the checked public address leads to the page server
    url = on_host(page_server.serve("/p", Page(OLD_PAGE)), "localhost")
    dns = RebindingDns("localhost", PUBLIC_A)
    async with make_client(resolver=dns) as client:
        fetched = await fetch_url(client, url)
    assert network.dialled_hosts() == {PUBLIC_A}, "connected somewhere the guard did not check"
    assert fetched.body == OLD_PAGE and dns.lookups == 1
    assert page_server.requests[0][1]["Host"] == httpx.URL(url).netloc.decode()


async def test_every_redirect_hop_is_connected_at_its_own_checked_address(page_server, network):
    network.routes.update({PUBLIC_A: "127.0.0.1", PUBLIC_B: "127.0.0.1"})
    with PageServer() as other:
        final = on_host(other.serve("/final", Page(OLD_PAGE)), "localhost")
        url = on_host(page_server.serve("/p", Page(status=302, headers={"Location": final})), "localhost")
        async with make_client(resolver=RebindingDns("localhost", PUBLIC_A, PUBLIC_B)) as client:
            fetched = await fetch_url(client, url)
        assert fetched.body == OLD_PAGE and other.hits("/final") == 1
    assert [host for host, _ in network.dials] == [PUBLIC_A, PUBLIC_B]


async def test_a_hop_rebinding_to_loopback_is_refused_before_connecting(page_server, network):
    network.routes[PUBLIC_A] = "127.0.0.1"
    with PageServer() as other:
        final = on_host(other.serve("/final", Page(OLD_PAGE)), "localhost")
        url = on_host(page_server.serve("/p", Page(status=302, headers={"Location": final})), "localhost")
        async with make_client(resolver=RebindingDns("localhost", PUBLIC_A)) as client:
            with pytest.raises(
                PermanentFetchError, match=r"localhost resolves to the non-public address 127\.0\.0\.1"
            ):
                await fetch_url(client, url)
        assert other.requests == []
    assert network.dialled_hosts() == {PUBLIC_A}


async def test_with_private_networks_allowed_the_resolved_address_is_still_the_one_connected(
    page_server, network
):
    url = on_host(page_server.serve("/p", Page(OLD_PAGE)), "policy.test")  # a name no system resolves

    async def dns(host: str, _port: int) -> list[str]:
        return ["127.0.0.1"] if host == "policy.test" else []

    async with make_client(allow_private_networks=True, resolver=dns) as client:
        fetched = await fetch_url(client, url)
    assert fetched.body == OLD_PAGE and network.dialled_hosts() == {"127.0.0.1"}
    assert page_server.requests[0][1]["Host"] == httpx.URL(url).netloc.decode()


def _certificate(directory: Path, name: str) -> tuple[Path, Path]:
    """A self-signed certificate for ``name`` (which is also its own authority), made by openssl."""
    certificate, key = directory / f"{name}.pem", directory / f"{name}.key"
    subprocess.run(
        [
            *(
                "openssl",
                "req",
                "-x509",
                "-newkey",
                "ec",
                "-pkeyopt",
                "ec_paramgen_curve:prime256v1",
                "-nodes",
            ),
            *("-keyout", str(key), "-out", str(certificate), "-days", "2", "-subj", f"/CN={name}"),
            *("-addext", f"subjectAltName=DNS:{name}", "-addext", "basicConstraints=critical,CA:TRUE"),
        ],
        check=True,
        capture_output=True,
    )
    return certificate, key


@pytest.mark.parametrize(("served_name", "works"), [("policy.test", True), ("other.test", False)])
async def test_tls_keeps_the_host_name_for_sni_and_the_certificate_check(tmp_path, served_name, works):
    certificate, key = _certificate(tmp_path, served_name)

    async def dns(_host: str, _port: int) -> list[str]:
        return ["127.0.0.1"]

    transport = GuardedTransport(dns, allow_private_networks=True, verify=_trusting(certificate))
    with TlsPageServer(certificate, key) as server:
        server.serve("/p", Page(OLD_PAGE))
        async with httpx.AsyncClient(transport=transport) as client:
            url = f"https://policy.test:{server.port}/p"
            if works:
                assert (await fetch_url(client, url)).body == OLD_PAGE
            else:
                with pytest.raises(TransientFetchError, match="certificate verify failed"):
                    await fetch_url(client, url)
        assert server.server_names == ["policy.test"]


def _trusting(certificate: Path) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=str(certificate))


@pytest.mark.parametrize("allow_private", [True, False])
async def test_a_redirect_to_a_local_file_is_refused_over_plain_http_too(page_server, network, allow_private):
    network.routes[PUBLIC_A] = "127.0.0.1"

    async def dns(_host: str, _port: int) -> list[str]:
        return [PUBLIC_A]

    url = page_server.serve("/p", Page(status=302, headers={"Location": "file:///etc/passwd"}))
    async with make_client(allow_private_networks=allow_private, resolver=dns) as client:
        with pytest.raises(PermanentFetchError, match="only http"):
            await fetch_url(client, url)
