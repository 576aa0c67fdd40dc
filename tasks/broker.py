"""HardenedStreamBroker: taskiq-redis' acknowledging RedisStreamBroker with its measured defects fixed.

Defects of RedisStreamBroker in taskiq-redis 1.2.4 (measured) and what this class does instead:
- idle unacked messages were reclaimed only after new ones arrived, so a task whose worker died
  waited forever on a quiet queue → `listen` reclaims on a timer, also while the queue is empty,
  under a lock that expires (upstream's had no timeout) (tasks.reclaim);
- a Redis restart raised out of `listen` and crashed the worker → `listen` reconnects with capped
  exponential backoff and recreates the consumer group if Redis lost its data;
- an entry without a `data` field crashed the listener → unrunnable entries are acked and
  dead-lettered (tasks.messages), and so is a message the receiver raises on (tasks.receiver);
- the `delay` label was ignored, so retries had no backoff → delayed messages wait in Redis and
  are moved into the stream when due (tasks.delayed);
- a task running longer than the idle timeout was handed to a second worker while still running
  → in-flight messages are renewed (tasks.keeper), and the reclaimer never claims a message this
  consumer is running;
- `maxlen` trimmed by id, delivered or not: with no worker running, 1000 sends and MAXLEN 100 left
  109 entries and 891 tasks silently lost → no trimming on send. An acked entry is deleted with its
  ack (XACK + XDEL, one transaction), the maintenance round trims below the oldest entry any group
  still needs (tasks.upkeep), and `maxlen` is a cap on unfinished entries: a send to a stream
  holding `maxlen` entries is refused with StreamFull (the outbox keeps its rows until there is
  room). The dead-letter stream is bounded by count and age; what it drops is logged and counted.
Every key, size and timing comes from one frozen QueueSpec (tasks.spec). The broker composes the
keeper and the reclaimer from that spec and narrow callables; they never see the broker.
Delivery stays at-least-once, so every task must be idempotent. A task must never block
the event loop for longer than the idle timeout (CPU work goes to a thread or a subprocess, as the
resume parser does): while the loop is blocked nothing renews its message, so another worker may
reclaim and run it a second time.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import random
import socket
import uuid
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable, Mapping
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from typing import Any, cast

import msgspec
from redis.asyncio import Redis, ResponseError
from taskiq import AckableMessage
from taskiq.message import BrokerMessage
from taskiq_redis import RedisStreamBroker

from backend.platform import redis_client
from backend.settings import redis_seeds
from tasks import delayed, heartbeat
from tasks import messages as msgs
from tasks.errors import OUTAGES, StreamFull
from tasks.keeper import Keeper
from tasks.messages import Entry
from tasks.reclaim import Reclaimer
from tasks.spec import QueueSpec

logger = logging.getLogger("tasks.broker")

HAND_BACK_MAX = 10_000  # pending entries of one consumer handed back at shutdown (it holds far fewer)
_EMPTY = msgs.Verdict(msgs.UNPARSEABLE, "empty entry")

# KEYS[1] stream, KEYS[2] stats hash; ARGV: cap, data. The new id, or false when the stream is full.
ADD_CAPPED = """
if redis.call('XLEN', KEYS[1]) >= tonumber(ARGV[1]) then
  redis.call('HINCRBY', KEYS[2], 'sends_refused', 1)
  return false
