"""Redis error classes shared by the broker and its helpers (client options: backend.platform.redis_client)."""

from __future__ import annotations

from redis.asyncio import ResponseError
from redis.exceptions import BusyLoadingError, RedisClusterException
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

# What a Redis restart or failover looks like to a client; NOGROUP (data lost) is a ResponseError.
# On a cluster, "no node answers" and a stale slot map raise RedisClusterException (not a RedisError).
OUTAGES = (RedisConnectionError, RedisTimeoutError, BusyLoadingError, ResponseError, RedisClusterException, OSError)


class StreamFull(Exception):
    """A send was refused: the task stream already holds its cap of unfinished entries (backpressure).

    Nothing was written. The outbox relay keeps the row pending and tries again; a direct `kiq()`
    caller gets it as the cause of taskiq's SendTaskError.
    """
