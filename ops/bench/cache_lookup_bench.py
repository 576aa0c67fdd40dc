"""The api's CPU per cached lookup (`Cache.guarded_lookup`: the session stamp and an entry in one
script) on one Redis and on a local Redis Cluster, with and without the Batcher.

    uv run python -m ops.bench.cache_lookup_bench   [CONCURRENCY=50 LOOKUPS=20000]

Starts its own redis-server 7 (one node, then a 3-master cluster), fills the keys of 1000 users and
runs LOOKUPS lookups, CONCURRENCY at a time, in this process; prints the process's CPU time and the
wall time per lookup for each way of sending them. Numbers: docs/redis-cluster.md.
"""

from __future__ import annotations

import asyncio
import os
import random
import subprocess
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from types import SimpleNamespace

from redis.asyncio import Redis

from backend.devtools.embedded_services import free_port, wait_for_port
from backend.devtools.redis_cluster import LocalRedisCluster, redis7_binaries
from backend.features.accounts.session_memo import stamp_key
from backend.features.applications.service import cache_namespace, one_cache_key
from backend.platform import redis_client
from backend.platform.cache import Cache, Guard

CONCURRENCY = int(os.environ.get("CONCURRENCY", "50"))
LOOKUPS = int(os.environ.get("LOOKUPS", "20000"))
USERS = 1000


async def _fill(redis: Redis, users: list[uuid.UUID]) -> None:
    for user in users:
        namespace = cache_namespace(user)
        await redis.set(stamp_key(user), "stamp")
        await redis.set(f"cv:{namespace}", 3)
        await redis.set(Cache.key(namespace, 3, one_cache_key(user)), b'"' + b"0" * 32 + b'"' + b"x" * 400)


async def _run(lookup: Callable[[uuid.UUID], Awaitable[object]], users: list[uuid.UUID]) -> tuple[float, float]:
    """(CPU µs, wall µs) per lookup."""
    for _ in range(2):  # warm up: connections, scripts
        await asyncio.gather(*(lookup(user) for user in users[:CONCURRENCY]))
    cpu, wall = time.process_time(), time.perf_counter()
    for _ in range(LOOKUPS // CONCURRENCY):
        await asyncio.gather(*(lookup(random.choice(users)) for _ in range(CONCURRENCY)))
    done = LOOKUPS // CONCURRENCY * CONCURRENCY
    return (time.process_time() - cpu) / done * 1e6, (time.perf_counter() - wall) / done * 1e6


async def _measure(topology: str, url: str) -> None:
    client = redis_client.connect_cache(url)
    cache = Cache(client)
    users = [uuid.uuid4() for _ in range(USERS)]
    await _fill(client, users)

    async def batched(user: uuid.UUID) -> object:
        guard = Guard(stamp_key(user), "new", 60)
        stamp, hit = await cache.guarded_lookup(guard, (cache_namespace(user), one_cache_key(user)))
        assert stamp == b"stamp" and hit is not None and hit.entry is not None
        return hit

    async def direct(user: uuid.UUID) -> object:
        namespace = cache_namespace(user)
        keys = [stamp_key(user), f"cv:{namespace}"]
        args = ["new", 60, f"{namespace}:", f":{one_cache_key(user)}"]
        found = await client.execute_command("EVALSHA", cache._guarded_lookup.sha, len(keys), *keys, *args)
        assert found[2] is not None
        return found

    for name, lookup in (("batched", batched), ("direct", direct)):
        cpu, wall = await _run(lookup, users)
        print(f"{topology:8} {name:8} cpu {cpu:6.1f} µs/lookup   wall {wall:6.1f} µs/lookup", flush=True)
    await cache.aclose()
    await client.aclose()


def main() -> None:
    print(f"{LOOKUPS} lookups, {CONCURRENCY} at a time, one process", flush=True)
    server, _ = redis7_binaries()
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="cache-bench-") as tmp:
        argv = [server, "--port", str(port), "--save", "", "--dir", tmp]
        single = subprocess.Popen(argv, stdout=subprocess.DEVNULL)  # noqa: S603 (our own redis-server)
        try:
            wait_for_port(port)
            redis_client.configure(SimpleNamespace(cluster=False))
            asyncio.run(_measure("one", f"redis://127.0.0.1:{port}/0"))
        finally:
            single.terminate()
            single.wait()
        cluster = LocalRedisCluster(Path(tmp) / "cluster", masters=3, replicas=0)
        cluster.start()
        try:
            redis_client.configure(SimpleNamespace(cluster=True))
            asyncio.run(_measure("cluster", cluster.url))
        finally:
            cluster.stop()


if __name__ == "__main__":
    main()
