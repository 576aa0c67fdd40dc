"""backend.platform.ratelimit.take on a real Redis: refusals name a usable Retry-After."""

from __future__ import annotations

import redis.asyncio as aioredis

from backend.platform import ratelimit


async def test_a_full_window_without_a_ttl_gets_one_back_instead_of_refusing_forever(redis: aioredis.Redis) -> None:
    window = ratelimit.Window("rl:test:no-ttl", limit=2, seconds=30)
    await redis.set(window.key, 2)  # full, and (say, after a restore) without an expiry
    assert await ratelimit.take(redis, [window]) == 30
    assert 0 < await redis.ttl(window.key) <= 30


async def test_retry_after_is_never_zero_in_the_last_second(redis: aioredis.Redis) -> None:
    window = ratelimit.Window("rl:test:last-second", limit=1, seconds=30)
    await redis.set(window.key, 1, px=400)  # under a second left: TTL reads 0
    assert await ratelimit.take(redis, [window]) == 1


async def test_a_refused_event_is_not_counted_and_an_admitted_one_is(redis: aioredis.Redis) -> None:
    windows = [ratelimit.Window("rl:test:a", 2, 60), ratelimit.Window("rl:test:b", 5, 60)]
    assert [await ratelimit.take(redis, windows) for _ in range(3)][:2] == [0, 0]
    assert [int(await redis.get(w.key) or 0) for w in windows] == [2, 2]  # the third was refused, uncounted
