"""Redis clients that survive a Redis restart (api, workers, scheduler), on one Redis or a cluster.

With `REDIS_CLUSTER=true` every client is redis-py's cluster client on the nodes `REDIS_URL` names
(one or several seeds, `redis://a:7000,b:7001/0`; it discovers the rest), typed as `Redis`: both
offer the same command API. Each process calls `configure(settings.redis)` once at start; from then
on `connect*` build cluster clients and `tag` wraps the part of a key that must share a slot with its
siblings in a hash tag (`{…}`), so a Lua script or a transaction touching several keys of one user
stays on one node. On one Redis `tag` returns its argument unchanged: the keys of a running
deployment keep their names.
"""

from __future__ import annotations

from typing import Any, cast

import redis.asyncio as aioredis
from redis.asyncio.cluster import ClusterNode, RedisCluster
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialWithJitterBackoff, NoBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisClusterException, RedisError
from redis.exceptions import TimeoutError as RedisTimeoutError

from backend.settings import redis_seeds as seeds

_cluster = False

# What a Redis command can raise when Redis fails: a `RedisError`, on a cluster also a
# `RedisClusterException` (no node reachable, a slot no node serves), which is not one, and `OSError`.
ERRORS: tuple[type[Exception], ...] = (RedisError, RedisClusterException, OSError)


def configure(settings: Any) -> None:
    """Set this process's topology from `RedisSettings` (its `cluster` flag); call once at start."""
    global _cluster
    _cluster = bool(settings.cluster)


def is_cluster() -> bool:
    """True when this process talks to a Redis Cluster (`REDIS_CLUSTER`)."""
    return _cluster


def tag(part: object) -> str:
    """`part` as the hash tag of a key on a cluster (`{part}`: keys with the same tag share a slot),
    unchanged on one Redis."""
    return f"{{{part}}}" if _cluster else str(part)


def cluster_client(url: str, max_connections: int, **options: Any) -> aioredis.Redis:
    """A cluster client on the nodes `url` names (no I/O until first use), typed as `Redis`.

    Several seeds let a process start while one of them is down (measured: a worker given the one
    node that was being failed over never found the cluster, and ran no task); once connected, the
    client learns every node from the slot map.

    `reinitialize_steps=0`: redis-py 8.1 re-reads the whole slot map after every 5th MOVED answer by
    closing *every* connection of the client, the ones carrying other commands included (measured:
    50 concurrent first commands on a fresh client got 141 errors, and scripts that had run were
    retried and ran twice). With 0 a MOVED answer only updates the one slot; a lost node still makes
    the client re-read the map (its connection errors do)."""
    first, others = seeds(url)
    startup = [ClusterNode(host, port) for host, port in others] or None
    client = RedisCluster.from_url(
        first, startup_nodes=startup, max_connections=max_connections, reinitialize_steps=0, **options
    )
    return cast(aioredis.Redis, client)


def resilient_options() -> dict[str, Any]:
    """Connection options for every Redis client of the project.

    redis-py 8.1 clients built with `from_url` retry nothing (measured): after a Redis restart the
    first command on each pooled connection fails with "Connection closed by server". Retrying a
    connection error a few times (about 1.5 s in all) reconnects them.
    """
    return {
        "retry": Retry(ExponentialWithJitterBackoff(base=0.05, cap=1.0), retries=5),
        "retry_on_error": [RedisConnectionError, RedisTimeoutError],
        "socket_connect_timeout": 5,
    }


def connect(url: str, max_connections: int = 500) -> aioredis.Redis:
    """A pooled client on `url` with the resilient options (no I/O until first use).

    Sized above the process's concurrency: redis-py's default pool raises "Too many connections"
    at 100 (200 sockets connecting at once), and its BlockingConnectionPool is not fair (measured:
    64 concurrent callers on 50 connections got "No connection available" after 5 s waits).
    Connections are opened on demand, so the cap costs nothing until it is needed. On a cluster the
    cap is per node.
    """
    if _cluster:
        return cluster_client(url, max_connections, **resilient_options())
    pool = aioredis.ConnectionPool.from_url(
        url, max_connections=max_connections, health_check_interval=30, **resilient_options()
    )
    return aioredis.Redis.from_pool(pool)


def connect_subscriber(url: str) -> aioredis.Redis:
    """A client for one long-lived pub/sub connection that reports every lost connection.

    With retries, redis-py reconnects a PubSub and resubscribes it silently, and whatever was
    published in between is lost without the subscriber knowing (measured: a 0.3 s cut lost an
    event and left the socket open; tests/platform/realtime/test_delivery.py). Without them the
    error reaches the realtime hub, which closes its sockets with 1012 so clients replay. On a
    cluster the hub opens one such connection per shard itself (realtime.shards); this client only
    finds the shards.
    """
    if _cluster:
        return cluster_client(url, 4, socket_connect_timeout=5)
    pool = aioredis.ConnectionPool.from_url(
        url, max_connections=4, health_check_interval=30, retry=Retry(NoBackoff(), 0), socket_connect_timeout=5
    )
    return aioredis.Redis.from_pool(pool)


def connect_cache(url: str, max_connections: int = 500) -> aioredis.Redis:
    """A client for the best-effort cache: short timeouts and no retries, so a Redis outage
    turns into a quick cache miss instead of a slow request."""
    if _cluster:
        # One retry, not the cluster client's ten (2.9 s per command on a stalled node, measured):
        # 0.5 s, and the retry is what makes the client (its batches included) find the replica that
        # took over from a dead primary (none: the batches kept going to the dead node).
        options = {"socket_timeout": 0.25, "socket_connect_timeout": 0.25, "retry": Retry(NoBackoff(), 1)}
        return cluster_client(url, max_connections, **options)
    pool = aioredis.ConnectionPool.from_url(
        url, max_connections=max_connections, socket_timeout=0.25, socket_connect_timeout=0.25
    )
    return aioredis.Redis.from_pool(pool)


async def flush_all(client: aioredis.Redis) -> None:
    """Delete every key (tests, drills): on a cluster, on every primary."""
    if _cluster:
        await cast(RedisCluster, client).flushall(target_nodes=RedisCluster.PRIMARIES)
    else:
        await client.flushdb()
