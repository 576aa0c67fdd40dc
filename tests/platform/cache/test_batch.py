"""`backend.platform.cache.batch.Batcher` against real Redis: commands issued together share one
pipeline on one connection (on a cluster: one per node) and each caller gets its own reply; an
error reply fails its own command only; a stalled server, a killed connection or a cancelled caller
leave later batches correct. (Its effect on the api's CPU is measured by `make bench-applications`
and, on a cluster, by `ops/bench/cache_lookup_bench.py`.)"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from typing import cast

import pytest
import pytest_asyncio
import redis.asyncio as aioredis
from redis.asyncio.cluster import RedisCluster
from redis.exceptions import ConnectionError, NoScriptError, ResponseError, TimeoutError

from backend.platform import redis_client
from backend.platform.cache.batch import Batcher
from tests.support import SessionServices


@pytest_asyncio.fixture
async def cache_client(services: SessionServices) -> AsyncIterator[aioredis.Redis]:
    """The api's cache client (short timeouts, no retries), on the test database."""
    client = redis_client.connect_cache(services.redis_url)
    yield client
    await client.aclose()


def _on_every_primary() -> dict[str, object]:
    """Options that send a node command to every primary of a cluster (nothing on one Redis)."""
    return {"target_nodes": RedisCluster.PRIMARIES} if redis_client.is_cluster() else {}


async def _pause_writes(redis: aioredis.Redis, milliseconds: int) -> None:
    """Redis holds writes back (`CLIENT PAUSE ... WRITE`; reads of other test sessions go on)."""
    await redis.execute_command("CLIENT", "PAUSE", milliseconds, "WRITE", **_on_every_primary())


async def _cluster(redis: aioredis.Redis) -> RedisCluster:
    """The cluster client behind `redis`, with the cluster's nodes known (it finds them on first use)."""
    cluster = cast(RedisCluster, redis)
    await cluster.initialize()
    return cluster


async def _clients_per_primary(redis: aioredis.Redis) -> list[int]:
    """Connected clients of each primary (of the one Redis)."""
    if not redis_client.is_cluster():
        return [int((await redis.info("clients"))["connected_clients"])]
    nodes = (await _cluster(redis)).get_primaries()
    return [int((await redis.info("clients", target_nodes=node))["connected_clients"]) for node in nodes]


@pytest_asyncio.fixture
async def batcher(cache_client: aioredis.Redis) -> AsyncIterator[Batcher]:
    made = Batcher(cache_client)
    yield made
    await made.aclose()


async def test_commands_issued_together_share_a_connection_and_each_gets_its_own_reply(
    batcher: Batcher, redis: aioredis.Redis
) -> None:
    prefix = f"batch:{uuid.uuid4()}"
    values = {f"{prefix}:{n}": f"value {n} ".encode() * (n % 50) for n in range(2000)}  # every node's slots
    async with redis.pipeline(transaction=False) as pipeline:
        for key, value in values.items():
            pipeline.set(key, value)
        await pipeline.execute()
    if redis_client.is_cluster():
        await _cluster(batcher.redis)  # its discovery of the nodes (a connection it keeps) is not the batch
    before = await _clients_per_primary(redis)
    keys = list(values)
    replies = await asyncio.gather(*(batcher.execute("GET", key) for key in keys))
    assert replies == [values[key] for key in keys]
    opened = [after - then for after, then in zip(await _clients_per_primary(redis), before, strict=True)]
    assert max(opened) <= 1, opened  # one pipeline per node: at most one new connection each (2000 commands)
    if not redis_client.is_cluster():  # CLIENT ID names no key: a cluster cannot route it
        ids = await asyncio.gather(*(batcher.execute("CLIENT", "ID") for _ in range(50)))
        assert len(set(ids)) == 1
    assert await batcher.execute("GET", keys[7]) == values[keys[7]]  # a batch of one
    await redis.delete(*keys)


async def test_an_error_reply_fails_its_own_command_only(batcher: Batcher, redis: aioredis.Redis) -> None:
    key = f"batch:{uuid.uuid4()}"
    await redis.set(key, "a string")
    replies: list[object] = await asyncio.gather(
        batcher.execute("GET", key),
        batcher.execute("HGET", key, "field"),
        batcher.execute("EVALSHA", "0" * 40, 0),
        batcher.execute("STRLEN", key),
        return_exceptions=True,
    )
    first, wrong, missing_script, last = replies
    assert first == b"a string" and last == 8
    assert isinstance(wrong, ResponseError) and str(wrong).startswith("WRONGTYPE")
    assert isinstance(missing_script, NoScriptError)
    assert await batcher.execute("GET", key) == b"a string"
    await redis.delete(key)


async def test_a_stalled_server_fails_the_batch_and_the_next_batch_works(
    batcher: Batcher, redis: aioredis.Redis
) -> None:
    key = f"batch:{uuid.uuid4()}"
    await _pause_writes(redis, 800)
    loop = asyncio.get_running_loop()
    started = loop.time()
    stuck = await asyncio.gather(batcher.execute("SET", key, "1"), batcher.execute("GET", key), return_exceptions=True)
    waited = loop.time() - started
    assert all(isinstance(error, TimeoutError | ConnectionError) for error in stuck), stuck
    assert isinstance(stuck[0], TimeoutError)  # the command that timed out (the next one lost its connection)
    assert waited < 0.7  # the cache client's own timeout (0.25 s), not the pause
    await asyncio.sleep(0.8)  # the pause ends
    assert await asyncio.gather(batcher.execute("SET", key, "2"), batcher.execute("GET", key)) == [True, b"2"]
    await redis.delete(key)


async def test_a_cancelled_caller_does_not_shift_the_replies(batcher: Batcher, redis: aioredis.Redis) -> None:
    key = f"batch:{redis_client.tag(uuid.uuid4())}"  # one slot: one node's pipeline on a cluster
    await _pause_writes(redis, 150)
    first = asyncio.ensure_future(batcher.execute("INCRBY", f"{key}:a", 10))
    second = asyncio.ensure_future(batcher.execute("INCRBY", f"{key}:b", 20))
    await asyncio.sleep(0.05)
    first.cancel()
    assert await second == 20
    assert await batcher.execute("INCRBY", f"{key}:c", 30) == 30
    await redis.delete(f"{key}:a", f"{key}:b", f"{key}:c")


async def test_a_killed_connection_fails_its_batch_and_the_next_one_reconnects(
    batcher: Batcher, redis: aioredis.Redis
) -> None:
    if not redis_client.is_cluster():
        before = await batcher.execute("CLIENT", "ID")
        await redis.execute_command("CLIENT", "KILL", "ID", before)
        with pytest.raises(ConnectionError):
            await batcher.execute("PING")
        assert await batcher.execute("CLIENT", "ID") != before
        return
    # a cluster routes by key (CLIENT ID names none): every client connection of the key's node is killed
    key = f"batch:{uuid.uuid4()}"
    assert await batcher.execute("SET", key, "1")
    node = (await _cluster(redis)).get_node_from_key(key)
    await redis.execute_command("CLIENT", "KILL", "TYPE", "normal", "SKIPME", "yes", target_nodes=node)
    with pytest.raises(ConnectionError):
        await batcher.execute("GET", key)
    assert await batcher.execute("GET", key) == b"1"
    await redis.delete(key)
