"""The scheduler process sends `maintenance.purge_expired` on its schedule and a worker runs it."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta

import redis.asyncio as aioredis

from backend.platform.db.tables import IdempotencyRecord
from backend.settings import Settings
from tests import support
from tests.plugins.processes import Spawn
from tests.plugins.tasks import queue_spec
from tests.support import eventually, settings_env


async def _record(created_at: datetime) -> uuid.UUID:
    record = IdempotencyRecord(scoped_key=uuid.uuid4().hex, request_hash="h", created_at=created_at)
    await record.save()
    return record.id


async def _gone(record_id: uuid.UUID) -> bool:
    return not await IdempotencyRecord.exists().where(IdempotencyRecord.id == record_id)


async def _names(redis: aioredis.Redis, queue: str) -> list[str] | None:
    """The task names in the stream once the purge is among them."""
    sent: list[tuple[bytes, dict[bytes, bytes]]] = await redis.xrange(queue)  # type: ignore[assignment]
    names = [json.loads(fields[b"data"])["task_name"] for _id, fields in sent]
    return names if "maintenance.purge_expired" in names else None


async def test_scheduler_sends_the_purge_task_on_schedule_and_stops_cleanly(
    services: support.SessionServices, settings: Settings, redis: aioredis.Redis, spawn: Spawn
) -> None:
    expired = await _record(datetime.now(UTC) - timedelta(days=2))
    fresh = await _record(datetime.now(UTC))
    # Every second instead of every 10 minutes, so the test need not wait for the cron.
    env = settings_env(services, TASK_SCHEDULE_OVERRIDES="maintenance.purge_expired=1")
    scheduler = spawn("backend.entrypoints.scheduler", env)
    # Read what the scheduler sent before any worker runs it (an acked entry leaves the stream).
    sent = await eventually(lambda: _names(redis, queue_spec(settings).stream), 30, "the scheduler to send")
    # the purge came from the scheduler; other schedules (e.g. resumes.sweep_stuck) may tick meanwhile
    assert "maintenance.purge_expired" in sent  # type: ignore[operator]
    assert set(sent) <= {  # type: ignore[call-overload]
        "maintenance.purge_expired",
        "resumes.sweep_stuck",
        "ai.sweep_stuck",
        "email.sweep",
        "reminders.scan",
        "ghosting.scan",
        "reminders.interviews",
        "accounts.sweep_erasures",
    }
    worker = spawn("backend.entrypoints.worker", env, "--workers", "1")

    await eventually(lambda: _gone(expired), 30, "the scheduled purge to delete the expired record")
    assert not await _gone(fresh)

    assert scheduler.terminate(timeout=20) == 0
    assert worker.terminate(timeout=30) == 0
