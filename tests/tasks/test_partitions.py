"""The task queue split into partitions (TASK_STREAM_PARTITIONS; every key of a partition shares one
hash tag, so on a Redis Cluster each partition lives on one node): where tasks go, that every
partition is read, and that retries, dead letters and the cap work per partition."""

from __future__ import annotations

import asyncio
import contextlib
import json
import sys
import uuid
from typing import Any, cast

import redis.asyncio as aioredis
from redis.crc import REDIS_CLUSTER_HASH_SLOTS, key_slot
from taskiq.exceptions import SendTaskError
from taskiq.kicker import AsyncKicker

from backend.platform.jobs.runtime import build_broker
from backend.settings import Settings
from tasks.broker import HardenedStreamBroker
from tasks.spec import QueueSpec
from tests import support
from tests.plugins.processes import Spawn
from tests.plugins.tasks import PROBE_ARGS
from tests.support import eventually, settings_env
from tests.workers import probe_tasks

PARTS = 4


def test_each_partition_is_one_slot_and_the_partitions_spread_over_the_slots() -> None:
    queue = QueueSpec.for_queue("q", "g", maxlen=10, idle_reclaim_ms=1000, partitions=PARTS, tagged=True)
    parts = queue.parts()
    assert [p.index for p in parts] == list(range(PARTS))
    for index, part in enumerate(parts):
        keys = part.keys()
        slots = {key_slot(key.encode()) for key in keys}
        assert len(slots) == 1, keys
        share = REDIS_CLUSTER_HASH_SLOTS // PARTS
        assert index * share <= slots.pop() < (index + 1) * share  # the index-th quarter of the slots
    assert len({p.stream for p in parts}) == PARTS
    # one partition on one Redis: the names of earlier versions
    single = QueueSpec.for_queue("q", "g", maxlen=10, idle_reclaim_ms=1000)
    assert single.parts() == (single,) and single.stream == "q" and single.dead == "q:dead"


def _keyed(task: Any, broker: HardenedStreamBroker, key: str) -> AsyncKicker[Any, Any]:
    """A kicker of `task` with a `partition_key` label. Not `task.kicker().with_labels(...)`: taskiq
    0.13's shared tasks hand their own label dict to the kicker, so the label would stick to every
    later send of the task in this process."""
    return AsyncKicker(task_name=task.task_name, broker=broker, labels={**task.labels, "partition_key": key})


def _settings(services: support.SessionServices, **extra: str) -> Settings:
    return Settings.from_env(settings_env(services, TASK_STREAM_PARTITIONS=str(PARTS), **extra))


async def _lengths(redis: aioredis.Redis, broker: HardenedStreamBroker) -> list[int]:
    return [int(await redis.xlen(part.spec.stream)) for part in broker.parts]


async def test_a_keys_tasks_share_a_partition_in_order_and_every_partition_is_read(
    services: support.SessionServices, db: None, redis: aioredis.Redis, spawn: Spawn
) -> None:
    settings = _settings(services)
    broker = cast(HardenedStreamBroker, build_broker(settings))
    await broker.startup()
    try:
        keyed = [uuid.uuid4().hex for _ in range(12)]
        for key in keyed:  # the tasks about one user: one partition, in the order sent
            await _keyed(probe_tasks.mark, broker, "user-1").kiq(key)
        spread = [uuid.uuid4().hex for _ in range(40)]
        for key in spread:  # no key: by task id
            await probe_tasks.mark.kicker().with_broker(broker).kiq(key)
        lengths = await _lengths(redis, broker)
        home = broker.parts[broker.queue.partition_of("user-1")]
        entries = cast(list[tuple[bytes, dict[bytes, bytes]]], await redis.xrange(home.spec.stream))
        sent_order = [k for k in (_arg(fields) for _, fields in entries) if k in keyed]
        assert sent_order == keyed
        assert sum(lengths) == 52 and sum(1 for n in lengths if n) >= 3, lengths

        spawn("backend.entrypoints.worker", settings_env(services, TASK_STREAM_PARTITIONS=str(PARTS)), *PROBE_ARGS)

        async def all_ran() -> bool:
            return all([await redis.get(f"probe:{key}:done") for key in keyed + spread])

        await eventually(all_ran, 60, "every task of every partition to run")
        await eventually(lambda: _drained(redis, broker), 30, "every partition to be acknowledged")
    finally:
        await broker.shutdown()


def _arg(fields: dict[bytes, bytes]) -> str:
    return str(json.loads(fields[b"data"])["args"][0])


async def _drained(redis: aioredis.Redis, broker: HardenedStreamBroker) -> bool:
    return sum(await _lengths(redis, broker)) == 0


async def test_retries_and_dead_letters_stay_in_their_partition_and_the_cli_names_them(
    services: support.SessionServices, db: None, redis: aioredis.Redis, spawn: Spawn
) -> None:
    settings = _settings(services, TASK_MAX_RETRIES="1")
    broker = cast(HardenedStreamBroker, build_broker(settings))
    await broker.startup()
    key = next(k for k in (f"u{i}" for i in range(100)) if broker.queue.partition_of(k) == PARTS - 1)
    part = broker.parts[PARTS - 1]
    env = settings_env(services, TASK_STREAM_PARTITIONS=str(PARTS), TASK_MAX_RETRIES="1")
    try:
        spawn("backend.entrypoints.worker", env, *PROBE_ARGS)
        probe = uuid.uuid4().hex
        await _keyed(probe_tasks.always_fails, broker, key).kiq(probe)
        dead = await eventually(lambda: redis.xrange(part.spec.dead), 30, "the task's dead letter")
        [(entry_id, record)] = cast(list[tuple[bytes, dict[bytes, bytes]]], dead)
        assert record[b"reason"] == b"retries_exhausted" and int(await redis.get(f"probe:{probe}:attempts") or 0) == 2
        for other in broker.parts[:-1]:
            assert await redis.xlen(other.spec.dead) == 0 and await redis.zcard(other.spec.delayed) == 0
        name = f"{PARTS - 1}/{entry_id.decode()}"
        code, out = await _cli(env, "list")
        assert code == 0 and out.startswith(name), out
        code, out = await _cli(env, "drop", f"{PARTS + 5}/{entry_id.decode()}")
        assert code == 1 and await redis.xlen(part.spec.dead) == 1  # no such partition: nothing dropped
        code, out = await _cli(env, "drop", name)
        assert code == 0 and await redis.xlen(part.spec.dead) == 0
    finally:
        await broker.shutdown()


async def _cli(env: dict[str, str], *args: str) -> tuple[int, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "backend.entrypoints.dead_letters", *args, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    out, _ = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode is not None
    return process.returncode, out.decode()


async def test_the_cap_holds_per_partition(services: support.SessionServices, db: None, redis: aioredis.Redis) -> None:
    settings = _settings(services, TASK_STREAM_MAXLEN="3")
    broker = cast(HardenedStreamBroker, build_broker(settings))
    await broker.startup()
    try:
        refused = 0
        for _ in range(5):  # one key: one partition, capped at 3
            with contextlib.suppress(SendTaskError):
                await _keyed(probe_tasks.mark, broker, "busy").kiq("x")
                continue
            refused += 1
        assert refused == 2
        other = next(
            k
            for k in (f"k{i}" for i in range(100))
            if broker.queue.partition_of(k) != broker.queue.partition_of("busy")
        )
        await _keyed(probe_tasks.mark, broker, other).kiq("y")  # room there
        assert sorted(await _lengths(redis, broker)) == [0, 0, 1, 3]
    finally:
        await broker.shutdown()
