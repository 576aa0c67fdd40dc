"""The Redis clients on one Redis and on a Redis Cluster (backend/platform/redis_client.py)."""

from __future__ import annotations

import asyncio
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import cast

import pytest
from redis.asyncio.cluster import RedisCluster
from redis.crc import key_slot

from backend.devtools.embedded_services import free_port
from backend.devtools.redis_cluster import LocalRedisCluster
from backend.platform import redis_client


@pytest.fixture(scope="module")
def cluster() -> Iterator[LocalRedisCluster]:
    local = LocalRedisCluster(Path(tempfile.mkdtemp(prefix="cc-client-cluster-")))
    local.start()
    yield local
    local.stop()


def test_tags_leave_single_redis_keys_alone_and_put_a_users_keys_in_one_slot(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(redis_client, "_cluster", False)
    assert redis_client.tag("u1") == "u1"
    monkeypatch.setattr(redis_client, "_cluster", True)
    assert redis_client.tag("u1") == "{u1}"
    keys = [f"rt:h:{redis_client.tag('u1')}", f"rt:u:{redis_client.tag('u1')}", f"c:{redis_client.tag('u1')}:x"]
    assert len({key_slot(key.encode()) for key in keys}) == 1


async def test_a_fresh_cluster_client_runs_concurrent_scripts_once_each(
    cluster: LocalRedisCluster, monkeypatch: pytest.MonkeyPatch
) -> None:
    """redis-py re-read the slot map after every 5th MOVED by closing every connection, in-flight
    ones too: concurrent first scripts on a fresh client failed or ran twice. Not with our client."""
    monkeypatch.setattr(redis_client, "_cluster", True)
    client = redis_client.connect(cluster.url)
    try:
        script = client.register_script("return redis.call('INCR', KEYS[1])")
        results = await asyncio.gather(*(script(keys=[f"n:{{{i}}}"]) for i in range(200)), return_exceptions=True)
        assert [r for r in results if isinstance(r, BaseException)] == []
        counts = await asyncio.gather(*(client.get(f"n:{{{i}}}") for i in range(200)))
        assert set(counts) == {b"1"}, "a script ran twice"
    finally:
        await redis_client.flush_all(client)
        await client.aclose()


async def test_a_client_finds_the_cluster_while_its_first_seed_is_down(
    cluster: LocalRedisCluster, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A process starting during a failover: the node it would have asked first does not answer. With
    one seed it never found the cluster (a worker ran no task); the next seed answers instead."""
    monkeypatch.setattr(redis_client, "_cluster", True)
    seeds = cluster.url.removeprefix("redis://")
    client = redis_client.connect(f"redis://127.0.0.1:{free_port()},{seeds}")
    try:
        await client.set("s:{seed}", "found")
        assert await client.get("s:{seed}") == b"found"
        ports = {int(node.port) for node in cast(RedisCluster, client).get_primaries()}
        assert ports <= set(cluster.ports) and len(ports) == cluster.masters
    finally:
        await client.aclose()


async def test_the_cluster_client_follows_a_failover(
    cluster: LocalRedisCluster, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A primary killed: its replica takes over and the same client keeps serving its keys."""
    monkeypatch.setattr(redis_client, "_cluster", True)
    client = redis_client.connect(cluster.url)
    try:
        await client.set("f:{x}", "before")
        node = cast(RedisCluster, client).get_node_from_key("f:{x}")
        assert node is not None
        await asyncio.to_thread(cluster.kill, int(node.port))
        async with asyncio.timeout(60):
            while True:
                try:
                    await client.set("f:{x}", "after")
                    break
                except Exception:  # the failover window: the cluster refuses until the replica is promoted
                    await asyncio.sleep(0.2)
        assert await client.get("f:{x}") == b"after"
        new = cast(RedisCluster, client).get_node_from_key("f:{x}")
        assert new is not None and new.port != node.port
    finally:
        await client.aclose()
