"""QueueSpec: the shape of one task queue in one frozen value, built once from the settings.

It names every Redis key the queue uses and holds every size and timing its parts run with. The
broker, the keeper, the reclaimer, upkeep, the delayed set, the retry middleware's caller, the
api's gauges and the dead-letter CLI all read their key names from here; no other module writes a
key string. The key names are those of earlier versions, so a running deployment keeps its data:

- `<stream>`                           the task stream (TASK_QUEUE), read by the consumer `group`
- `<stream>:dead`                      dead letters (tasks.messages reasons), bounded by upkeep
- `<stream>:delayed`                   retries waiting for their time (tasks.delayed)
- `<stream>:stats`                     counters: sends_refused, dead_letters_dropped
- `<stream>:reclaim-lock:<group>`      one reclaim round at a time across workers (tasks.reclaim)

Every key starts with `<stream>:` (or is the stream), so one prefix holds the whole queue.

Partitions (TASK_STREAM_PARTITIONS, and always on a Redis Cluster): the queue is split into
partitions, each a complete set of the keys above under `<queue>:{<tag>}` — the stream
`<queue>:{<tag>}`, its `:dead`, `:delayed`, `:stats` and `:reclaim-lock:<group>` — whose `{<tag>}`
hash tag puts all of one partition's keys in one slot (every script and transaction of the queue
touches one partition), and whose tags are chosen so the partitions spread evenly over the 16,384
slots, hence over the shards. `parts()` gives one spec per partition with the shape above; with one
partition on one Redis it is the queue itself, with the names of earlier versions. A task goes to
the partition its key hashes to (`partition_of`), so the tasks about one thing keep their order.
"""

from __future__ import annotations

import functools
import zlib
from typing import TYPE_CHECKING

import msgspec
from redis.crc import REDIS_CLUSTER_HASH_SLOTS, key_slot

if TYPE_CHECKING:
    from backend.settings import WorkerSettings


