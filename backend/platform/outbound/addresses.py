"""Which network addresses a user-supplied URL may reach, and resolving a host name once.

A server that fetches URLs for its users must not become their way into its own network (SSRF):
loopback, the private ranges, link-local (the cloud metadata service at 169.254.169.254 lives
there), carrier-grade NAT, multicast, reserved and unspecified addresses are refused, in IPv4 and in
IPv6 (including IPv4 addresses embedded in IPv6: mapped, 6to4, NAT64, Teredo). The host name is
resolved once and every address it resolves to is checked; the caller then connects to one of those
addresses, never resolving the name again (a DNS answer that changes between the check and the
connect cannot redirect it). `allow_private` lifts the check, for development and tests only.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Awaitable, Callable, Sequence

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
# (host, port) -> the addresses it resolves to; the event loop's getaddrinfo by default
Resolver = Callable[[str, int], Awaitable[Sequence[str]]]

_REFUSED_V4 = tuple(
    ipaddress.IPv4Network(net)
    for net in (
        "0.0.0.0/8",  # "this network", unspecified
        "10.0.0.0/8",  # private
        "100.64.0.0/10",  # carrier-grade NAT (shared address space)
        "127.0.0.0/8",  # loopback
        "169.254.0.0/16",  # link-local, the cloud metadata service
        "172.16.0.0/12",  # private
        "192.0.0.0/24",  # IETF protocol assignments
        "192.0.2.0/24",  # documentation
        "192.88.99.0/24",  # 6to4 relay anycast
        "192.168.0.0/16",  # private
        "198.18.0.0/15",  # benchmarking
        "198.51.100.0/24",  # documentation
        "203.0.113.0/24",  # documentation
        "224.0.0.0/4",  # multicast
        "240.0.0.0/4",  # reserved, broadcast
    )
)
_REFUSED_V6 = tuple(
    ipaddress.IPv6Network(net)
    for net in (
        "::/128",  # unspecified
        "::1/128",  # loopback
        "100::/64",  # discard
        "2001:db8::/32",  # documentation
        "fc00::/7",  # unique local (private)
        "fe80::/10",  # link-local
        "fec0::/10",  # site-local (deprecated)
        "ff00::/8",  # multicast
    )
)
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")


class Refused(ValueError):
    """A destination the server will not reach; the message says which address and why."""


def refusal(address: str | IPAddress) -> str | None:
    """Why the server must not connect to `address`, or None when it may."""
    ip = ipaddress.ip_address(address) if isinstance(address, str) else address
    if isinstance(ip, ipaddress.IPv6Address):
        embedded = _embedded_v4(ip)
        if embedded is not None:
            reason = refusal(embedded)
            return f"{ip} carries {embedded}: {reason}" if reason else None
        for net6 in _REFUSED_V6:
            if ip in net6:
                return f"{ip} is in {net6} ({_kind(net6)})"
        return None
    for net4 in _REFUSED_V4:
        if ip in net4:
            return f"{ip} is in {net4} ({_kind(net4)})"
    return None


def _embedded_v4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 one stands for (mapped, 6to4, NAT64, Teredo client), if any."""
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip.teredo is not None:
        return ip.teredo[1]
    if ip in _NAT64:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def _kind(net: ipaddress.IPv4Network | ipaddress.IPv6Network) -> str:
    if net.is_loopback:
        return "loopback"
    if net.is_link_local:
        return "link-local"
    if net.is_multicast:
        return "multicast"
    if net.is_private:
        return "private or reserved"
    return "reserved"


async def _getaddrinfo(host: str, port: int) -> Sequence[str]:
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [str(info[4][0]) for info in infos]


async def resolve(host: str, port: int, *, allow_private: bool = False, resolver: Resolver | None = None) -> list[str]:
    """Every address `host` resolves to, once; Refused when it resolves to nothing or when any of
    them is refused (a name with one public and one private address is refused as a whole)."""
    try:
        found = await (resolver or _getaddrinfo)(host, port)
    except (OSError, UnicodeError) as exc:
        raise Refused(f"{host} does not resolve ({exc})") from None
    addresses = list(dict.fromkeys(str(ipaddress.ip_address(a.split("%", 1)[0])) for a in found))
    if not addresses:
        raise Refused(f"{host} does not resolve")
    if not allow_private:
        for address in addresses:
            if (reason := refusal(address)) is not None:
                raise Refused(f"{host} resolves to a refused address: {reason}")
    return addresses
