"""IPv6 addresses that carry an IPv4 address are judged by that IPv4 address (issue 12, item 4)."""

import pytest

from scraping.errors import PermanentFetchError
from scraping.fetch import fetch_url, make_client
from scraping.guard import is_public_address

# Each form with the IPv4 address it carries: loopback, private, link-local (cloud metadata), public.
CARRIERS = {
    "IPv4-compatible ::a.b.c.d": "::{}",
    "IPv4-mapped ::ffff:a.b.c.d": "::ffff:{}",
    "IPv4-translated ::ffff:0:a.b.c.d": "::ffff:0:{}",
    "NAT64 64:ff9b::/96": "64:ff9b::{}",
}
NON_PUBLIC_IPV4 = ["127.0.0.1", "10.1.2.3", "192.168.1.1", "169.254.169.254", "100.64.0.1", "0.0.0.0"]
PUBLIC_IPV4 = ["8.8.8.8", "93.184.216.34"]


def six_to_four(ipv4: str) -> str:
    """The 6to4 address (2002::/16) of ``ipv4``: its 32 bits right after the prefix."""
    a, b, c, d = (int(part) for part in ipv4.split("."))
    return f"2002:{a:02x}{b:02x}:{c:02x}{d:02x}::1"


@pytest.mark.parametrize("ipv4", NON_PUBLIC_IPV4)
@pytest.mark.parametrize("form", CARRIERS.values(), ids=CARRIERS.keys())
def test_an_ipv6_form_of_a_non_public_ipv4_address_is_not_public(form, ipv4):
    assert not is_public_address(form.format(ipv4))


@pytest.mark.parametrize("ipv4", PUBLIC_IPV4)
@pytest.mark.parametrize("form", CARRIERS.values(), ids=CARRIERS.keys())
def test_an_ipv6_form_of_a_public_ipv4_address_is_public(form, ipv4):
    assert is_public_address(form.format(ipv4))


@pytest.mark.parametrize("ipv4", NON_PUBLIC_IPV4)
def test_a_6to4_address_of_a_non_public_ipv4_address_is_not_public(ipv4):
    assert not is_public_address(six_to_four(ipv4))


@pytest.mark.parametrize("ipv4", PUBLIC_IPV4)
def test_a_6to4_address_of_a_public_ipv4_address_is_public(ipv4):
    assert is_public_address(six_to_four(ipv4))


@pytest.mark.parametrize("ipv4", ["127.0.0.1", "8.8.8.8"])
def test_local_use_nat64_is_never_public_since_where_it_leads_is_the_operators_choice(ipv4):
    assert not is_public_address(f"64:ff9b:1::{ipv4}")


@pytest.mark.parametrize(
    ("address", "public"),
    [
        ("2606:4700:4700::1111", True),
        ("8.8.8.8", True),
        ("::1", False),
        ("::", False),
        ("fe80::1%eth0", False),
    ],
)
def test_plain_addresses_keep_their_verdict(address, public):
    assert is_public_address(address) is public


@pytest.mark.parametrize("address", ["::127.0.0.1", "64:ff9b::7f00:1", "2002:7f00:1::1", "::ffff:0:a01:203"])
async def test_a_host_resolving_to_a_hidden_ipv4_loopback_is_refused_before_any_dial(address, network):
    async def resolver(_host: str, _port: int) -> list[str]:
        return [address]

    async with make_client(resolver=resolver) as client:
        with pytest.raises(PermanentFetchError, match=f"non-public address {address}"):
            await fetch_url(client, "http://policy.example/privacy")
    assert network.dials == []
