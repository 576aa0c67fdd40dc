"""At-least-once delivery by real worker processes: a killed worker's task is reclaimed
on a quiet queue (by a new worker, or by one already idle), a Redis restart with a task in flight is
survived, and SIGTERM stops a busy worker in bounded time (a child deaf to it is killed)."""

from __future__ import annotations

import functools
import os
import signal
import time
import uuid
from pathlib import Path
from typing import Any, cast

import pytest
import redis.asyncio as aioredis
from taskiq import AsyncBroker, AsyncTaskiqDecoratedTask

from backend.entrypoints.worker import REAP_GRACE
from backend.platform import redis_client
from backend.platform.jobs.runtime import build_broker
from backend.settings import Settings
from tests import support
from tests.plugins.own_redis import OwnRedis
from tests.plugins.processes import Process, Spawn
from tests.plugins.tasks import PROBE_ARGS, queue_spec
from tests.support import eventually, settings_env
from tests.workers import probe_tasks

FAST_RECLAIM = {"TASK_IDLE_RECLAIM_MS": "1500"}


async def _stream_state(redis: aioredis.Redis, queue: str) -> tuple[int, bytes]:
    info = await redis.xinfo_stream(queue)
    return int(info["length"]), info["last-generated-id"]


async def test_task_of_a_killed_worker_is_finished_by_another_without_a_new_message(
    services: support.SessionServices, settings: Settings, sender: AsyncBroker, redis: aioredis.Redis, spawn: Spawn
) -> None:
    env = settings_env(services, **FAST_RECLAIM)
    queue = queue_spec(settings).stream
    first = spawn("backend.entrypoints.worker", env, *PROBE_ARGS)
    key = uuid.uuid4().hex
    await probe_tasks.slow_mark.kicker().with_broker(sender).kiq(key, 2.0)
    sent = await _stream_state(redis, queue)

    await eventually(lambda: redis.get(f"probe:{key}:started"), 30, "the first worker to start the task")
    first.signal_group(signal.SIGKILL)  # the whole worker: main process and its child
    first.popen.wait(10)
    assert (await redis.xpending(queue, settings.worker.consumer_group))["pending"] == 1
    assert await redis.get(f"probe:{key}:done") is None

    started = time.monotonic()
    spawn("backend.entrypoints.worker", env, *PROBE_ARGS)  # the queue stays quiet: nothing new is sent
    await eventually(lambda: redis.get(f"probe:{key}:done"), 30, "the second worker to finish the task")
    assert time.monotonic() - started < 20
    assert int(await redis.get(f"probe:{key}:started") or 0) == 2  # ran again from the start
    assert (await _stream_state(redis, queue))[1] == sent[1]  # no message was added to the stream
    await eventually(
        lambda: _no_pending(redis, queue, settings.worker.consumer_group), 10, "the reclaimed message to be acked"
    )
    await eventually(lambda: _empty(redis, queue), 10, "the acked entry to leave the stream")


async def test_task_of_a_killed_worker_is_finished_by_a_worker_already_idle_with_no_new_traffic(
    services: support.SessionServices, settings: Settings, sender: AsyncBroker, redis: aioredis.Redis, spawn: Spawn
) -> None:
    env = settings_env(services, **FAST_RECLAIM)
    queue, group = queue_spec(settings).stream, settings.worker.consumer_group
    workers = {p.popen.pid: p for p in (spawn("backend.entrypoints.worker", env, *PROBE_ARGS) for _ in range(2))}
    await _until_each_ran_one(redis, sender, 2)  # both are up, reading, and now idle
    key = uuid.uuid4().hex
    await probe_tasks.watched_sleep.kicker().with_broker(sender).kiq(key, 3.0)
    sent = await _stream_state(redis, queue)

    runner = await eventually(lambda: redis.lindex(f"probe:{key}:runners", 0), 30, "a worker to start the task")
    victim = workers.pop(int(runner))  # type: ignore[call-overload]
    [survivor] = workers.values()
    victim.signal_group(signal.SIGKILL)
    victim.popen.wait(10)
    assert await _stream_state(redis, queue) == sent  # still pending, nothing new

    done = await eventually(lambda: redis.get(f"probe:{key}:done"), 30, "the idle worker to finish the task")
    assert int(done) == survivor.popen.pid  # type: ignore[call-overload]
    assert [int(p) for p in await redis.lrange(f"probe:{key}:runners", 0, -1)] == [victim.popen.pid, survivor.popen.pid]
    assert (await _stream_state(redis, queue))[1] == sent[1]  # no message was ever added
    await eventually(lambda: _no_pending(redis, queue, group), 10, "the reclaimed message to be acked")
    await eventually(lambda: _empty(redis, queue), 10, "the acked entry to leave the stream")
    assert survivor.alive


