"""Reclaiming messages whose consumer died: the timer-driven half of HardenedStreamBroker.listen.

Upstream taskiq-redis 1.2.4 ran XAUTOCLAIM only after a new message arrived (so on a quiet queue a
crashed task waited forever) under a lock with no timeout (measured). Here `listen` calls
`maybe_reclaim` on every turn, also when XREADGROUP timed out empty; at most one worker at a time
reclaims, under a lock that expires on its own.

XPENDING (IDLE filter) + XCLAIM is used instead of XAUTOCLAIM because it tells us, per message, how
often it was delivered (a message that keeps killing workers is dead-lettered, not retried forever)
and which pending entries lost their body (Redis 6.2 keeps them pending and returns nil for them
forever, Redis 7 silently drops them from the pending list on XCLAIM; they are acked and
dead-lettered as `trimmed`). Whether a candidate is still pending and still has its body is read
in one transaction before the claim, so an entry its owner acked and deleted meanwhile is not
mistaken for a trimmed one.

A message this consumer is running is never reclaimed, even when it idled out because a task
blocked the event loop past the idle timeout (it would run twice in the same worker, measured).
The same round, under the same lock, keeps the broker's keys bounded (tasks.upkeep).

The reclaimer is given the queue's QueueSpec, the consumer it claims for, and three callables: the
ids this worker is running, how to bury an entry, and how to name the task of one. It never sees
the broker, which composes it.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, Container, Mapping
from typing import Any, cast

from redis.asyncio import Redis
from redis.exceptions import LockError

from tasks import messages as msgs
from tasks import upkeep
from tasks.errors import OUTAGES
from tasks.messages import Entry
from tasks.spec import QueueSpec

logger = logging.getLogger("tasks.broker")

# Dead-letter, ack and delete one pending entry: (conn, stream id, why, its fields or None).
Bury = Callable[[Redis, bytes, msgs.Verdict, dict[bytes, bytes] | None], Awaitable[None]]
# (task name, task id) of an entry's message, ("", "") when it does not parse.
Identify = Callable[[Mapping[bytes, bytes] | None], tuple[str, str]]


class Reclaimer:
    """Claims messages idle for longer than the spec's `idle_reclaim_ms` for `consumer`."""

    def __init__(
        self,
        spec: QueueSpec,
        *,
        consumer: str,
        running_ids: Callable[[], Container[bytes]],
        bury: Bury,
        identify: Identify,
    ) -> None:
        self.spec = spec
        self.consumer = consumer
        self.running_ids = running_ids
        self.bury = bury
        self.identify = identify
        self._last = float("-inf")

    async def maybe_reclaim(self, conn: Redis) -> list[Entry]:
        """Claimed (id, fields) entries if a reclaim round is due and no other worker runs one."""
        spec = self.spec
        if time.monotonic() - self._last < spec.reclaim_every:
            return []
        self._last = time.monotonic()
        lock = conn.lock(spec.reclaim_lock, timeout=spec.reclaim_lock_seconds)
        if not await lock.acquire(blocking=False):
            return []
        try:
            try:
                await upkeep.run(conn, spec, self.consumer)
            except Exception as exc:  # a bound not kept this round must not stop reclaiming
                if isinstance(exc, OUTAGES):
                    raise
                logger.exception("stream upkeep failed; reclaiming anyway")
            return await self._reclaim(conn)
        finally:
            with contextlib.suppress(LockError):  # expired while we worked: nothing to release
                await lock.release()

    async def _reclaim(self, conn: Redis) -> list[Entry]:
        spec = self.spec
        stream, group, idle, batch = spec.stream, spec.group, spec.idle_reclaim_ms, spec.reclaim_batch
        found = await conn.xpending_range(stream, group, "-", "+", batch, idle=idle)
        pending = cast(list[dict[str, Any]], found)
        if len(pending) == batch:
            self._last = float("-inf")  # a dead worker left more: go on next turn, not next period
        mine = self.running_ids()  # running here: renewed late because the loop was blocked
        ids = [cast(bytes, item["message_id"]) for item in pending if item["message_id"] not in mine]
        delivered = {cast(bytes, item["message_id"]): int(item["times_delivered"]) for item in pending}
        candidates: list[Any] = []
        for msg_id, still_pending, body in await _snapshot(conn, stream, group, ids):
            if not still_pending:
                continue  # acked (and deleted) by its owner since XPENDING
            if body is None:
                await self.bury(conn, msg_id, msgs.Verdict(msgs.TRIMMED, "deleted from the stream before it ran"), None)
            elif delivered[msg_id] >= spec.max_deliveries:
                name, task_id = self.identify(body)
                detail = f"delivered {delivered[msg_id]} times without an ack"
                await self.bury(conn, msg_id, msgs.Verdict(msgs.TOO_MANY_DELIVERIES, detail, name, task_id), body)
            else:
                candidates.append(msg_id)
        if not candidates:
            return []
        claimed = cast(list[Entry], await conn.xclaim(stream, group, self.consumer, idle, candidates))
        # Another worker may have claimed some first; entries without a body (Redis 6.2) were
        # buried above unless deleted in between: they idle out again and are buried next round.
        live: list[Entry] = [(m, fields) for m, fields in claimed if m is not None and fields is not None]
        if live:
            logger.warning("reclaimed %d message(s) idle for over %d ms", len(live), idle)
        return live


async def _snapshot(
    conn: Redis, queue: str, group: str, ids: list[bytes]
) -> list[tuple[bytes, bool, dict[bytes, bytes] | None]]:
    """(id, still pending, body or None) for each id, read atomically."""
    if not ids:
        return []
    async with conn.pipeline(transaction=True) as pipe:
        for msg_id in ids:
            pipe.xpending_range(queue, group, msg_id, msg_id, 1)
            pipe.xrange(queue, msg_id, msg_id)
        replies = await pipe.execute()
    out: list[tuple[bytes, bool, dict[bytes, bytes] | None]] = []
    for i, msg_id in enumerate(ids):
        found = cast(list[Entry], replies[2 * i + 1])
        out.append((msg_id, bool(replies[2 * i]), found[0][1] if found else None))
    return out