class QueueSpec(msgspec.Struct, frozen=True, kw_only=True):
    """Keys, consumer group, sizes and timings of one queue (see the module docstring)."""

    # Redis keys
    stream: str
    dead: str
    delayed: str
    stats: str
    reclaim_lock: str
    # the consumer group every worker reads `stream` in
    group: str
    # sizes
    maxlen: int  # most unfinished entries the stream holds; a send past it raises StreamFull
    dead_maxlen: int  # dead letters kept (approximately), by count
    xread_count: int = 10  # entries read per XREADGROUP
    reclaim_batch: int = 10  # idle entries examined per reclaim round
    delayed_batch: int = 100  # due retries moved into the stream per keeper tick
    max_deliveries: int = 10  # deliveries without an ack before an entry is dead-lettered
    max_retries: int = 3  # re-runs of a failed task after its first attempt
    # timings
    idle_reclaim_ms: int  # an unacked entry idle this long is taken over by another consumer
    max_task_seconds: float = 1800.0  # the keeper stops renewing a message after this long
    xread_block_ms: int = 1000  # longest XREADGROUP wait
    max_backoff: float = 5.0  # longest pause of the listener and keeper between Redis attempts
    dead_max_age_seconds: float = 14 * 86400.0  # dead letters older than this are dropped
    consumer_horizon_seconds: float = 3600.0  # consumers idle this long with nothing pending are removed
    reclaim_lock_seconds: float = 10.0  # the reclaim lock expires on its own after this long
    # lanes: (name, size) - tasks declaring `lane=<name>` run at most `size` at once per worker process,
    # outside `--max-async-tasks`, with at most `lane_backlog` more waiting (tasks.receiver)
    lanes: tuple[tuple[str, int], ...] = ()
    lane_backlog: int = 100
    # partitions (see the module docstring): how many, whether keys carry hash tags (a Redis
    # Cluster), and which partition this spec is (-1: the queue as a whole)
    partitions: int = 1
    tagged: bool = False
    index: int = -1

    def __post_init__(self) -> None:
        if self.maxlen < 1:
            raise ValueError(
                f"maxlen must be at least 1 (the most unfinished entries the stream holds), got {self.maxlen}"
            )
        keys = self.keys()
        if len(set(keys)) != len(keys):
            raise ValueError(f"the keys of queue {self.stream!r} must be distinct: {keys}")
        if outside := [key for key in keys[1:] if not key.startswith(f"{self.stream}:")]:
            raise ValueError(f"every key of queue {self.stream!r} must start with {self.stream + ':'!r}: {outside}")

    @classmethod
    def for_queue(
        cls,
        stream: str,
        group: str,
        *,
        maxlen: int,
        idle_reclaim_ms: int,
        max_retries: int = 3,
        dead_maxlen: int | None = None,
        lanes: tuple[tuple[str, int], ...] = (),
        partitions: int = 1,
        tagged: bool = False,
    ) -> QueueSpec:
        """The spec of queue `stream` read by `group`: the one place its key names are derived."""
        return cls(
            stream=stream,
            dead=f"{stream}:dead",
            delayed=f"{stream}:delayed",
            stats=f"{stream}:stats",
            reclaim_lock=f"{stream}:reclaim-lock:{group}",
            group=group,
            maxlen=maxlen,
            dead_maxlen=maxlen if dead_maxlen is None else dead_maxlen,
            idle_reclaim_ms=idle_reclaim_ms,
            max_retries=max(0, max_retries),
            lanes=lanes,
            partitions=max(1, partitions),
            tagged=tagged,
        )

    @classmethod
    def from_settings(cls, worker: WorkerSettings, *, tagged: bool | None = None) -> QueueSpec:
        """The queue the settings describe (TASK_QUEUE, TASK_CONSUMER_GROUP, TASK_STREAM_MAXLEN,
        TASK_STREAM_PARTITIONS, ...); keys are tagged on a Redis Cluster (`redis_client.is_cluster()`)."""
        if tagged is None:
            from backend.platform import redis_client

            tagged = redis_client.is_cluster()
        return cls.for_queue(
            worker.queue_name,
            worker.consumer_group,
            maxlen=worker.stream_maxlen,
            idle_reclaim_ms=worker.idle_reclaim_ms,
            max_retries=worker.max_retries,
            lanes=(("parser", worker.parser_lane()),),
            partitions=worker.stream_partitions,
            tagged=tagged,
        )

    def parts(self) -> tuple[QueueSpec, ...]:
        """One spec per partition (the queue itself when it has one partition and no tags)."""
        if self.index >= 0 or (self.partitions == 1 and not self.tagged):
            return (self,)
        return tuple(self.part(i) for i in range(self.partitions))

    def part(self, index: int) -> QueueSpec:
        """The spec of partition `index`: the same shape, every key under `<queue>:{<tag>}`."""
        base = f"{self.stream}:{{{partition_tag(index, self.partitions)}}}"
        named = QueueSpec.for_queue(base, self.group, maxlen=self.maxlen, idle_reclaim_ms=self.idle_reclaim_ms)
        return msgspec.structs.replace(
            self,
            stream=named.stream,
            dead=named.dead,
            delayed=named.delayed,
            stats=named.stats,
            reclaim_lock=named.reclaim_lock,
            index=index,
        )

    def partition_of(self, key: str) -> int:
        """The partition a task with this key goes to (stable across processes and versions)."""
        return zlib.crc32(key.encode()) % self.partitions if self.partitions > 1 else 0

    def keys(self) -> tuple[str, ...]:
        """Every Redis key of the queue, the stream first."""
        return (self.stream, self.dead, self.delayed, self.stats, self.reclaim_lock)

    @property
    def reclaim_every(self) -> float:
        """Seconds between reclaim rounds: a third of the idle timeout, within [0.1, 12]."""
        return min(12.0, max(0.1, self.idle_reclaim_ms / 3000))

    @property
    def read_block_ms(self) -> int:
        """How long one XREADGROUP waits: never past the next reclaim round."""
        return min(self.xread_block_ms, int(self.reclaim_every * 1000))

    @property
    def keeper_tick(self) -> float:
        """Seconds between renewals of the messages in flight: well inside the idle timeout, at most 1."""
        return min(1.0, self.reclaim_every)


@functools.cache
def partition_tag(index: int, partitions: int) -> str:
    """A hash tag for partition `index` of `partitions` whose slot lies in the index-th equal share
    of the slot range, so the partitions spread evenly over a cluster's shards."""
    low = index * REDIS_CLUSTER_HASH_SLOTS // partitions
    high = (index + 1) * REDIS_CLUSTER_HASH_SLOTS // partitions
    for n in range(1_000_000):
        tag = f"p{index}.{n}"
        if low <= key_slot(tag.encode()) < high:
            return tag
    raise AssertionError("no tag found")  # pragma: no cover - every share of the range is hit quickly
