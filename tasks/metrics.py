"""The task queue's health as Prometheus gauges, read from the keys its QueueSpec names (tasks.spec).

The broker (tasks.broker) writes those keys; the api reads them for `/metrics`, because the workers
are not scraped. Every api process polls every POLL_SECONDS (a few cheap reads); the values are
cluster-wide, so alerts take the `max` over replicas:

- `career_copilot_task_stream_entries`: unfinished tasks in the stream (undelivered or running);
  against `career_copilot_task_stream_capacity` (TASK_STREAM_MAXLEN), past which sends are refused
  and outbox rows wait in Postgres;
- `career_copilot_task_sends_refused`: sends refused because the stream was full (ever, a counter
  kept in Redis: use `delta`);
- `career_copilot_task_dead_letters`: entries in the dead-letter stream (tasks that will not run
  again: exhausted retries, unknown or unparseable messages);
- `career_copilot_task_dead_letters_dropped`: dead letters removed by the stream's bound (ever).
"""

from __future__ import annotations

import asyncio
import contextlib

from prometheus_client import Gauge
from redis.asyncio import Redis
from redis.exceptions import RedisError

from tasks.spec import QueueSpec

POLL_SECONDS = 15.0

STREAM_ENTRIES = Gauge("career_copilot_task_stream_entries", "Unfinished tasks in the task stream")
STREAM_CAPACITY = Gauge("career_copilot_task_stream_capacity", "Most unfinished tasks the stream holds")
SENDS_REFUSED = Gauge("career_copilot_task_sends_refused", "Task sends refused because the stream was full (ever)")
DEAD_LETTERS = Gauge("career_copilot_task_dead_letters", "Entries in the dead-letter stream")
DEAD_LETTERS_DROPPED = Gauge(
    "career_copilot_task_dead_letters_dropped", "Dead letters removed by the stream's bound (ever)"
)


async def refresh(redis: Redis, spec: QueueSpec) -> None:
    """Read the queue's state once into the gauges (one pipeline), summed over its partitions; each
    partition's stream holds at most `maxlen` unfinished tasks."""
    parts = spec.parts()
    async with redis.pipeline(transaction=False) as pipe:
        for part in parts:
            pipe.xlen(part.stream)
            pipe.xlen(part.dead)
            pipe.hmget(part.stats, ["sends_refused", "dead_letters_dropped"])
        replies = await pipe.execute()
    entries = dead = refused = dropped = 0
    for i in range(len(parts)):
        stream_len, dead_len, (refused_one, dropped_one) = replies[3 * i : 3 * i + 3]
        entries, dead = entries + int(stream_len), dead + int(dead_len)
        refused, dropped = refused + int(refused_one or 0), dropped + int(dropped_one or 0)
    STREAM_ENTRIES.set(entries)
    STREAM_CAPACITY.set(spec.maxlen * len(parts))
    DEAD_LETTERS.set(dead)
    SENDS_REFUSED.set(refused)
    DEAD_LETTERS_DROPPED.set(dropped)


async def poll(redis: Redis, spec: QueueSpec, every: float = POLL_SECONDS) -> None:
    """Refresh the gauges until cancelled; while Redis is away they keep their last values."""
    while True:
        with contextlib.suppress(RedisError, OSError):
            await refresh(redis, spec)
        await asyncio.sleep(every)
