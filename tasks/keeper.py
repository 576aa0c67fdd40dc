"""The worker-side bookkeeping of the stream broker: messages in flight and the keeper loop.

While a worker runs a message, the keeper renews it every tick (XCLAIM JUSTID resets its idle time
and keeps its delivery count), so a task running longer than the idle timeout is not handed to a
second worker (upstream taskiq-redis 1.2.4 did, measured). A worker that dies stops renewing, and
its messages idle out and are reclaimed (tasks.reclaim). Renewal stops after `max_task_seconds`, so
a message whose callback died without an ack still goes back to the queue.

The keeper knows the queue by its QueueSpec, the consumer it renews for by name, and opens Redis
connections with the `connect` callable it is given: it never sees the broker, which composes it.

The same loop releases due delayed messages (tasks.delayed), woken early when this process parks one.
It does not beat the worker's heartbeat: its Redis commands can block for a minute while Redis
hangs; the beat has its own timer task (tasks.heartbeat.run, started next to this loop).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, KeysView
from contextlib import AbstractAsyncContextManager
from typing import Any

from redis.asyncio import Redis

from tasks import delayed
from tasks.errors import OUTAGES
from tasks.spec import QueueSpec

logger = logging.getLogger("tasks.broker")


class Keeper:
    """Tracks this worker's in-flight messages and runs the renew/release loop."""

    def __init__(
        self, spec: QueueSpec, *, consumer: str, connect: Callable[[], AbstractAsyncContextManager[Redis]]
    ) -> None:
        self.spec = spec
        self.consumer = consumer
        self.connect = connect  # a client on the broker's pool, used as `async with connect() as conn`
        self.in_flight: dict[bytes, float] = {}  # stream id -> when this worker took it
        self.stream_ids: dict[str, bytes] = {}  # task id -> stream id
        self.abandoned: set[bytes] = set()  # cut off at shutdown but maybe still running: never handed back
        self._wake = asyncio.Event()

    def took(self, msg_ids: list[bytes]) -> None:
        now = time.monotonic()
        self.in_flight.update((msg_id, now) for msg_id in msg_ids)

    def running_ids(self) -> KeysView[bytes]:
        """The stream ids this worker holds (live view): never reclaimed from itself."""
        return self.in_flight.keys()

    def running(self, task_id: str, msg_id: bytes) -> None:
        self.stream_ids[task_id] = msg_id

    def done(self, msg_id: bytes, task_id: str = "") -> None:
        self.in_flight.pop(msg_id, None)
        if self.stream_ids.get(task_id) == msg_id:  # a retry keeps the task id, on another message
            del self.stream_ids[task_id]

    def release(self, task_id: str) -> None:
        """Stop renewing the message of `task_id`: unacked, it idles out and is reclaimed."""
        if (msg_id := self.stream_ids.pop(task_id, None)) is not None:
            self.in_flight.pop(msg_id, None)

    def abandon(self, msg_id: bytes) -> None:
        """Shutdown: a task that did not stop when cancelled. Not renewed and not handed back: its message
        idles out and is reclaimed after `idle_reclaim_ms`, when this process is long gone."""
        self.in_flight.pop(msg_id, None)
        self.abandoned.add(msg_id)

    def wake(self) -> None:
        self._wake.set()

    async def run(self) -> None:
        """Renew and release until cancelled; Redis outages are waited out."""
        tick = self.spec.keeper_tick
        while True:
            try:
                async with self.connect() as conn:
                    while True:
                        await self._renew(conn)
                        due = await delayed.release_due(conn, self.spec)
                        wait = tick if due is None else max(0.01, min(tick, due - time.time()))
                        with contextlib.suppress(TimeoutError):
                            await asyncio.wait_for(self._wake.wait(), wait)
                        self._wake.clear()
            except Exception as exc:
                if not isinstance(exc, OUTAGES):
                    logger.exception("stream keeper failed; retrying")
                await asyncio.sleep(min(self.spec.max_backoff, 1.0))

    async def _renew(self, conn: Redis) -> None:
        horizon = time.monotonic() - self.spec.max_task_seconds
        ids: list[Any] = [msg_id for msg_id, taken in self.in_flight.items() if taken > horizon]
        if ids:
            await conn.xclaim(self.spec.stream, self.spec.group, self.consumer, 0, ids, justid=True)
