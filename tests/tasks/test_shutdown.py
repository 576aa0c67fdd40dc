"""A worker's SIGTERM with tasks in hand (tasks/receiver.py cut_off, tasks/broker.py hand_back): it stops
fetching, lets running tasks finish within its bound, cuts off the rest, and hands every message it
held back to the queue at once, so another worker runs each exactly once more: none lost, none run
by two workers at the same time, none waiting for the idle timeout."""

from __future__ import annotations

import functools
import time
import uuid
from typing import cast

import redis.asyncio as aioredis
from taskiq import AsyncBroker

from backend.settings import Settings
from tests import support
from tests.plugins.processes import Spawn
from tests.plugins.tasks import PROBE_ARGS, queue_spec
from tests.support import eventually, settings_env
from tests.workers import probe_tasks

# one task at a time, three more read and held; one second for running tasks on SIGTERM
ONE_AT_A_TIME = ("--max-async-tasks", "1", "--max-prefetch", "3", "--wait-tasks-timeout", "1")


async def _log(redis: aioredis.Redis, key: str) -> list[tuple[str, int, float]]:
    entries = cast(list[bytes], await redis.lrange(f"probe:{key}:log", 0, -1))
    return [(what, int(pid), float(at)) for what, pid, at in (entry.decode().split() for entry in entries)]


async def test_sigterm_hands_back_running_and_held_tasks_at_once_and_another_worker_runs_each_once(
    services: support.SessionServices, settings: Settings, sender: AsyncBroker, redis: aioredis.Redis, spawn: Spawn
) -> None:
    env = settings_env(services, LOG_LEVEL="INFO")  # the default idle timeout (30 s): nothing may wait for it
    queue, group = queue_spec(settings).stream, settings.worker.consumer_group
    first = spawn("backend.entrypoints.worker", env, *PROBE_ARGS, *ONE_AT_A_TIME)
    long_key, short_keys = uuid.uuid4().hex, [uuid.uuid4().hex for _ in range(3)]
    await probe_tasks.tracked_sleep.kicker().with_broker(sender).kiq(long_key, 60.0)
    await eventually(lambda: redis.llen(f"probe:{long_key}:log"), 30, "the first worker to start the long task")
    for key in short_keys:  # held by the busy worker (read, not started)
        await probe_tasks.tracked_sleep.kicker().with_broker(sender).kiq(key, 0.2)
    await eventually(
        lambda: _pending_is(redis, queue, group, 4), 10, "the first worker to read the others while it is busy"
    )

    signalled = time.monotonic()
    assert first.terminate(timeout=40) == 0
    assert time.monotonic() - signalled < 15, first.output()  # wait 1 s, cut off within 2 s, shut down
    assert "handed back 4 unfinished message(s)" in first.output(), first.output()
    stopped = time.time()
    assert [what for what, _, _ in await _log(redis, long_key)] == ["start", "cancelled"]

    second = spawn("backend.entrypoints.worker", env, *PROBE_ARGS)
    started = time.monotonic()
    for key in short_keys:
        await eventually(functools.partial(_last_is, redis, key, "end"), 20, "the second worker to run a held task")
    await eventually(lambda: _count_is(redis, long_key, 3), 20, "the second worker to rerun the cut-off task")
    assert time.monotonic() - started < 20  # the idle timeout (30 s) was not waited for
    for key in short_keys:
        assert [(what, pid) for what, pid, _ in await _log(redis, key)] == [
            ("start", second.pid),
            ("end", second.pid),
        ]
    log = await _log(redis, long_key)
    assert [(what, pid) for what, pid, _ in log[2:]] == [("start", second.pid)]
    assert log[2][2] >= stopped  # never two runs at once: the rerun started after the first worker exited
    await eventually(lambda: _pending_is(redis, queue, group, 1), 10, "only the long rerun to be pending")


async def _pending_is(redis: aioredis.Redis, queue: str, group: str, count: int) -> bool:
    return int((await redis.xpending(queue, group))["pending"]) == count


async def _last_is(redis: aioredis.Redis, key: str, what: str) -> bool:
    log = await _log(redis, key)
    return bool(log) and log[-1][0] == what


async def _count_is(redis: aioredis.Redis, key: str, count: int) -> bool:
    return int(await redis.llen(f"probe:{key}:log")) == count
