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
"""

from __future__ import annotations

import contextlib
import logging
import time
from typing import TYPE_CHECKING, Any, cast

from redis.asyncio import Redis
from redis.exceptions import LockError

from tasks import messages as msgs
from tasks import upkeep
from tasks.errors import OUTAGES
from tasks.messages import Entry

if TYPE_CHECKING:  # only for annotations; the broker imports this module
    from tasks.broker import HardenedStreamBroker

logger = logging.getLogger("tasks.broker")


class Reclaimer:
    """Claims messages idle for longer than the broker's `idle_timeout` (ms) for this consumer."""

    def __init__(
        self, broker: HardenedStreamBroker, *, max_deliveries: int, batch: int = 10, lock_timeout: float = 10.0
    ) -> None:
        self.broker = broker
        self.max_deliveries = max_deliveries
        self.batch = batch
        self.lock_timeout = lock_timeout
        self._last = float("-inf")

    async def maybe_reclaim(self, conn: Redis) -> list[Entry]:
        """Claimed (id, fields) entries if a reclaim round is due and no other worker runs one."""
        if time.monotonic() - self._last < self.broker.reclaim_every:
            return []
        self._last = time.monotonic()
        b = self.broker
        lock = conn.lock(f"{b.queue_name}:reclaim-lock:{b.consumer_group_name}", timeout=self.lock_timeout)
        if not await lock.acquire(blocking=False):
            return []
        try:
            try:
                await upkeep.run(conn, b)
            except Exception as exc:  # a bound not kept this round must not stop reclaiming
                if isinstance(exc, OUTAGES):
                    raise
                logger.exception("stream upkeep failed; reclaiming anyway")
            return await self._reclaim(conn)
        finally:
            with contextlib.suppress(LockError):  # expired while we worked: nothing to release
                await lock.release()

    async def _reclaim(self, conn: Redis) -> list[Entry]:
        b = self.broker
        idle = b.idle_timeout
        found = await conn.xpending_range(b.queue_name, b.consumer_group_name, "-", "+", self.batch, idle=idle)
        pending = cast(list[dict[str, Any]], found)
        if len(pending) == self.batch:
            self._last = float("-inf")  # a dead worker left more: go on next turn, not next period
        mine = b.keeper.in_flight  # running here: renewed late because the loop was blocked
        ids = [cast(bytes, item["message_id"]) for item in pending if item["message_id"] not in mine]
        delivered = {cast(bytes, item["message_id"]): int(item["times_delivered"]) for item in pending}
        candidates: list[Any] = []
        for msg_id, still_pending, body in await _snapshot(conn, b.queue_name, b.consumer_group_name, ids):
            if not still_pending:
                continue  # acked (and deleted) by its owner since XPENDING
            if body is None:
                await b.bury(conn, msg_id, msgs.Verdict(msgs.TRIMMED, "deleted from the stream before it ran"), None)
            elif delivered[msg_id] >= self.max_deliveries:
                name, task_id = msgs.identify(body, b.formatter)
                detail = f"delivered {delivered[msg_id]} times without an ack"
                await b.bury(conn, msg_id, msgs.Verdict(msgs.TOO_MANY_DELIVERIES, detail, name, task_id), body)
            else:
                candidates.append(msg_id)
        if not candidates:
            return []
        claimed = cast(
            list[Entry], await conn.xclaim(b.queue_name, b.consumer_group_name, b.consumer_name, idle, candidates)
        )
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
