"""Reclaiming messages whose consumer died: the timer-driven half of HardenedStreamBroker.listen.

Upstream taskiq-redis 1.2.4 ran XAUTOCLAIM only after a new message arrived (so on a quiet queue a
crashed task waited forever) under a lock with no timeout (measured). Here `listen` calls
`maybe_reclaim` on every turn, also when XREADGROUP timed out empty; at most one worker at a time
reclaims, under a lock that expires on its own.

XPENDING (IDLE filter) + XCLAIM is used instead of XAUTOCLAIM because it tells us, per message, how
often it was delivered (a message that keeps killing workers is dead-lettered, not retried forever)
and which pending entries lost their body to `maxlen` trimming (Redis 6.2 keeps them pending and
returns nil for them forever; they are acked and dead-lettered as `trimmed`).
"""

from __future__ import annotations

import contextlib
import logging
import time
from typing import TYPE_CHECKING, Any, cast

from redis.asyncio import Redis
from redis.exceptions import LockError

from tasks import messages as msgs
from tasks.messages import Entry

if TYPE_CHECKING:  # only for annotations; the broker imports this module
    from tasks.stream import HardenedStreamBroker

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
        candidates: list[Any] = []
        for item in pending:
            msg_id, delivered = cast(bytes, item["message_id"]), int(item["times_delivered"])
            if delivered >= self.max_deliveries:
                verdict = msgs.Verdict(msgs.TOO_MANY_DELIVERIES, f"delivered {delivered} times without an ack")
                await b.bury(conn, msg_id, verdict, await _body(conn, b.queue_name, msg_id))
            else:
                candidates.append(msg_id)
        if not candidates:
            return []
        claimed = cast(
            list[Entry], await conn.xclaim(b.queue_name, b.consumer_group_name, b.consumer_name, idle, candidates)
        )
        live = [(msg_id, fields) for msg_id, fields in claimed if msg_id is not None]
        for msg_id in set(candidates) - {msg_id for msg_id, _ in live}:
            # Not returned: another worker claimed it first, or its body was trimmed away.
            if await _body(conn, b.queue_name, msg_id) is None:
                await b.bury(conn, msg_id, msgs.Verdict(msgs.TRIMMED, "trimmed by maxlen before it ran"), None)
        if live:
            logger.warning("reclaimed %d message(s) idle for over %d ms", len(live), idle)
        return live


async def _body(conn: Redis, queue: str, msg_id: bytes) -> dict[bytes, bytes] | None:
    """The fields of stream entry `msg_id`, or None when it no longer exists."""
    found = cast(list[Entry], await conn.xrange(queue, msg_id, msg_id))
    return found[0][1] if found else None
