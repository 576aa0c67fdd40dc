"""The task stream and the dead-letter stream are capped by TASK_STREAM_MAXLEN (approximate trim)."""

from __future__ import annotations

import redis.asyncio as aioredis

from backend.settings import Settings
from tasks import messages as msgs
from tasks.broker import build_broker
from tasks.stream import HardenedStreamBroker
from tests import support
from tests.conftest import settings_env
from tests.integration.tasks import probe_tasks

MAXLEN = 50
# `MAXLEN ~` drops whole radix-tree nodes only (up to 100 entries each), so a stream may exceed
# MAXLEN by less than one node; without trimming it would hold all SENT entries.
SLACK = 100
SENT = 1_000


async def test_stream_and_dead_letter_stream_stay_bounded(
    services: support.SessionServices, redis: aioredis.Redis
) -> None:
    settings = Settings.from_env(settings_env(services, TASK_STREAM_MAXLEN=str(MAXLEN)))
    broker = build_broker(settings)
    assert isinstance(broker, HardenedStreamBroker)
    await broker.startup()
    try:
        for i in range(SENT):
            await probe_tasks.mark.kicker().with_broker(broker).kiq(f"k{i}")
            await broker.dead_letter(msgs.Verdict(msgs.FAILED, "probe"), data=b"x")
    finally:
        await broker.shutdown()

    for stream in (settings.worker.queue_name, f"{settings.worker.queue_name}:dead"):
        length = await redis.xlen(stream)
        assert MAXLEN <= length < MAXLEN + SLACK, (stream, length)
