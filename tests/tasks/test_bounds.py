"""The task stream is bounded without losing a task: nothing is trimmed on send, a send past
TASK_STREAM_MAXLEN unfinished entries is refused (never silently dropped), the outbox holds the
rest until there is room, and acked entries leave the stream.

Upstream's `XADD … MAXLEN ~` (measured, no worker running, cap 100): 1000 sends left 109 entries;
a worker later ran 109 tasks, the other 891 were gone without a trace."""

from __future__ import annotations

import asyncio
import contextlib
import uuid

import httpx
import pytest
import redis.asyncio as aioredis
from taskiq.exceptions import SendTaskError

from backend.platform import redis_client
from backend.platform.db.tables import TaskOutbox
from backend.platform.jobs.runtime import build_broker
from backend.settings import Settings
from tasks import messages as msgs
from tasks import metrics as task_queue
from tasks import outbox
from tasks.broker import HardenedStreamBroker
from tasks.errors import StreamFull
from tasks.outbox_relay import OutboxRelay
from tasks.spec import QueueSpec
from tests import support
from tests.plugins.processes import Spawn
from tests.plugins.tasks import PROBE_ARGS, all_acked, queue_spec
from tests.support import eventually, settings_env
from tests.workers import probe_tasks

CAP = 50


async def _done(redis: aioredis.Redis, keys: list[str]) -> bool:
    return all([await redis.get(f"probe:{key}:done") for key in keys])


async def _empty(redis: aioredis.Redis, queue: str) -> bool:
    return int(await redis.xlen(queue)) == 0


async def test_sends_past_the_cap_are_refused_and_every_accepted_task_runs_later(
    services: support.SessionServices, redis: aioredis.Redis, spawn: Spawn
) -> None:
    env = settings_env(services, TASK_STREAM_MAXLEN=str(CAP))
    settings = Settings.from_env(env)
    queue = queue_spec(settings).stream
    broker = build_broker(settings)
    assert isinstance(broker, HardenedStreamBroker)
    await broker.startup()
    accepted: list[str] = []
    refused = 0
    try:
        for i in range(4 * CAP):  # no worker is running
            try:
                await probe_tasks.mark.kicker().with_broker(broker).kiq(f"k{i}")
            except SendTaskError as exc:
                refused += isinstance(exc.__cause__, StreamFull)
            else:
                accepted.append(f"k{i}")
    finally:
        await broker.shutdown()
    assert len(accepted) == CAP and refused == 3 * CAP  # the caller knows which were not taken
    assert await redis.xlen(queue) == CAP
    assert int(await redis.hget(broker.spec.stats, "sends_refused") or 0) == refused

    spawn("backend.entrypoints.worker", env, *PROBE_ARGS)
    await eventually(lambda: _done(redis, accepted), 30, "every accepted task to run")
    await eventually(lambda: all_acked(redis, settings), 10, "every task to be acked")
    await eventually(lambda: _empty(redis, queue), 10, "the stream to shrink back")


async def test_an_outbox_backlog_far_past_the_cap_all_runs_once_a_worker_is_up(
    services: support.SessionServices, settings: Settings, db: None, redis: aioredis.Redis, spawn: Spawn
) -> None:
    keys = [uuid.uuid4().hex for _ in range(6 * CAP)]
    for key in keys:  # recorded while no worker (hence no relay) runs
        await outbox.enqueue(probe_tasks.mark.task_name, key=key)

    spawn("backend.entrypoints.worker", settings_env(services, TASK_STREAM_MAXLEN=str(CAP)), *PROBE_ARGS)

    await eventually(lambda: _done(redis, keys), 60, "every task of the backlog to run")
    await eventually(_all_sent, 10, "every outbox row to be marked sent")  # committed after its batch's sends
    await eventually(lambda: _empty(redis, queue_spec(settings).stream), 10, "the stream to shrink back")


