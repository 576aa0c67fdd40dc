"""The task queue seen from the test process: a sending broker, the probe tasks' worker arguments, and
whether every started task has returned."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest_asyncio
import redis.asyncio as aioredis
from taskiq import AsyncBroker

from backend.platform.jobs.runtime import build_broker
from backend.settings import Settings
from tests.workers import probe_tasks

PROBE_ARGS = ("--workers", "1", "--tasks-module", probe_tasks.MODULE)


@pytest_asyncio.fixture
async def sender(settings: Settings) -> AsyncIterator[AsyncBroker]:
    """A client-side stream broker of the test session, to send tasks from the test."""
    broker = build_broker(settings)
    await broker.startup()
    yield broker
    await broker.shutdown()


async def all_acked(redis: aioredis.Redis, settings: Settings) -> bool:
    """No message of the worker queue is delivered and still unacknowledged: every task that
    started has returned (the stream broker acks after the task, failed ones included)."""
    summary = await redis.xpending(settings.worker.queue_name, settings.worker.consumer_group)
    return int(summary["pending"]) == 0
