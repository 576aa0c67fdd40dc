"""Best-effort cache-aside in Redis (SPEC §2 read path): a failure is a miss, never an error.

Read-your-writes without racing invalidations: each owner has a version counter that every write
bumps; cache keys embed the version, so the very next read from any process misses and reloads.
After a Redis failure the cache is skipped for `cooldown` seconds, so an outage costs one short
timeout, not one per request. If a bump cannot reach Redis, entries of the old version may be served
until their TTL ends once Redis is back (bounded staleness; see README).
"""

from __future__ import annotations

import time

import structlog
from redis.asyncio import Redis
from redis.exceptions import RedisError

log = structlog.get_logger("career_copilot.cache")


# One round trip for a read: the namespace's version, and the entry stored under that version.
_LOOKUP = """
local version = redis.call('GET', KEYS[1]) or '0'
return {version, redis.call('GET', ARGV[1] .. version .. ARGV[2])}
"""


class Cache:
    def __init__(self, redis: Redis, *, ttl_seconds: int = 120, cooldown_seconds: float = 5.0) -> None:
        self.redis = redis
        self.ttl = ttl_seconds
        self.cooldown = cooldown_seconds
        self._skip_until = 0.0
        self._lookup = redis.register_script(_LOOKUP)

    def _available(self) -> bool:
        return self.ttl > 0 and time.monotonic() >= self._skip_until

    def _failed(self, exc: BaseException) -> None:
        if self._available():
            log.warning("cache_unavailable", error=type(exc).__name__)
        self._skip_until = time.monotonic() + self.cooldown

    @staticmethod
    def key(namespace: str, version: int, suffix: str) -> str:
        return f"{namespace}:{version}:{suffix}"

    async def lookup(self, namespace: str, suffix: str) -> tuple[int | None, bytes | None]:
        """(current version, the entry `suffix` of that version) in one round trip; (None, None)
        when Redis is unavailable."""
        if not self._available():
            return None, None
        try:
            version, value = await self._lookup(keys=[f"cv:{namespace}"], args=[f"{namespace}:", f":{suffix}"])
        except (RedisError, OSError) as exc:
            self._failed(exc)
            return None, None
        return int(version), (bytes(value) if value is not None else None)

    async def set(self, key: str, value: bytes) -> None:
        if not self._available():
            return
        try:
            await self.redis.set(key, value, ex=self.ttl)
        except (RedisError, OSError) as exc:
            self._failed(exc)

    async def bump(self, namespace: str) -> None:
        """Invalidate every entry of `namespace` at once (they expire on their own)."""
        if self.ttl <= 0:
            return
        try:
            await self.redis.incr(f"cv:{namespace}")
        except (RedisError, OSError) as exc:
            self._failed(exc)
