"""Account tasks: thin wrappers of `backend.features.accounts.erasure`.

- `accounts.finish_erasure(user_id)`: delete an erased account's files and realtime history
  (recorded through the outbox by `DELETE /me`). A failure raises, so the retry middleware runs it
  again with backoff; idempotent, so a redelivery or a second run changes nothing.
- `accounts.sweep_erasures()`: every 5 minutes (schedule id `accounts.sweep_erasures`), re-enqueue
  erasures still unfinished (an object store down for longer than the task's retries).
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import structlog
from redis.asyncio import Redis
from taskiq import TaskiqDepends, TaskiqState, async_shared_broker

from backend.features.accounts import erasure
from backend.platform.jobs import resources
from backend.platform.realtime.publisher import Publisher

log = structlog.get_logger("career_copilot.accounts.tasks")

FINISH_ERASURE = erasure.FINISH_TASK
SWEEP_ERASURES = erasure.SWEEP_TASK


@async_shared_broker.task(task_name=FINISH_ERASURE)
async def finish_erasure(
    user_id: str,
    state: TaskiqState = TaskiqDepends(),
    publisher: Publisher = TaskiqDepends(resources.publisher),
    redis: Redis = TaskiqDepends(resources.redis_client),
) -> str:
    """Finish erasing account `user_id`; returns finished, nothing-left or skipped."""
    try:
        uid = uuid.UUID(user_id)
    except (TypeError, ValueError):
        log.error("account_erasure_bad_id")
        return "skipped"
    return "finished" if await erasure.finish(uid, state.store, publisher, redis) else "nothing-left"


@async_shared_broker.task(
    task_name=SWEEP_ERASURES,
    schedule=[{"cron": "*/5 * * * *", "schedule_id": SWEEP_ERASURES}],
)
async def sweep_erasures() -> int:
    """Re-enqueue unfinished erasures; returns how many."""
    return await erasure.sweep(datetime.now(UTC))
