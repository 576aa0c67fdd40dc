"""The sweep of job rows whose job was lost, run on a schedule by the features that own them.

The broker reclaims a job whose worker died; what it cannot bring back is a job Redis lost (a
restart without persistence, a flushed stream). A row still in one of its claimable statuses
`stuck_after` after its last sign of life and after its job was last sent gets a new job through
the outbox; one whose job is pending in the outbox (the relay will send it) or was sent recently is
left alone; one whose `max_attempts` claims are used up is given up (its `given_up` columns) and
its owner is told after the commit, best effort. Re-running a job is safe: each run claims its row
with a fencing token (`backend.platform.jobs.claim`). Two sweepers skip each other's rows
(`FOR UPDATE SKIP LOCKED`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, NamedTuple

from backend.platform.db.engine import DB
from backend.platform.jobs.claim import JobRows
from backend.platform.realtime import events
from backend.platform.realtime.sink import EventSink, Logger, publish_best_effort
from tasks import outbox


@dataclass(frozen=True)
class LostJobs:
    """One kind of job the sweep watches: its rows, its task, when a row counts as stuck, and what
    a row given up becomes and tells its owner."""

    rows: JobRows
    task: str
    kwarg: str  # the task's kwarg naming the row (its id as text)
    alive_at: str  # the column of the row's last sign of life
    stuck_after: timedelta
    max_attempts: int
    given_up: Callable[[datetime], dict[Any, Any]]  # the columns of a row given up at a time
    told: Callable[[dict[str, Any]], events.Event]  # what the owner of a row given up hears
    columns: tuple[str, ...] = ("id", "user", "attempts")  # the row's columns `told` reads
    owner: str = "user"

    @property
    def stuck_sql(self) -> str:
        """Stuck rows, oldest sign of life first, locked; parameters: cutoff, task, cutoff, limit."""
        rows = self.rows
        statuses = ", ".join(f"'{status}'" for status in rows.claimable)
        columns = ", ".join(f't."{name}"' for name in dict.fromkeys((*self.columns, self.owner, rows.attempts)))
        key = rows.table._meta.primary_key._meta.db_column_name
        return f"""
SELECT {columns} FROM "{rows.table._meta.tablename}" t
WHERE t."{rows.status}" IN ({statuses}) AND t."{self.alive_at}" < {{}}
  AND NOT EXISTS (
    SELECT 1 FROM task_outbox o
    WHERE o.task_name = {{}} AND o.kwargs ->> '{self.kwarg}' = t."{key}"::text
      AND (o.sent_at IS NULL OR o.sent_at >= {{}}))
ORDER BY t."{self.alive_at}"
LIMIT {{}}
FOR UPDATE OF t SKIP LOCKED
"""  # noqa: S608 - constants only


class Swept(NamedTuple):
    requeued: int
    failed: int


async def sweep(
    kinds: Sequence[LostJobs], now: datetime, sink: EventSink, *, log: Logger, lost: str, batch: int = 500
) -> list[Swept]:
    """One pass over `kinds` in one transaction (up to `batch` rows each), then the owners of the rows
    given up are told (a failed publish is logged as `lost`). `now` must be timezone-aware."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    async with DB.transaction():
        passes = [await _sweep(kind, now, batch) for kind in kinds]
    for kind, (_, failed) in zip(kinds, passes, strict=True):
        for row in failed:
            await publish_best_effort(sink, row[kind.owner], kind.told(row), log=log, lost=lost)
    return [Swept(requeued, len(failed)) for requeued, failed in passes]


async def _sweep(kind: LostJobs, now: datetime, batch: int) -> tuple[int, list[dict[str, Any]]]:
    """(jobs re-enqueued, rows given up) of one kind, in the caller's transaction."""
    table, key = kind.rows.table, kind.rows.table._meta.primary_key
    name = key._meta.db_column_name
    cutoff = now - kind.stuck_after
    requeued, failed = 0, []
    for row in await table.raw(kind.stuck_sql, cutoff, kind.task, cutoff, batch):
        if row[kind.rows.attempts] >= kind.max_attempts:
            await table.update(kind.given_up(now)).where(key == row[name])
            failed.append(row)
        else:
            await outbox.enqueue(kind.task, **{kind.kwarg: str(row[name])})
            requeued += 1
    return requeued, failed