async def test_a_relay_facing_a_full_stream_backs_off_deaf_to_enqueues_and_the_backlog_runs_later(
    services: support.SessionServices, db: None, redis: aioredis.Redis, spawn: Spawn
) -> None:
    """Under backpressure an enqueue (its NOTIFY) must not wake the relay: otherwise every enqueue
    costs every relay a claim query and a refused send, load that grows with the overload."""
    env = settings_env(services, TASK_STREAM_MAXLEN=str(CAP))
    settings = Settings.from_env(env)
    broker = build_broker(settings)
    assert isinstance(broker, HardenedStreamBroker)
    await broker.startup()
    relay = OutboxRelay(broker, interval=0.5, max_full_backoff=5.0)
    keys = [uuid.uuid4().hex for _ in range(2 * CAP + 1)]
    try:
        for key in keys[: CAP + 1]:  # no worker is running: the relay fills the stream, one is refused
            await outbox.enqueue(probe_tasks.mark.task_name, key=key)
        relay.start()
        await eventually(lambda: _full(redis, broker), 30, "the stream to be full and a send refused")
        refused_before = await _refused(redis, broker)
        for key in keys[CAP + 1 :]:  # an overload: an enqueue (and its NOTIFY) every 30 ms for 1.5 s
            await outbox.enqueue(probe_tasks.mark.task_name, key=key)
            await asyncio.sleep(0.03)
        refused = await _refused(redis, broker) - refused_before
    finally:
        await relay.stop()
        await broker.shutdown()
    # Pauses of 0.5, 1, 2 s from the first refusal: at most a handful in 1.5 s, not one per enqueue.
    assert refused <= 4, f"{refused} sends refused during {CAP} enqueues"
    assert await TaskOutbox.count().where(TaskOutbox.sent_at.is_null()) == CAP + 1

    spawn("backend.entrypoints.worker", env, *PROBE_ARGS)  # drains the stream; its relay sends the rest
    await eventually(lambda: _done(redis, keys), 60, "every task of the backlog to run")
    await eventually(_all_sent, 10, "every outbox row to be marked sent")  # committed after its batch's sends


async def _all_sent() -> bool:
    return bool(await TaskOutbox.count().where(TaskOutbox.sent_at.is_null()) == 0)


async def _refused(redis: aioredis.Redis, broker: HardenedStreamBroker) -> int:
    return int(await redis.hget(broker.spec.stats, "sends_refused") or 0)


async def _full(redis: aioredis.Redis, broker: HardenedStreamBroker) -> bool:
    return int(await redis.xlen(broker.spec.stream)) == CAP and await _refused(redis, broker) > 0


def test_a_cap_below_one_is_refused() -> None:
    with pytest.raises(ValueError, match="maxlen"):
        QueueSpec.for_queue("q", "g", maxlen=0, idle_reclaim_ms=1000)


async def test_the_queue_health_reaches_the_apis_metrics(
    services: support.SessionServices, settings: Settings, client: httpx.AsyncClient
) -> None:
    """Workers are not scraped: the api reports the stream's fill, refused sends and dead letters
    (tasks/metrics.py, polled by each api process; ops/monitoring/alerts.yml uses them)."""
    # polled since the api started: its capacity is there before anything else happened
    assert _sample(await client.get("/metrics"), "career_copilot_task_stream_capacity") == settings.worker.stream_maxlen

    small = Settings.from_env(settings_env(services, TASK_STREAM_MAXLEN="3"))  # the api's queue, a smaller cap
    assert small.worker.queue_name == settings.worker.queue_name
    broker = build_broker(small)
    assert isinstance(broker, HardenedStreamBroker)
    await broker.startup()
    try:
        for i in range(5):  # no worker: 3 taken, 2 refused
            with contextlib.suppress(SendTaskError):
                await probe_tasks.mark.kicker().with_broker(broker).kiq(f"m{i}")
        await broker.dead_letter(msgs.Verdict(msgs.UNKNOWN_TASK, "no such task", "nope.task", "t1"), data=b"{}")
    finally:
        await broker.shutdown()

    redis = redis_client.connect(settings.redis.url, 2)
    try:
        await task_queue.refresh(redis, QueueSpec.from_settings(settings.worker))  # the api's poll, every 15 s
    finally:
        await redis.aclose()
    metrics = await client.get("/metrics")
    assert _sample(metrics, "career_copilot_task_stream_entries") == 3
    assert _sample(metrics, "career_copilot_task_sends_refused") == 2
    assert _sample(metrics, "career_copilot_task_dead_letters") == 1


def _sample(response: httpx.Response, name: str) -> float:
    (value,) = [float(line.split()[1]) for line in response.text.splitlines() if line.split(" ")[0] == name]
    return value
