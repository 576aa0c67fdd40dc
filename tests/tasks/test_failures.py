"""Messages that cannot run and tasks that fail end acked and recorded in `<queue>:dead`, and the
worker carries on; transient failures are retried with growing delays."""

from __future__ import annotations

import json
import uuid

import redis.asyncio as aioredis
from taskiq import AsyncBroker

from backend.settings import Settings
from tests import support
from tests.plugins.processes import Spawn
from tests.plugins.tasks import PROBE_ARGS, all_acked, queue_spec
from tests.support import eventually, settings_env
from tests.workers import probe_tasks


async def _dead_letters(redis: aioredis.Redis, queue: str, count: int) -> list[dict[bytes, bytes]] | None:
    """The records of `<queue>:dead` once there are `count` of them."""
    entries: list[tuple[bytes, dict[bytes, bytes]]] = await redis.xrange(f"{queue}:dead")  # type: ignore[assignment]
    found = [fields for _id, fields in entries]
    return found if len(found) >= count else None


async def test_unknown_and_unparseable_messages_are_acked_and_dead_lettered(
    services: support.SessionServices, settings: Settings, sender: AsyncBroker, redis: aioredis.Redis, spawn: Spawn
) -> None:
    queue = queue_spec(settings).stream
    spawn("backend.entrypoints.worker", settings_env(services), *PROBE_ARGS)
    unknown = {"task_id": "t-unknown", "task_name": "nobody.knows", "labels": {}, "args": [], "kwargs": {}}
    await redis.xadd(queue, {"data": json.dumps(unknown)})
    await redis.xadd(queue, {"data": b"\xff not a message"})
    await redis.xadd(queue, {"payload": "no data field"})
    key = uuid.uuid4().hex
    await probe_tasks.mark.kicker().with_broker(sender).kiq(key)

    await eventually(lambda: redis.get(f"probe:{key}:done"), 30, "a normal task after the bad ones")
    dead = await eventually(lambda: _dead_letters(redis, queue, 3), 10, "three dead letters")
    assert isinstance(dead, list) and len(dead) == 3
    assert [(d[b"reason"], d[b"task_name"]) for d in dead] == [
        (b"unknown_task", b"nobody.knows"),
        (b"unparseable", b""),
        (b"unparseable", b""),
    ]
    assert dead[0][b"task_id"] == b"t-unknown" and json.loads(dead[0][b"data"]) == unknown
    assert dead[1][b"data"] == b"\xff not a message"
    assert b"data" in dead[2][b"detail"]
    await eventually(lambda: all_acked(redis, settings), 10, "every message to be acked")


async def test_a_message_with_labels_the_receiver_rejects_is_dead_lettered_at_once_and_the_worker_goes_on(
    services: support.SessionServices, settings: Settings, sender: AsyncBroker, redis: aioredis.Redis, spawn: Spawn
) -> None:
    queue = queue_spec(settings).stream
    worker = spawn("backend.entrypoints.worker", settings_env(services), *PROBE_ARGS)
    # taskiq 0.13 raises "Invalid ack_type label" outside its try block: never acked, renewed for 30 min.
    labels = {"ack_type": "bogus"}
    bogus = {"task_id": "t-bogus", "task_name": "probe.mark", "labels": labels, "args": ["x"], "kwargs": {}}
    await redis.xadd(queue, {"data": json.dumps(bogus)})
    key = uuid.uuid4().hex
    await probe_tasks.mark.kicker().with_broker(sender).kiq(key)

    await eventually(lambda: redis.get(f"probe:{key}:done"), 30, "the next task to run")
    dead = await eventually(lambda: _dead_letters(redis, queue, 1), 5, "the dead letter")
    assert isinstance(dead, list) and len(dead) == 1
    record = dead[0]
    assert (record[b"reason"], record[b"task_name"], record[b"task_id"]) == (b"unparseable", b"probe.mark", b"t-bogus")
    assert b"acknowledge type" in dead[0][b"detail"] and json.loads(dead[0][b"data"]) == bogus
    await eventually(lambda: all_acked(redis, settings), 5, "every message to be acked")
    assert await redis.get("probe:x:done") is None  # it never ran
    assert worker.alive