end
return redis.call('XADD', KEYS[1], '*', 'data', ARGV[2])
"""


class StreamMessage(AckableMessage):
    """An AckableMessage that remembers its stream entry and carries what a receiver failure needs:
    `reject(exc)` buries it (tasks.receiver), `forget()` stops renewing it so it idles out."""

    msg_id: bytes
    task_id: str = ""
    lane: str = ""  # the `lane` label of its task: runs in that lane (tasks.receiver), not the common slots
    partition: int = 0  # the index of the partition (QueueSpec.parts) whose stream holds it
    reject: Callable[[BaseException], Awaitable[None]]
    forget: Callable[[], None]
    abandon: Callable[[], None]


@dataclass(frozen=True)
class Partition:
    """One partition of the queue (tasks.spec): its keys, and the keeper and reclaimer that serve it."""

    index: int
    spec: QueueSpec
    keeper: Keeper
    reclaimer: Reclaimer


def task_key(message: BrokerMessage) -> str:
    """What a task's partition is chosen by: its `partition_key` label, else its keyword arguments
    (the ids the task is about: the tasks about one thing stay in one partition, in order), else
    its id."""
    if key := message.labels.get("partition_key"):
        return str(key)
    try:
        kwargs = msgspec.json.decode(message.message).get("kwargs") or {}
    except (msgspec.DecodeError, AttributeError):
        kwargs = {}
    if kwargs:
        return f"{message.task_name}:" + ",".join(f"{k}={kwargs[k]}" for k in sorted(kwargs))
    return message.task_id


def _consumer_name() -> str:
    # Readable in XINFO CONSUMERS: which host and process holds a pending message.
    return f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:6]}"


class HardenedStreamBroker(RedisStreamBroker):
    """Stream broker that reclaims, reconnects, dead-letters and delays (see the module docstring)."""

    def __init__(self, url: str, spec: QueueSpec) -> None:
        super().__init__(
            # On a cluster the pool upstream builds is never used (`_connect`), but it must parse: the
            # first seed of several.
            redis_seeds(url)[0] if redis_client.is_cluster() else url,
            queue_name=spec.stream,
            consumer_group_name=spec.group,
            consumer_name=_consumer_name(),
            # "0", not "$": a group created after tasks were queued (first deploy, Redis data
            # loss) must still deliver them.
            consumer_id="0",
            maxlen=None,  # upstream's trim-on-send drops undelivered entries; see tasks.upkeep
            idle_timeout=spec.idle_reclaim_ms,
            xread_block=spec.read_block_ms,
            xread_count=spec.xread_count,
            max_connection_pool_size=50,
            socket_timeout=spec.xread_block_ms / 1000 + 10,  # above the XREADGROUP block time
            **redis_client.resilient_options(),
        )
        self.queue = spec  # the queue as a whole; `parts` are its partitions (one on one Redis by default)
        self._cluster_client: Redis | None = None
        if redis_client.is_cluster():
            self._cluster_client = redis_client.connect(url, 50)
        # Composed here from each partition's spec and narrow callables; neither reads the broker back.
        self.parts = tuple(self._partition(index, part) for index, part in enumerate(spec.parts()))
        self.spec = self.parts[0].spec
        self.keeper = self.parts[0].keeper
        self.reclaimer = self.parts[0].reclaimer
        self._keeper_tasks: list[asyncio.Task[None]] = []
        self._heartbeat_task: asyncio.Task[None] | None = None

    def _partition(self, index: int, spec: QueueSpec) -> Partition:
        keeper = Keeper(spec, consumer=self.consumer_name, connect=self._connect)

        async def bury(conn: Redis, msg_id: bytes, verdict: msgs.Verdict, fields: dict[bytes, bytes] | None) -> None:
            await self.bury(conn, msg_id, verdict, fields, part=self.parts[index])

        reclaimer = Reclaimer(
            spec, consumer=self.consumer_name, running_ids=keeper.running_ids, bury=bury, identify=self._identify
        )
        return Partition(index, spec, keeper, reclaimer)

    def part_of(self, message: BrokerMessage) -> Partition:
        """The partition `message` goes to (QueueSpec.partition_of its task_key)."""
        return self.parts[self.queue.partition_of(task_key(message)) if len(self.parts) > 1 else 0]

    def _connect(self) -> AbstractAsyncContextManager[Redis]:
        """A client for one `async with` block: on the broker's pool, or the shared cluster client."""
        if self._cluster_client is not None:
            return _borrowed(self._cluster_client)
        return Redis(connection_pool=self.connection_pool)

    def _identify(self, fields: Mapping[bytes, bytes] | None) -> tuple[str, str]:
        return msgs.identify(fields, self.formatter)

    # ---- every process -----------------------------------------------------------------------
    async def kick(self, message: BrokerMessage) -> None:
        """Append to the stream, or park in `<queue>:delayed` when the `delay` label is set.

        Raises StreamFull, writing nothing, when the stream already holds `maxlen` unfinished entries.
        The broker serves the one queue of its spec: a `queue_name` label naming another stream (the
        upstream broker's routing label; no worker reads such a stream) is refused with ValueError.
        """
        if (other := message.labels.get("queue_name")) and other != self.queue.stream:
            raise ValueError(f"this broker sends to {self.queue.stream!r} only, not {other!r}")
        part = self.part_of(message)
        spec = part.spec
        async with self._connect() as conn:
            if (delay := delayed.delay_of(message.labels)) > 0:
                await delayed.hold(conn, spec, message.message, delay)
                part.keeper.wake()  # in a worker, a retry may fall due before the next tick
                return
            added = await conn.register_script(ADD_CAPPED)(
                keys=[spec.stream, spec.stats], args=[spec.maxlen, message.message]
            )
        if added is None:
            raise StreamFull(f"{spec.stream} holds {spec.maxlen} unfinished tasks (TASK_STREAM_MAXLEN)")

    async def dead_letter(self, verdict: msgs.Verdict, *, data: bytes | None, attempts: int = 0) -> None:
        """Record a message that will not run again in `<queue>:dead` (bounded by tasks.upkeep)."""
        fields = msgs.dead_letter_fields(verdict, data=data, consumer=self.consumer_name, attempts=attempts)
        part = self.parts[0]
        if data is not None and len(self.parts) > 1:
            with contextlib.suppress(Exception):  # a message that does not parse: partition 0
                parsed = self.formatter.loads(data)
                part = self.part_of(
                    BrokerMessage(
                        task_id=parsed.task_id, task_name=parsed.task_name, message=data, labels=parsed.labels
                    )
                )
        async with self._connect() as conn:
            await conn.xadd(part.spec.dead, fields)  # type: ignore[arg-type]

    def release(self, task_id: str) -> None:
        """Give the running message of `task_id` back to the queue (unacked, redelivered later)."""
        for part in self.parts:
            part.keeper.release(task_id)

    async def _declare_consumer_group(self) -> None:
        # Tolerant at startup: Redis may be down; `listen` declares it again once it is up.
        try:
            async with self._connect() as conn:
                for part in self.parts:
                    await self._ensure_group(conn, part.spec)
        except Exception as exc:
            logger.warning("cannot declare consumer group yet (%s); will retry", type(exc).__name__)

    async def _ensure_group(self, conn: Redis, spec: QueueSpec | None = None) -> None:
        spec = spec or self.spec
        try:
            await conn.xgroup_create(spec.stream, spec.group, id=self.consumer_id, mkstream=True)
        except ResponseError as exc:
            if "BUSYGROUP" not in str(exc):
                raise

    # ---- worker process ----------------------------------------------------------------------
    async def startup(self) -> None:
        await super().startup()
        if self.is_worker_process:
            self._keeper_tasks = [
                asyncio.create_task(part.keeper.run(), name=f"stream-broker-keeper-{part.index}") for part in self.parts
            ]
            # The container's liveness (tasks.heartbeat): its own timer, never waiting on Redis.
            self._heartbeat_task = asyncio.create_task(heartbeat.run("worker"), name="worker-heartbeat")

    async def shutdown(self) -> None:
        was_worker = bool(self._keeper_tasks)
        for task in (self._heartbeat_task, *self._keeper_tasks):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        self._heartbeat_task, self._keeper_tasks = None, []
        if was_worker:
            try:
                await self.hand_back()
            except Exception as exc:  # they idle out and are reclaimed all the same, only later
                logger.warning("could not hand back unfinished messages (%s)", type(exc).__name__)
        await super().shutdown()
        if self._cluster_client is not None:
            await self._cluster_client.aclose()

    async def hand_back(self) -> int:
        """Worker shutdown, once the receiver stopped and its unfinished tasks were cancelled: every
        entry still pending for this consumer (taken and not started, cut off, read by an XREADGROUP
        the shutdown interrupted) is made reclaimable at once (XCLAIM … IDLE, its delivery count kept),
        so another worker's next reclaim round (within `reclaim_every`) runs it instead of waiting for
        the idle timeout. Entries whose task did not stop when cancelled (keeper.abandoned) are left to
        idle out: this process is gone before they can be reclaimed. Returns how many were handed back."""
        handed = 0
        async with self._connect() as conn:
            for part in self.parts:
                spec, keeper = part.spec, part.keeper
                found = await conn.xpending_range(
                    spec.stream, spec.group, "-", "+", HAND_BACK_MAX, consumername=self.consumer_name
                )
                pending = cast(list[dict[str, object]], found)
                ids: list[Any] = [item["message_id"] for item in pending if item["message_id"] not in keeper.abandoned]
                if ids:
                    await conn.xclaim(
                        spec.stream, spec.group, self.consumer_name, 0, ids, idle=spec.idle_reclaim_ms, justid=True
                    )
                for msg_id in ids:
                    keeper.done(msg_id)
                handed += len(ids)
        if handed:
            logger.warning("handed back %d unfinished message(s) for another worker", handed)
        return handed

    async def listen(self) -> AsyncGenerator[AckableMessage, None]:
        """Yield runnable messages forever; Redis outages are waited out, never raised.

        Each partition has its own reader (one XREADGROUP per stream: on a cluster the streams live
        on different nodes); they hand messages over one at a time, so what a reader fetched and
        could not hand over yet stays in its backlog, renewed by its keeper, as with one stream."""
        if len(self.parts) == 1:
            async for message in self._listen_part(self.parts[0]):
                yield message
            return
        handover: asyncio.Queue[AckableMessage] = asyncio.Queue(maxsize=1)

        async def feed(part: Partition) -> None:
            async for message in self._listen_part(part):
                await handover.put(message)

        readers = [asyncio.create_task(feed(part), name=f"stream-reader-{part.index}") for part in self.parts]
        try:
            while True:
                yield await handover.get()
        finally:
            for reader in readers:
                reader.cancel()
            await asyncio.gather(*readers, return_exceptions=True)

    async def _listen_part(self, part: Partition) -> AsyncGenerator[AckableMessage, None]:
        failures = 0
        backlog: list[Entry] = []  # fetched, not yet handed to the receiver
        while True:
            try:
                async with self._connect() as conn:
                    await self._ensure_group(conn, part.spec)  # again: a restarted Redis may have lost it
                    if failures:
                        logger.warning("redis reachable again after %d failed attempt(s)", failures)
                    failures = 0
                    while True:
                        backlog = backlog or await self._next_entries(conn, part)
                        while backlog:
                            message = await self._admit(conn, part, *backlog[0])
                            backlog.pop(0)
                            if message is not None:
                                yield message
            except Exception as exc:
                # Let the unhandled rest of the batch idle out, so a reclaim hands it out again.
                for msg_id, _ in backlog:
                    part.keeper.done(msg_id)
                backlog = []
                failures += 1
                pause = min(self.spec.max_backoff, 0.1 * 2 ** min(failures, 10)) * random.uniform(0.5, 1)
                if not isinstance(exc, OUTAGES):
                    logger.exception("stream listener failed; retrying in %.2fs", pause)
                elif failures == 1:
                    logger.warning("stream listener lost redis (%s); retrying", type(exc).__name__)
                await asyncio.sleep(pause)

    async def _next_entries(self, conn: Redis, part: Partition) -> list[Entry]:
        entries = await part.reclaimer.maybe_reclaim(conn)
        if not entries:
            fetched = await conn.xreadgroup(
                part.spec.group,
                self.consumer_name,
                {part.spec.stream: ">"},
                block=part.spec.read_block_ms,
                count=part.spec.xread_count,
            )
            streams = cast(list[tuple[bytes, list[Entry]]], fetched or [])
            entries = [entry for _stream, batch in streams for entry in batch]
        part.keeper.took([msg_id for msg_id, _ in entries])
        return entries

    async def _admit(
        self, conn: Redis, part: Partition, msg_id: bytes, fields: dict[bytes, bytes] | None
    ) -> AckableMessage | None:
        """The message to run, or None once a bad entry has been acked and dead-lettered."""
        outcome = msgs.classify(fields, self.formatter, self.find_task)
        if isinstance(outcome, msgs.Verdict) or fields is None:
            verdict = outcome if isinstance(outcome, msgs.Verdict) else _EMPTY
            await self.bury(conn, msg_id, verdict, fields, part=part)
            return None
        part.keeper.running(outcome.task_id, msg_id)
        task = self.find_task(outcome.task_name)
        lane = str(task.labels.get("lane") or "") if task is not None else ""
        return self.stream_message(msg_id, fields[b"data"], outcome.task_id, lane, part)

    def stream_message(
        self, msg_id: bytes, data: bytes, task_id: str, lane: str = "", part: Partition | None = None
    ) -> StreamMessage:
        """The message handed to the receiver for stream entry `msg_id` running task `task_id`."""
        message: StreamMessage
        part = part or self.parts[0]
        keeper = part.keeper

        async def reject(exc: BaseException) -> None:
            await self.reject(message, exc)

        def forget() -> None:
            keeper.done(msg_id, task_id)

        def abandon() -> None:
            keeper.abandon(msg_id)

        message = StreamMessage(
            data=data,
            ack=self._acker(msg_id, task_id, part),
            msg_id=msg_id,
            task_id=task_id,
            lane=lane,
            partition=part.index,
            reject=reject,
            forget=forget,
            abandon=abandon,
        )
        return message

    async def bury(
        self,
        conn: Redis,
        msg_id: bytes,
        verdict: msgs.Verdict,
        fields: dict[bytes, bytes] | None,
        task_id: str = "",
        part: Partition | None = None,
    ) -> None:
        """Dead-letter, ack and delete one pending entry of `part` in one transaction (all or nothing)."""
        part = part or self.parts[0]
        spec = part.spec
        record = msgs.dead_letter_fields(
            verdict, data=(fields or {}).get(b"data"), source_id=msg_id, consumer=self.consumer_name
        )
        async with conn.pipeline(transaction=True) as pipe:
            pipe.xadd(spec.dead, record)  # type: ignore[arg-type]
            pipe.xack(spec.stream, spec.group, msg_id)
            pipe.xdel(spec.stream, msg_id)
            await pipe.execute()
        part.keeper.done(msg_id, task_id)
        logger.error("dead-lettered stream entry %s: %s %s", msg_id.decode(), verdict.reason, verdict.task_name)

    async def reject(self, message: StreamMessage, exc: BaseException) -> None:
        """Bury a message the receiver raised on, unless it was acked or given back meanwhile.

        A message still renewed by the keeper would otherwise stay pending for `max_task_seconds`
        and then be redelivered until `max_deliveries`: the same error every time.
        """
        part = self.parts[message.partition]
        if message.msg_id not in part.keeper.in_flight:
            return  # acked (ack_type when_received), or released on purpose to be redelivered
        entry = {b"data": message.data}
        name, task_id = msgs.identify(entry, self.formatter)
        verdict = msgs.Verdict(msgs.RECEIVER_ERROR, f"{type(exc).__name__}: {exc}", name, task_id)
        async with self._connect() as conn:
            await self.bury(conn, message.msg_id, verdict, entry, message.task_id, part=part)

    def _acker(self, msg_id: bytes, task_id: str, part: Partition | None = None) -> Callable[[], Awaitable[None]]:
        part = part or self.parts[0]
        spec, keeper = part.spec, part.keeper

        async def ack() -> None:
            # A Redis blip at ack time must not turn a finished task into an error; if it never
            # comes back the entry is simply redelivered later (at-least-once).
            for attempt in range(5):
                try:
                    async with self._connect() as conn, conn.pipeline() as pipe:
                        # Deleted with its ack: the stream holds only unfinished work (one group).
                        pipe.xack(spec.stream, spec.group, msg_id)
                        pipe.xdel(spec.stream, msg_id)
                        await pipe.execute()
                    break
                except Exception as exc:
                    logger.warning("ack of %s failed (%s); retrying", msg_id.decode(), type(exc).__name__)
                    await asyncio.sleep(0.2 * 2**attempt)
            keeper.done(msg_id, task_id)

        return ack


@asynccontextmanager
async def _borrowed(client: Redis) -> AsyncIterator[Redis]:
    """The shared cluster client for one `async with` block (left open: the broker closes it)."""
    yield client
