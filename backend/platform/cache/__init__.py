"""Best-effort cache-aside in Redis: a failure is a miss, never an error.

Read-your-writes without racing invalidations: each owner has a version counter that every write
bumps; cache keys embed the version, so the very next read from any process misses and reloads.
After a Redis failure the cache is skipped for `cooldown` seconds, so an outage costs one short
timeout, not one per request. If a bump cannot reach Redis, entries of the old version may be served
until their TTL ends once Redis is back (bounded staleness; see README).

On a Redis Cluster a lookup is one script over the namespace's version (`cv:<namespace>`), the entry
it names (`<namespace>:<version>:<suffix>`, built in the script) and the guard: the namespace must
hold the hash tag of the guard (`redis_client.tag(user_id)`: `apps:{<user id>}` with
`auth:stamp:{<user id>}`), so that all of them share a slot (docs/redis-cluster.md).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import structlog
from redis.asyncio import Redis
from redis.commands.core import AsyncScript
from redis.exceptions import ClusterDownError, NoScriptError, ResponseError

from backend.platform import redis_client
from backend.platform.cache.batch import Batcher

log = structlog.get_logger("career_copilot.cache")


# One round trip for a read: the namespace's version, and the entry stored under that version.
_LOOKUP = """
local version = redis.call('GET', KEYS[1]) or '0'
return {version, redis.call('GET', ARGV[1] .. version .. ARGV[2])}
"""

# A *guard* (a key whose value the caller compares, stored as ARGV[1] with TTL ARGV[2] when missing,
# so that a lost guard never reads as an unchanged one), and optionally an entry as in _LOOKUP.
_GUARDED_LOOKUP = """
local guard = redis.call('GET', KEYS[1])
if not guard then
  guard = ARGV[1]
  redis.call('SET', KEYS[1], guard, 'EX', ARGV[2])
end
if #KEYS == 1 then
  return {guard}
end
local version = redis.call('GET', KEYS[2]) or '0'
return {guard, version, redis.call('GET', ARGV[3] .. version .. ARGV[4])}
"""


@dataclass(frozen=True, slots=True)
class Hit:
    """What a lookup found: the entry `suffix` of `namespace` at its current `version`.
    `version` None: Redis was unavailable (store nothing); `entry` None: a miss."""

    namespace: str
    suffix: str
    version: int | None
    entry: bytes | None


@dataclass(frozen=True, slots=True)
class Guard:
    """A guard key to read with a lookup (see `Cache.guarded_lookup`)."""

    key: str
    value_if_missing: str
    ttl_seconds: int


class Cache:
    def __init__(self, redis: Redis, *, ttl_seconds: int = 120, cooldown_seconds: float = 5.0) -> None:
        self.redis = redis
        self.ttl = ttl_seconds
        self.cooldown = cooldown_seconds
        self._skip_until = 0.0
        self._lookup = redis.register_script(_LOOKUP)
        self._guarded_lookup = redis.register_script(_GUARDED_LOOKUP)
        self.batcher = Batcher(redis)  # the lookups (the hot path) of one loop turn go together

    async def aclose(self) -> None:
        await self.batcher.aclose()

    def _available(self) -> bool:
        return self.ttl > 0 and time.monotonic() >= self._skip_until

    def _failed(self, exc: BaseException) -> None:
        if self._available():
            log.warning("cache_unavailable", error=type(exc).__name__)
        self._skip_until = time.monotonic() + self.cooldown

    async def _run(self, script: AsyncScript, keys: Sequence[str], args: Sequence[str | int]) -> Any:
        """EVALSHA, batched with the other lookups of this loop turn (backend/platform/cache/batch.py).
        After a Redis restart (scripts gone) the script is run once through redis-py's loader."""
        try:
            return await self.batcher.execute("EVALSHA", script.sha, len(keys), *keys, *args)
        except NoScriptError:
            return await script(keys=keys, args=args)

    async def _answer(self, script: AsyncScript, keys: Sequence[str], args: Sequence[str | int]) -> Any | None:
        """The script's answer; None for a miss: Redis answered with an error (a key of the wrong
        type, out of memory: it is up, the cache stays on) or is unreachable (cooldown)."""
        try:
            return await self._run(script, keys, args)
        except ClusterDownError as exc:  # an error reply, but Redis is down (for this slot)
            self._failed(exc)
        except ResponseError as exc:
            log.warning("cache_error_reply", error=str(exc)[:100])
        except redis_client.ERRORS as exc:
            self._failed(exc)
        return None

    @staticmethod
    def key(namespace: str, version: int, suffix: str) -> str:
        return f"{namespace}:{version}:{suffix}"

    async def lookup(self, namespace: str, suffix: str) -> Hit:
        """The current version of `namespace` and its entry `suffix`, in one round trip."""
        if not self._available():
            return Hit(namespace, suffix, None, None)
        found = await self._answer(self._lookup, [f"cv:{namespace}"], [f"{namespace}:", f":{suffix}"])
        if found is None:
            return Hit(namespace, suffix, None, None)
        version, value = found
        return Hit(namespace, suffix, int(version), bytes(value) if value is not None else None)

    async def guarded_lookup(self, guard: Guard, want: tuple[str, str] | None) -> tuple[bytes | None, Hit | None]:
        """The guard's value, and the lookup of `want` (namespace, suffix) in the same round trip:
        the session check and the cached answer of a read cost one Redis command together.
        (None, None) when Redis is unavailable; the Hit is None when nothing is wanted or cached
        answers are off."""
        if time.monotonic() < self._skip_until:
            return None, None
        if want is not None and self.ttl <= 0:
            want = None
        keys: list[str] = [guard.key]
        args: list[str | int] = [guard.value_if_missing, guard.ttl_seconds]
        if want is not None:
            keys.append(f"cv:{want[0]}")
            args += [f"{want[0]}:", f":{want[1]}"]
        found = await self._answer(self._guarded_lookup, keys, args)
        if found is None:
            return None, None
        value = bytes(found[0])
        if want is None:
            return value, None
        entry = found[2] if len(found) > 2 else None
        return value, Hit(want[0], want[1], int(found[1]), bytes(entry) if entry is not None else None)

    async def set(self, key: str, value: bytes) -> None:
        if not self._available():
            return
        try:
            await self.redis.set(key, value, ex=self.ttl)
        except redis_client.ERRORS as exc:
            self._failed(exc)

    async def bump(self, namespace: str) -> None:
        """Invalidate every entry of `namespace` at once (they expire on their own)."""
        if self.ttl <= 0:
            return
        try:
            await self.redis.incr(f"cv:{namespace}")
        except redis_client.ERRORS as exc:
            self._failed(exc)
