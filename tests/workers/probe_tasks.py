"""Test-only tasks. Worker subprocesses import them with `--tasks-module tests.workers.probe_tasks`;
the test process imports them to send them. Each leaves its traces under Redis keys `probe:<key>:*`."""

from __future__ import annotations

import asyncio
import os
import signal
import time

from redis.asyncio import Redis
from taskiq import TaskiqDepends, async_shared_broker

from backend.platform.jobs import resources

MODULE = __name__
RETRY_DELAY = 0.3  # base backoff of the failing probes, seconds


@async_shared_broker.task(task_name="probe.mark")
async def mark(key: str, redis: Redis = TaskiqDepends(resources.redis_client)) -> None:
    """Record which worker process ran it."""
    await redis.set(f"probe:{key}:done", os.getpid())


@async_shared_broker.task(task_name="probe.slow_mark")
async def slow_mark(key: str, seconds: float, redis: Redis = TaskiqDepends(resources.redis_client)) -> None:
    """Count the start, sleep, then mark done: idempotent, so running it twice is harmless."""
    await redis.incr(f"probe:{key}:started")
    await asyncio.sleep(seconds)
    await redis.set(f"probe:{key}:done", os.getpid())


@async_shared_broker.task(task_name="probe.flaky", retry_delay=RETRY_DELAY)
async def flaky(key: str, failures: int, redis: Redis = TaskiqDepends(resources.redis_client)) -> None:
    """Fail with a transient error on the first `failures` attempts, then succeed."""
    attempt = await redis.incr(f"probe:{key}:attempts")
    await redis.rpush(f"probe:{key}:times", time.time())
    if attempt <= failures:
        raise ConnectionError(f"transient failure {attempt}")
    await redis.set(f"probe:{key}:done", os.getpid())


@async_shared_broker.task(task_name="probe.always_fails", retry_delay=RETRY_DELAY)
async def always_fails(key: str, redis: Redis = TaskiqDepends(resources.redis_client)) -> None:
    await redis.incr(f"probe:{key}:attempts")
    raise RuntimeError("this probe always fails")


@async_shared_broker.task(task_name="probe.watched_sleep")
async def watched_sleep(key: str, seconds: float, redis: Redis = TaskiqDepends(resources.redis_client)) -> None:
    """Record which worker (its main process) started it, sleep, then mark done with the same."""
    await redis.rpush(f"probe:{key}:runners", os.getppid())
    await asyncio.sleep(seconds)
    await redis.set(f"probe:{key}:done", os.getppid())


@async_shared_broker.task(task_name="probe.deaf_sleep")
async def deaf_sleep(key: str, redis: Redis = TaskiqDepends(resources.redis_client)) -> None:
    """Make this worker child deaf to stop signals (taskiq's process manager sends SIGINT), record
    its pid, and sleep for long."""
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, signal.SIG_IGN)
    await redis.set(f"probe:{key}:pid", os.getpid())
    await asyncio.sleep(600)


@async_shared_broker.task(task_name="probe.tracked_sleep")
async def tracked_sleep(key: str, seconds: float, redis: Redis = TaskiqDepends(resources.redis_client)) -> None:
    """Log `start`, then `end` or `cancelled` (with the worker's main pid and the time) to `probe:<key>:log`."""
    who = os.getppid()
    await redis.rpush(f"probe:{key}:log", f"start {who} {time.time()}")
    try:
        await asyncio.sleep(seconds)
    except asyncio.CancelledError:
        await redis.rpush(f"probe:{key}:log", f"cancelled {who} {time.time()}")
        raise
    await redis.rpush(f"probe:{key}:log", f"end {who} {time.time()}")


@async_shared_broker.task(task_name="probe.tally")
async def tally(key: str, ledger_url: str) -> None:
    """Count one run of `key` in a Redis of the test's own (`ledger_url`), apart from the Redis the
    queue runs on: a fault test breaks that one and must still know which tasks ran."""
    ledger = Redis.from_url(ledger_url)
    try:
        await ledger.incr(f"tally:{key}")
    finally:
        await ledger.aclose()
