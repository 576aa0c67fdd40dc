"""Which addresses a user-supplied URL may reach (backend/platform/outbound/addresses.py)."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from backend.platform.outbound.addresses import Refused, Resolver, refusal, resolve

REFUSED = [
    "127.0.0.1", "127.255.255.254", "10.1.2.3", "172.16.0.1", "172.31.255.255", "192.168.1.1",
    "169.254.169.254",  # the cloud metadata service
    "100.64.0.1", "0.0.0.0", "224.0.0.1", "255.255.255.255", "192.0.2.10", "198.18.0.1",  # noqa: S104
    "::1", "::", "fc00::1", "fd12:3456::1", "fe80::1", "ff02::1", "2001:db8::1",
    "::ffff:127.0.0.1", "::ffff:169.254.169.254",  # IPv4-mapped
    "2002:7f00:1::",  # 6to4 of 127.0.0.1
    "64:ff9b::a9fe:a9fe",  # NAT64 of 169.254.169.254
    "2001:0:4136:e378:8000:63bf:80ff:fffe",  # Teredo whose client is 127.0.0.1
]  # fmt: skip
ALLOWED = ["93.184.215.14", "8.8.8.8", "172.32.0.1", "2606:4700:4700::1111", "::ffff:8.8.8.8", "64:ff9b::808:808"]


@pytest.mark.parametrize("address", REFUSED)
def test_every_range_of_the_servers_own_networks_is_refused(address: str) -> None:
    assert refusal(address) is not None


@pytest.mark.parametrize("address", ALLOWED)
def test_public_addresses_are_allowed(address: str) -> None:
    assert refusal(address) is None


def _answers(*addresses: str) -> Resolver:
    async def resolver(host: str, port: int) -> Sequence[str]:
        return addresses

    return resolver


async def test_a_name_is_refused_when_any_of_its_addresses_is() -> None:
    assert await resolve("jobs.example", 443, resolver=_answers("8.8.8.8")) == ["8.8.8.8"]
    with pytest.raises(Refused, match=r"10\.0\.0\.5"):
        await resolve("jobs.example", 443, resolver=_answers("8.8.8.8", "10.0.0.5"))  # rebinding-style mix
    with pytest.raises(Refused, match="does not resolve"):
        await resolve("jobs.example", 443, resolver=_answers())


async def test_the_real_resolver_refuses_localhost_unless_private_addresses_are_allowed() -> None:
    with pytest.raises(Refused, match="loopback"):
        await resolve("localhost", 80)
    assert set(await resolve("localhost", 80, allow_private=True)) <= {"127.0.0.1", "::1"}
    with pytest.raises(Refused, match="does not resolve"):
        await resolve("no-such-host.invalid", 80)
