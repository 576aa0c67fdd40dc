"""Fixed-window counters in Redis, for brute-force protection and per-user limits."""

from __future__ import annotations

from dataclasses import dataclass

from redis.asyncio import Redis


@dataclass(frozen=True)
class Window:
    key: str
    limit: int
    seconds: int


async def blocked_for(redis: Redis, windows: list[Window]) -> int:
    """Seconds until every window that reached its limit resets; 0 when none is exhausted."""
    async with redis.pipeline(transaction=False) as pipe:
        for window in windows:
            pipe.get(window.key)
            pipe.ttl(window.key)
        values = await pipe.execute()
    wait = 0
    for index, window in enumerate(windows):
        count, ttl = values[2 * index], values[2 * index + 1]
        if count is not None and int(count) >= window.limit:
            wait = max(wait, ttl if ttl and ttl > 0 else window.seconds)
    return wait


async def hit(redis: Redis, windows: list[Window]) -> None:
    """Count one event in every window (the first hit starts the window's clock)."""
    async with redis.pipeline(transaction=True) as pipe:
        for window in windows:
            # SET NX EX then INCR (which keeps the TTL): works on Redis 6.2, unlike EXPIRE NX.
            pipe.set(window.key, 0, ex=window.seconds, nx=True)
            pipe.incr(window.key)
        await pipe.execute()


async def reset(redis: Redis, keys: list[str]) -> None:
    if keys:
        await redis.delete(*keys)