async def _until_each_ran_one(redis: aioredis.Redis, sender: AsyncBroker, workers: int) -> None:
    """Send probe.mark until `workers` different processes ran one (blocked readers are served in turn;
    on a loaded machine a worker may take a while to start, so the bound is time, not a count)."""
    pids: set[bytes] = set()
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        key = uuid.uuid4().hex
        await probe_tasks.mark.kicker().with_broker(sender).kiq(key)
        done = functools.partial(redis.get, f"probe:{key}:done")
        pids.add(cast(bytes, await eventually(done, 30, "a warm-up task")))
        if len(pids) == workers:
            return
    pytest.fail(f"only {len(pids)} of {workers} workers took a task")


async def _empty(redis: aioredis.Redis, queue: str) -> bool:
    return int(await redis.xlen(queue)) == 0


async def _no_pending(redis: aioredis.Redis, queue: str, group: str) -> bool:
    return (await redis.xpending(queue, group))["pending"] == 0


async def test_worker_survives_a_redis_restart_and_keeps_processing(
    services: support.SessionServices, settings: Settings, spawn: Spawn, tmp_path: Path
) -> None:
    server = OwnRedis(tmp_path / "redis")
    server.start()
    client = redis_client.connect(server.url)  # with retries: the server restarts
    try:
        own = Settings.from_env(settings_env(services, REDIS_URL=server.url))
        worker = spawn("backend.entrypoints.worker", settings_env(services, REDIS_URL=server.url), *PROBE_ARGS)
        before = await _run_mark(own)
        key = uuid.uuid4().hex
        await _send(own, probe_tasks.slow_mark, key, 6.0)  # in flight across the whole outage
        await eventually(lambda: client.get(f"probe:{key}:started"), 30, "the long task to start")

        server.stop()  # all data is gone too: the stream and the consumer group must be recreated
        await eventually(lambda: _said(worker, "stream listener lost redis"), 30, "the listener to notice")
        assert worker.alive
        server.start()

        # The task in flight finished into the new server (its sleep outlived the outage).
        assert await eventually(lambda: client.get(f"probe:{key}:done"), 30, "the in-flight task to finish") == before
        after = await _run_mark(own)
        assert after == before  # the same worker child process handled both: it never crashed
        assert worker.alive
        assert "redis reachable again" in worker.output()
        assert worker.terminate(timeout=30) == 0
    finally:
        await client.aclose()
        server.stop()


async def _said(process: Process, text: str) -> bool:
    return text in process.output()


async def _send(settings: Settings, task: AsyncTaskiqDecoratedTask[Any, Any], *args: object) -> None:
    broker = build_broker(settings)
    await broker.startup()
    try:
        await task.kicker().with_broker(broker).kiq(*args)
    finally:
        await broker.shutdown()


async def _run_mark(settings: Settings) -> bytes:
    """Send probe.mark through a fresh broker and return the pid of the worker that ran it."""
    key = uuid.uuid4().hex
    broker = build_broker(settings)
    client = redis_client.connect(settings.redis.url, 2)
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
    worker = spawn("backend.entrypoints.worker", settings_env(services), *PROBE_ARGS)
    key = uuid.uuid4().hex
    await probe_tasks.slow_mark.kicker().with_broker(sender).kiq(key, 120.0)
    await eventually(lambda: redis.get(f"probe:{key}:started"), 30, "the worker to start the long task")

    started = time.monotonic()
    assert worker.terminate(timeout=40) == 0
    assert time.monotonic() - started < 25  # wait-tasks 8 s + broker shutdown 5 s + slack
    # Unfinished, so still pending: another worker will get it once it idles out.
    assert (await redis.xpending(queue_spec(settings).stream, settings.worker.consumer_group))["pending"] == 1


async def test_sigterm_kills_a_worker_child_deaf_to_stop_signals_after_the_timeout_and_exits(
    services: support.SessionServices, settings: Settings, sender: AsyncBroker, redis: aioredis.Redis, spawn: Spawn
) -> None:
    bounds = ("--wait-tasks-timeout", "1", "--shutdown-timeout", "1")  # reap after 1 + 1 + REAP_GRACE s
    worker = spawn("backend.entrypoints.worker", settings_env(services), *PROBE_ARGS, *bounds)
    key = uuid.uuid4().hex
    await probe_tasks.deaf_sleep.kicker().with_broker(sender).kiq(key)
    child = int(await eventually(lambda: redis.get(f"probe:{key}:pid"), 30, "the child to turn deaf"))  # type: ignore[call-overload]

    started = time.monotonic()
    assert worker.terminate(timeout=60) == 0
    took = time.monotonic() - started
    assert 1 + 1 + REAP_GRACE - 1 <= took < 1 + 1 + REAP_GRACE + 15, (took, worker.output())  # waited, then killed it
    assert "did not stop in time; killing it" in worker.output()
    with pytest.raises(ProcessLookupError):
        os.kill(child, 0)  # killed and reaped by the main process before it exited
