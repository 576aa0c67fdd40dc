"""Re-enqueue AI work whose job was lost, run by the scheduler as
`ai.sweep_stuck`. The resume parser has its own (`resumes.sweep_stuck`).

The broker reclaims a job whose worker died; what it cannot bring back is a job Redis lost (a
restart without persistence, a flushed stream). So a cover letter still `queued`/`streaming`, or an
analysis still `queued`/`running`, `STUCK_AFTER` after its last sign of life (a letter's last
checkpoint, an analysis' creation) and after its job was last sent, gets a new job through the
outbox; one whose job is pending in the outbox (the relay will send it) or was sent recently is left
alone; one that has used up `MAX_ATTEMPTS` runs ends `failed` and its owner hears it. Re-running a
job is safe, also when the first one was only late (workers behind by more than `STUCK_AFTER`): each
run claims the row by raising `attempts`, and only the run holding the latest claim may save, settle
or announce it (a letter resumes from its checkpoint; an analysis run that lost its claim reports
`superseded` and records no usage).
Two sweepers skip each other's rows (`FOR UPDATE SKIP LOCKED`). Framework-free.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

import msgspec
import structlog
from piccolo.table import Table

from backend.features.ai.work import GENERATE_TASK, LETTER_INTERRUPTED, LETTER_MAX_ATTEMPTS, RUN_TASK
from backend.platform.db.engine import DB
from backend.platform.db.tables import Analysis, CoverLetter
from backend.platform.realtime import events
from tasks import outbox

log = structlog.get_logger("career_copilot.ai.sweeper")
STUCK_AFTER = timedelta(minutes=10)
MAX_ATTEMPTS = LETTER_MAX_ATTEMPTS
ANALYSIS_INTERRUPTED = "The analysis was interrupted too many times. Please try again."


class EventSink(Protocol):
    async def publish(self, user_id: Any, event: events.Event) -> str: ...


@dataclass(frozen=True)
class _Kind:
    """One kind of AI work: its table, which statuses are unsettled, its last sign of life, its job."""

    table: type[Table]
    unsettled: tuple[str, str]
    alive_at: str  # the column of the last sign of life
    task: str
    kwarg: str  # the job's kwarg naming the row
    failed: Callable[[datetime], dict[Any, Any]]  # the columns of a row that is given up
    told: Callable[[uuid.UUID], events.Event]  # what its owner hears then

    @property
    def stuck(self) -> str:
        """Rows unsettled `STUCK_AFTER` after their last sign of life and their job's last send.
        Built from the constants above only (no input), placeholders for the values."""
        name = self.table._meta.tablename
        return f"""
SELECT t.id, t."user", t.attempts FROM {name} t
WHERE t.status IN {self.unsettled} AND t.{self.alive_at} < {{}}
  AND NOT EXISTS (
    SELECT 1 FROM task_outbox o
    WHERE o.task_name = {{}} AND o.kwargs ->> '{self.kwarg}' = t.id::text
      AND (o.sent_at IS NULL OR o.sent_at >= {{}}))
ORDER BY t.{self.alive_at}
LIMIT {{}}
FOR UPDATE OF t SKIP LOCKED
"""  # noqa: S608 - constants only


LETTERS = _Kind(
    CoverLetter, ("queued", "streaming"), "updated_at", GENERATE_TASK, "cover_letter_id",
    lambda now: {
        CoverLetter.status: "failed", CoverLetter.error: LETTER_INTERRUPTED,
        CoverLetter.updated_at: now, CoverLetter.completed_at: now,
    },
    lambda row_id: events.CoverLetterFailed(
        data=events.CoverLetterFailedData(row_id, LETTER_INTERRUPTED, "interrupted")
    ),
)  # fmt: skip
ANALYSES = _Kind(
    Analysis, ("queued", "running"), "created_at", RUN_TASK, "analysis_id",
    lambda now: {Analysis.status: "failed", Analysis.error: ANALYSIS_INTERRUPTED, Analysis.completed_at: now},
    lambda row_id: events.AnalysisFailed(data=events.AnalysisFailedData(row_id, ANALYSIS_INTERRUPTED)),
)  # fmt: skip


class SweepReport(msgspec.Struct, frozen=True):
    letters_requeued: int
    letters_failed: int
    analyses_requeued: int
    analyses_failed: int


async def sweep_stuck(now: datetime, sink: EventSink, *, batch: int = 500) -> SweepReport:
    """One pass over both kinds, in one transaction; `now` must be timezone-aware."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    async with DB.transaction():
        letters = await _sweep(LETTERS, now, batch)
        analyses = await _sweep(ANALYSES, now, batch)
    for kind, (_, failed) in ((LETTERS, letters), (ANALYSES, analyses)):
        for row in failed:
            await _tell(sink, row["user"], kind.told(row["id"]))
    report = SweepReport(letters[0], len(letters[1]), analyses[0], len(analyses[1]))
    if any(msgspec.structs.astuple(report)):
        log.warning("ai_work_swept", **msgspec.structs.asdict(report))
    return report


async def _sweep(kind: _Kind, now: datetime, batch: int) -> tuple[int, list[dict[str, Any]]]:
    """(jobs re-enqueued, rows given up) of one kind, in the caller's transaction."""
    cutoff = now - STUCK_AFTER
    requeued, failed = 0, []
    for row in await kind.table.raw(kind.stuck, cutoff, kind.task, cutoff, batch):
        if row["attempts"] >= MAX_ATTEMPTS:
            await kind.table.update(kind.failed(now)).where(kind.table._meta.primary_key == row["id"])
            failed.append(row)
        else:
            await outbox.enqueue(kind.task, **{kind.kwarg: str(row["id"])})
            requeued += 1
    return requeued, failed


async def _tell(sink: EventSink, user_id: Any, event: events.Event) -> None:
    """Best effort: the row is the truth, and a client that missed the event refetches it."""
    try:
        await sink.publish(user_id, event)
    except Exception as exc:
        log.warning("ai_sweep_event_lost", event=type(event).__name__, error=type(exc).__name__)
