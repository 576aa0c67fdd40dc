"""The task queue seen from the test process: a sending broker, the probe tasks' worker arguments, and
whether every started task has returned."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest_asyncio
import redis.asyncio as aioredis
from taskiq import AsyncBroker

from backend.platform.jobs.runtime import build_broker
from backend.settings import Settings
from tasks.spec import QueueSpec
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
    for spec in QueueSpec.from_settings(settings.worker).parts():
        if int((await redis.xpending(spec.stream, spec.group))["pending"]):
            return False
    return True


def queue_spec(settings: Settings) -> QueueSpec:
    """The keys of the session's task queue with its default single partition (tagged on a cluster)."""
    return QueueSpec.from_settings(settings.worker).parts()[0]
