"""Erasing an account, atomically and to the end.

`DELETE /me` deletes the user row (every table's rows of the user go with it: ON DELETE CASCADE,
stored idempotent answers included) and, in the same transaction, records an `account_erasures` row
and the `accounts.finish_erasure` task in the outbox (tasks/outbox.py). So the erasure is decided
once and for all when the request commits. What lives outside Postgres (the stored files under
`users/<id>/`, the realtime history, sockets and every other key of the user in Redis) is then
deleted by `finish`: right after the commit in the api (bounded by `INLINE_SECONDS`), and in the
worker, retried with backoff by the task queue; the `accounts.sweep_erasures` task re-enqueues any
erasure still recorded `RETRY_AFTER` after its last attempt, so an object store down for hours
delays the erasure and never ends it. Every step is idempotent; the record is deleted only once
each succeeded. No Litestar import.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

import anyio
import structlog
from redis.asyncio import Redis

from backend.features.accounts import queries as repo
from backend.platform import clock
from backend.platform.realtime.publisher import Publisher
from backend.platform.storage import ObjectStore
from tasks import outbox

log = structlog.get_logger("career_copilot.accounts.erasure")

FINISH_TASK = "accounts.finish_erasure"
SWEEP_TASK = "accounts.sweep_erasures"
INLINE_SECONDS = 5.0  # the api's own attempt right after the commit; the worker carries on after
RETRY_AFTER = timedelta(minutes=5)  # an erasure still recorded this long after its last attempt is re-enqueued


def user_prefix(user_id: uuid.UUID | str) -> str:
    """Where the user's files live in the object store."""
    return f"users/{user_id}/"


async def record(user_id: uuid.UUID) -> None:
    """In the caller's transaction (the one deleting the user row): the erasure and its task."""
    await repo.add_erasure(user_id, clock.now())
    await outbox.enqueue(FINISH_TASK, user_id=str(user_id))


async def finish(user_id: uuid.UUID, store: ObjectStore, publisher: Publisher, redis: Redis) -> bool:
    """Delete what is left of an erased user outside Postgres; True when it was recorded and is done
    now, False when nothing was recorded (already finished). Raises when a step fails (recorded on
    the row: the next attempt starts over; every step is idempotent)."""
    if not await repo.erasure_pending(user_id):
        return False
    try:
        await publisher.erase(user_id)  # sockets closed, event history dropped (Redis)
        await _drop_redis_keys(redis, user_id)
        await store.delete_prefix(user_prefix(user_id))
    except Exception as exc:
        await repo.erasure_failed(user_id, f"{type(exc).__name__}: {exc}"[:300], clock.now())
        raise
    await repo.erasure_done(user_id)
    log.info("account_erasure_finished", user=str(user_id))
    return True


async def finish_inline(user_id: uuid.UUID, store: ObjectStore, publisher: Publisher, redis: Redis) -> None:
    """The api's attempt right after the commit: at most `INLINE_SECONDS`, never an error for the
    caller (the recorded task finishes the job)."""
    with anyio.move_on_after(INLINE_SECONDS):
        try:
            await finish(user_id, store, publisher, redis)
        except Exception as exc:  # the worker's task retries it
            log.warning("account_erasure_deferred", user=str(user_id), error=type(exc).__name__)


async def _drop_redis_keys(redis: Redis, user_id: uuid.UUID) -> None:
    """Every Redis key naming the user (cached answers and their version counter, the session stamp,
    rate windows, the write position): one SCAN of the keyspace (on a cluster, of every primary, by
    the cluster client; the keys are deleted per slot), acceptable for an operation as rare as an
    erasure."""
    batch: list[bytes] = []
    async for key in redis.scan_iter(match=f"*{user_id}*", count=1000):
        batch.append(key)
        if len(batch) >= 500:
            await redis.delete(*batch)
            batch.clear()
    if batch:
        await redis.delete(*batch)


async def sweep(now: datetime) -> int:
    """Re-enqueue every erasure not finished `RETRY_AFTER` after its last attempt (or its request);
    returns how many."""
    user_ids = await repo.stale_erasures(now - RETRY_AFTER, now)
    for user_id in user_ids:
        await outbox.enqueue(FINISH_TASK, user_id=str(user_id))
    return len(user_ids)
