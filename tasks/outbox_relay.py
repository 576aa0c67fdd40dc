"""The outbox relay: sends the tasks recorded in `task_outbox` to the broker.

The api writes a TaskOutbox row in the transaction of the rows the task is about
(`tasks.outbox.enqueue`); this loop, one per worker process (started and stopped by the
worker's hooks in backend.platform.jobs.resources), makes sure each reaches the broker:

- every `interval` s it claims up to `batch` pending rows (`sent_at IS NULL`, oldest first,
  `FOR UPDATE SKIP LOCKED`, so relays of other processes take other rows), sends each by task
  name with its kwargs and the task's own labels, and sets `sent_at` (and `attempts`) in the
  same transaction once the send succeeded. A full batch is followed by the next one at once;
- a broker outage (Redis down, a send timing out) records `attempts`/`last_error` on the row that
  failed, commits what was sent before it, and backs off exponentially up to `max_backoff`
  (no crash, no busy loop); the rows stay pending and go out when Redis is back. Postgres being
  down is waited out the same way;
- a full task stream (StreamFull: TASK_STREAM_MAXLEN unfinished tasks, e.g. workers down) ends
  the batch without marking the row: it commits what was sent and polls again after a pause that
  doubles from `interval` up to `max_full_backoff` and ignores NOTIFYs, reset by the first send
  that succeeds. This is the backlog's bound: past the cap, new work waits in Postgres, not in
  Redis memory, and an enqueue during the overload wakes no relay (one per worker process, each
  a claim query and a refused send);
- any other send error (a row that cannot be serialised) is recorded on that row, which stays
  pending, and the batch goes on.

Between batches the relay sleeps `interval` s or until a `NOTIFY task_outbox` (sent by
`outbox.enqueue` in the writer's transaction) arrives on its own LISTEN connection, so a job
reaches the broker within milliseconds of the commit (the first cover-letter token is due within 150 ms).
The LISTEN connection is best effort: when it cannot be opened or drops, polling carries on and
the connection is retried before each sleep.

Delivery is at-least-once: a crash between the send and the commit sends the row again, which the
idempotent tasks absorb. Sent rows are deleted by `maintenance.purge_expired` after a day.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import logging
import random
import uuid
from typing import Any

import msgspec
from taskiq import AsyncBroker
from taskiq.exceptions import SendTaskError
from taskiq.kicker import AsyncKicker

from backend.platform.db.engine import DB
from backend.platform.db.tables import TaskOutbox
from tasks import outbox
from tasks.errors import OUTAGES, StreamFull

logger = logging.getLogger("tasks.outbox")

_CLAIM = """
SELECT id, task_name, kwargs FROM task_outbox
WHERE sent_at IS NULL
ORDER BY created_at, id
LIMIT {}
FOR UPDATE SKIP LOCKED
"""


class BrokerUnavailable(Exception):
    """A send failed because the broker cannot be reached; the relay backs off."""


class OutboxRelay:
    """Moves pending outbox rows to the broker until stopped (see the module docstring)."""

    def __init__(
        self,
        broker: AsyncBroker,
        *,
        interval: float = 0.5,
        batch: int = 100,
        send_timeout: float = 5.0,
        max_backoff: float = 5.0,
        max_full_backoff: float = 5.0,
    ) -> None:
        self.broker = broker
        self.interval = interval
        self.batch = batch
        self.send_timeout = send_timeout
        self.max_backoff = max_backoff
        self.max_full_backoff = max_full_backoff
        self._stop = asyncio.Event()
        self._nudge = asyncio.Event()  # set by a NOTIFY or by stop(): ends the current sleep
        self._listener: Any = None  # the asyncpg connection that LISTENs to outbox.CHANNEL
        self._task: asyncio.Task[None] | None = None
        self._refused = False  # the last batch stopped at a full stream (the relay backs off)

    def start(self) -> None:
        if self._task is None:
            self._stop.clear()
            self._task = asyncio.create_task(self.run(), name="outbox-relay")

    async def stop(self, grace: float = 3.0) -> None:
        """Finish the batch in hand (up to `grace` s), then stop."""
        if self._task is None:
            return
        self._stop.set()
        self._nudge.set()
        done, _ = await asyncio.wait({self._task}, timeout=grace)
        if not done:
            self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await self._task
        self._task = None
        if self._listener is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._listener.close(), 2)
            self._listener = None

    async def _listen(self) -> None:
        """(Re)open the LISTEN connection if it is missing or closed; polling covers any failure."""
        if self._listener is not None and not self._listener.is_closed():
            return
        self._listener = None
        connection: Any = None
        try:
            connection = await asyncio.wait_for(DB.get_new_connection(), 5)
            await connection.add_listener(outbox.CHANNEL, lambda *_: self._nudge.set())
        except Exception as exc:
            logger.debug("outbox relay cannot LISTEN (%s); polling only", type(exc).__name__)
            if connection is not None:
                with contextlib.suppress(Exception):
                    connection.terminate()
            return
        self._listener = connection

    async def run(self) -> None:
        """Relay until `stop`; outages of Redis or Postgres are waited out with backoff."""
        failures = 0
        full = 0  # consecutive batches that stopped at a full stream
        while not self._stop.is_set():
            try:
                sent = await self.relay_once()
            except Exception as exc:
                failures += 1
                pause = min(self.max_backoff, self.interval * 2 ** min(failures, 10)) * random.uniform(0.75, 1)
                if failures % 100 == 1:  # the first failure of an outage, then now and then
                    expected = isinstance(exc, (BrokerUnavailable, *OUTAGES))
                    logger.warning(
                        "outbox relay failed %d time(s) (%s); retrying with backoff",
                        failures,
                        type(exc).__name__,
                        exc_info=not expected,
                    )
                await self._sleep(pause, nudgeable=False)
                continue
            if failures:
                logger.warning("outbox relay sending again after %d failed attempt(s)", failures)
                failures = 0
            if self._refused:  # backpressure: poll less and less often, deaf to NOTIFYs, until room is made
                if not full:  # the first refused batch of an episode
                    logger.warning("task stream full (TASK_STREAM_MAXLEN); outbox rows wait for room")
                full = 1 if sent else full + 1  # a send that succeeded starts the backoff over
                await self._listen()
                pause = min(self.max_full_backoff, self.interval * 2 ** min(full - 1, 10))
                await self._sleep(pause, nudgeable=False)
            else:
                full = 0
                if sent < self.batch:
                    await self._listen()
                    await self._sleep(self.interval)

    async def relay_once(self) -> int:
        """Send one batch of pending rows; how many were sent. Raises BrokerUnavailable on an outage."""
        outage: BaseException | None = None
        sent: list[uuid.UUID] = []
        self._refused = False
        async with DB.transaction():
            for row in await TaskOutbox.raw(_CLAIM, self.batch):
                try:
                    await self._send(row["task_name"], _kwargs(row["kwargs"]))
                except Exception as exc:
                    if _is_full(exc):
                        self._refused = True
                        break
                    await _record_failure(row["id"], self._describe(exc))
                    if _is_outage(exc):
                        outage = exc
                        break
                    logger.error("outbox row %s (%s) cannot be sent: %s", row["id"], row["task_name"], exc)
                    continue
                sent.append(row["id"])
            if sent:
                await TaskOutbox.raw(
                    "UPDATE task_outbox SET sent_at = now(), attempts = attempts + 1 WHERE id = ANY({})", sent
                )
        if outage is not None:
            raise BrokerUnavailable(f"{type(outage).__name__}: {outage}") from outage
        return len(sent)

    async def _send(self, task_name: str, kwargs: dict[str, Any]) -> None:
        task = self.broker.find_task(task_name)
        # The task's own labels (retry_delay, ...) travel with it, as with `task.kiq()`.
        labels = copy.copy(task.labels) if task is not None else {}
        kicker: AsyncKicker[Any, Any] = AsyncKicker(task_name=task_name, broker=self.broker, labels=labels)
        async with asyncio.timeout(self.send_timeout):
            await kicker.kiq(**kwargs)

    def _describe(self, exc: BaseException) -> str:
        """What went wrong, for `last_error`: the send's cause, not taskiq's SendTaskError wrapper."""
        if isinstance(exc, TimeoutError):
            return f"TimeoutError: the broker did not take the task within {self.send_timeout:g} s"
        cause = exc.__cause__ if isinstance(exc, SendTaskError) and exc.__cause__ is not None else exc
        return f"{type(cause).__name__}: {cause}"

    async def _sleep(self, seconds: float, *, nudgeable: bool = True) -> None:
        """Sleep `seconds`, or until stopped; a NOTIFY ends it early too unless backing off from an outage."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for((self._nudge if nudgeable else self._stop).wait(), seconds)
        self._nudge.clear()


def _kwargs(raw: Any) -> dict[str, Any]:
    """JSONB comes back as text from raw queries (Piccolo 1.38)."""
    value = msgspec.json.decode(raw) if isinstance(raw, str | bytes) else raw
    if not isinstance(value, dict):
        raise TypeError(f"outbox kwargs must be a JSON object, got {type(value).__name__}")
    return value


def _is_full(exc: BaseException) -> bool:
    """The send was refused by the stream's cap (backpressure), not failed."""
    return isinstance(exc, StreamFull) or isinstance(exc.__cause__, StreamFull)


def _is_outage(exc: BaseException) -> bool:
    """A send error that says the broker is unreachable (the SendTaskError's cause), not this row."""
    return isinstance(exc, OUTAGES) or isinstance(exc.__cause__, OUTAGES)  # TimeoutError is an OSError


async def _record_failure(row_id: uuid.UUID, error: str) -> None:
    await TaskOutbox.raw(
        "UPDATE task_outbox SET attempts = attempts + 1, last_error = {} WHERE id = {}", error[:300], row_id
    )
