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
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import msgspec

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
        )

    @classmethod
    def from_settings(cls, worker: WorkerSettings) -> QueueSpec:
        """The queue the settings describe (TASK_QUEUE, TASK_CONSUMER_GROUP, TASK_STREAM_MAXLEN, ...)."""
        return cls.for_queue(
            worker.queue_name,
            worker.consumer_group,
            maxlen=worker.stream_maxlen,
            idle_reclaim_ms=worker.idle_reclaim_ms,
            max_retries=worker.max_retries,
            lanes=(("parser", worker.parser_lane()),),
        )

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