async def test_transient_failures_are_retried_with_growing_delays_then_succeed(
    services: support.SessionServices, settings: Settings, sender: AsyncBroker, redis: aioredis.Redis, spawn: Spawn
) -> None:
    spawn("backend.entrypoints.worker", settings_env(services, TASK_MAX_RETRIES="3"), *PROBE_ARGS)
    key = uuid.uuid4().hex
    await probe_tasks.flaky.kicker().with_broker(sender).kiq(key, 2)

    await eventually(lambda: redis.get(f"probe:{key}:done"), 30, "the flaky task to succeed")
    times = [float(t) for t in await redis.lrange(f"probe:{key}:times", 0, -1)]
    assert len(times) == 3  # failed, failed, succeeded
    first_wait, second_wait = times[1] - times[0], times[2] - times[1]
    assert first_wait >= probe_tasks.RETRY_DELAY  # base delay
    assert second_wait >= 2 * probe_tasks.RETRY_DELAY  # doubled
    assert second_wait > first_wait
    assert second_wait < 2 * probe_tasks.RETRY_DELAY + 1.5  # due retries are released promptly
    assert await redis.xlen(queue_spec(settings).dead) == 0
    await eventually(lambda: all_acked(redis, settings), 10, "every delivery to be acked")


async def test_a_task_failing_every_time_ends_dead_lettered_after_max_retries(
    services: support.SessionServices, settings: Settings, sender: AsyncBroker, redis: aioredis.Redis, spawn: Spawn
) -> None:
    worker = spawn("backend.entrypoints.worker", settings_env(services, TASK_MAX_RETRIES="2"), *PROBE_ARGS)
    key = uuid.uuid4().hex
    task = await probe_tasks.always_fails.kicker().with_broker(sender).kiq(key)

    queue = queue_spec(settings).stream
    dead = await eventually(lambda: _dead_letters(redis, queue, 1), 30, "the terminal dead-letter record")
    assert isinstance(dead, list) and len(dead) == 1
    record = dead[0]
    assert record[b"reason"] == b"retries_exhausted"
    assert record[b"task_name"] == b"probe.always_fails" and record[b"task_id"] == task.task_id.encode()
    assert record[b"attempts"] == b"3" and b"RuntimeError" in record[b"detail"]
    assert int(await redis.get(f"probe:{key}:attempts") or 0) == 3  # 1 run + max_retries re-runs
    await eventually(lambda: all_acked(redis, settings), 10, "every delivery to be acked")
    assert await redis.zcard(f"{queue}:delayed") == 0  # no retry left waiting
    assert "failed for good after 3 attempt(s)" in worker.output()


async def _orphan(redis: aioredis.Redis, settings: Settings, sender: AsyncBroker, delivered: int) -> tuple[bytes, str]:
    """Send probe.mark and leave it pending on a consumer that died, idle, `delivered` times delivered;
    (stream id, task id)."""
    queue, group = queue_spec(settings).stream, settings.worker.consumer_group
    task = await probe_tasks.mark.kicker().with_broker(sender).kiq(uuid.uuid4().hex)
    read: list[tuple[bytes, list[tuple[bytes, object]]]] = await redis.xreadgroup(  # type: ignore[assignment]
        group, "dead-consumer", {queue: ">"}, count=1
    )
    [[_stream, [(msg_id, _fields)]]] = read
    await redis.xclaim(queue, group, "dead-consumer", 0, [msg_id], idle=60_000, retrycount=delivered)
    return msg_id, task.task_id


async def test_a_message_that_keeps_killing_workers_is_dead_lettered_not_run_again(
    services: support.SessionServices, settings: Settings, sender: AsyncBroker, redis: aioredis.Redis, spawn: Spawn
) -> None:
    msg_id, task_id = await _orphan(redis, settings, sender, delivered=10)  # the broker's max_deliveries
    spawn("backend.entrypoints.worker", settings_env(services, TASK_IDLE_RECLAIM_MS="1500"), *PROBE_ARGS)

    dead = await eventually(lambda: _dead_letters(redis, queue_spec(settings).stream, 1), 30, "a dead letter")
    assert isinstance(dead, list)
    assert (dead[0][b"reason"], dead[0][b"source_id"]) == (b"too_many_deliveries", msg_id)
    assert (dead[0][b"task_name"], dead[0][b"task_id"]) == (b"probe.mark", task_id.encode())
    assert b"probe.mark" in dead[0][b"data"]
    assert await all_acked(redis, settings)
    assert not await redis.keys("probe:*")  # it never ran


async def test_a_pending_message_trimmed_away_is_acked_and_dead_lettered(
    services: support.SessionServices, settings: Settings, sender: AsyncBroker, redis: aioredis.Redis, spawn: Spawn
) -> None:
    msg_id, _task_id = await _orphan(redis, settings, sender, delivered=1)
    await redis.xtrim(queue_spec(settings).stream, maxlen=0, approximate=False)
    spawn("backend.entrypoints.worker", settings_env(services, TASK_IDLE_RECLAIM_MS="1500"), *PROBE_ARGS)

    dead = await eventually(lambda: _dead_letters(redis, queue_spec(settings).stream, 1), 30, "a dead letter")
    assert isinstance(dead, list)
    assert (dead[0][b"reason"], dead[0][b"source_id"]) == (b"trimmed", msg_id)
    await eventually(lambda: all_acked(redis, settings), 10, "the trimmed entry to leave the pending list")
