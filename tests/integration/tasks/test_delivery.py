"""At-least-once delivery by real worker processes (SPEC §6): a killed worker's task is reclaimed
on a quiet queue, a Redis restart is survived, and SIGTERM stops a busy worker in bounded time."""

from __future__ import annotations

import asyncio
import signal
import time
import uuid
from pathlib import Path

import redis.asyncio as aioredis
from taskiq import AsyncBroker

from backend.lib.embedded_services import EmbeddedRedis, free_port
from backend.settings import Settings
from tasks.broker import build_broker
from tests import support
from tests.conftest import settings_env
from tests.integration.tasks import probe_tasks
from tests.integration.tasks.conftest import PROBE_ARGS, Spawn, eventually

FAST_RECLAIM = {"TASK_IDLE_RECLAIM_MS": "1500"}


async def _stream_state(redis: aioredis.Redis, queue: str) -> tuple[int, bytes]:
    info = await redis.xinfo_stream(queue)
    return int(info["length"]), info["last-generated-id"]


async def test_task_of_a_killed_worker_is_finished_by_another_without_a_new_message(
    services: support.SessionServices, settings: Settings, sender: AsyncBroker, redis: aioredis.Redis, spawn: Spawn
) -> None:
    env = settings_env(services, **FAST_RECLAIM)
    queue = settings.worker.queue_name
    first = spawn("tasks.worker", env, *PROBE_ARGS)
    key = uuid.uuid4().hex
    await probe_tasks.slow_mark.kicker().with_broker(sender).kiq(key, 2.0)
    sent = await _stream_state(redis, queue)

    await eventually(lambda: redis.get(f"probe:{key}:started"), 30, "the first worker to start the task")
    first.signal_group(signal.SIGKILL)  # the whole worker: main process and its child
    first.popen.wait(10)
    assert (await redis.xpending(queue, settings.worker.consumer_group))["pending"] == 1
    assert await redis.get(f"probe:{key}:done") is None

    started = time.monotonic()
    spawn("tasks.worker", env, *PROBE_ARGS)  # the queue stays quiet: nothing new is sent
    await eventually(lambda: redis.get(f"probe:{key}:done"), 30, "the second worker to finish the task")
    assert time.monotonic() - started < 20
    assert int(await redis.get(f"probe:{key}:started") or 0) == 2  # ran again from the start
    assert await _stream_state(redis, queue) == sent  # no message was added to the stream
    await eventually(
        lambda: _no_pending(redis, queue, settings.worker.consumer_group), 10, "the reclaimed message to be acked"
    )


async def _no_pending(redis: aioredis.Redis, queue: str, group: str) -> bool:
    return (await redis.xpending(queue, group))["pending"] == 0


async def test_worker_survives_a_redis_restart_and_keeps_processing(
    services: support.SessionServices, settings: Settings, spawn: Spawn, tmp_path: Path
) -> None:
    server = EmbeddedRedis(tmp_path / "redis", free_port(), persistent=False)
    server.start()
    try:
        own = Settings.from_env(settings_env(services, REDIS_URL=server.url(0)))
        worker = spawn("tasks.worker", settings_env(services, REDIS_URL=server.url(0)), *PROBE_ARGS)
        before = await _run_mark(own)

        server.stop()  # all data is gone too: the stream and the consumer group must be recreated
        await asyncio.sleep(4)  # longer than the clients' own command retries: the listener notices
        assert worker.alive
        server.start()

        after = await _run_mark(own)
        assert after == before  # the same worker child process handled both: it never crashed
        assert worker.alive
        assert "redis reachable again" in worker.output()
        assert worker.terminate(timeout=30) == 0
    finally:
        server.stop()


async def _run_mark(settings: Settings) -> bytes:
    """Send probe.mark through a fresh broker and return the pid of the worker that ran it."""
    key = uuid.uuid4().hex
    broker = build_broker(settings)
    client = aioredis.Redis.from_url(settings.redis.url)
    try:
        await broker.startup()
        await probe_tasks.mark.kicker().with_broker(broker).kiq(key)
        pid = await eventually(lambda: client.get(f"probe:{key}:done"), 30, "probe.mark to run")
        assert isinstance(pid, bytes)
        return pid
    finally:
        await broker.shutdown()
        await client.aclose()


async def test_sigterm_stops_a_busy_worker_in_bounded_time_and_keeps_its_task(
    services: support.SessionServices, settings: Settings, sender: AsyncBroker, redis: aioredis.Redis, spawn: Spawn
) -> None:
    worker = spawn("tasks.worker", settings_env(services), *PROBE_ARGS)
    key = uuid.uuid4().hex
    await probe_tasks.slow_mark.kicker().with_broker(sender).kiq(key, 120.0)
    await eventually(lambda: redis.get(f"probe:{key}:started"), 30, "the worker to start the long task")

    started = time.monotonic()
    assert worker.terminate(timeout=40) == 0
    assert time.monotonic() - started < 25  # wait-tasks 8 s + broker shutdown 5 s + slack
    # Unfinished, so still pending: another worker will get it once it idles out.
    assert (await redis.xpending(settings.worker.queue_name, settings.worker.consumer_group))["pending"] == 1
