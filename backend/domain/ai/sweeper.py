"""Re-enqueue AI work whose job was lost (SPEC §6 "re-enqueue stuck work"), run by the scheduler as
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

from datetime import datetime, timedelta
from typing import Any, Protocol

import msgspec
import structlog

from backend.db.engine import DB
from backend.db.tables import Analysis, CoverLetter
from backend.domain.analyses.services import RUN_TASK
from backend.domain.cover_letters import generation
from backend.domain.cover_letters.services import GENERATE_TASK
from backend.lib import outbox
from backend.realtime import events

log = structlog.get_logger("career_copilot.ai.sweeper")
STUCK_AFTER = timedelta(minutes=10)
MAX_ATTEMPTS = generation.MAX_ATTEMPTS
ANALYSIS_INTERRUPTED = "The analysis was interrupted too many times. Please try again."

_STUCK_LETTERS = """
SELECT c.id, c."user", c.attempts FROM cover_letters c
WHERE c.status IN ('queued', 'streaming') AND c.updated_at < {}
  AND NOT EXISTS (
    SELECT 1 FROM task_outbox o
    WHERE o.task_name = {} AND o.kwargs ->> 'cover_letter_id' = c.id::text
      AND (o.sent_at IS NULL OR o.sent_at >= {}))
ORDER BY c.updated_at
LIMIT {}
FOR UPDATE OF c SKIP LOCKED
"""

_STUCK_ANALYSES = """
SELECT a.id, a."user", a.attempts FROM analyses a
WHERE a.status IN ('queued', 'running') AND a.created_at < {}
  AND NOT EXISTS (
    SELECT 1 FROM task_outbox o
    WHERE o.task_name = {} AND o.kwargs ->> 'analysis_id' = a.id::text
      AND (o.sent_at IS NULL OR o.sent_at >= {}))
ORDER BY a.created_at
LIMIT {}
FOR UPDATE OF a SKIP LOCKED
"""


class EventSink(Protocol):
    async def publish(self, user_id: Any, event: events.Event) -> str: ...


class SweepReport(msgspec.Struct, frozen=True):
    letters_requeued: int
    letters_failed: int
    analyses_requeued: int
    analyses_failed: int


async def sweep_stuck(now: datetime, sink: EventSink, *, batch: int = 500) -> SweepReport:
    """One pass over both kinds; `now` must be timezone-aware."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    cutoff = now - STUCK_AFTER
    failed_letters: list[dict[str, Any]] = []
    failed_analyses: list[dict[str, Any]] = []
    letters = analyses = 0
    async with DB.transaction():
        for row in await CoverLetter.raw(_STUCK_LETTERS, cutoff, GENERATE_TASK, cutoff, batch):
            if row["attempts"] >= MAX_ATTEMPTS:
                await CoverLetter.update(
                    {
                        CoverLetter.status: "failed", CoverLetter.error: generation.FAILURES["too_many_attempts"],
                        CoverLetter.updated_at: now, CoverLetter.completed_at: now,
                    }
                ).where(CoverLetter.id == row["id"])  # fmt: skip
                failed_letters.append(row)
            else:
                await outbox.enqueue(GENERATE_TASK, cover_letter_id=str(row["id"]))
                letters += 1
        for row in await Analysis.raw(_STUCK_ANALYSES, cutoff, RUN_TASK, cutoff, batch):
            if row["attempts"] >= MAX_ATTEMPTS:
                await Analysis.update(
                    {Analysis.status: "failed", Analysis.error: ANALYSIS_INTERRUPTED, Analysis.completed_at: now}
                ).where(Analysis.id == row["id"])
                failed_analyses.append(row)
            else:
                await outbox.enqueue(RUN_TASK, analysis_id=str(row["id"]))
                analyses += 1
    for row in failed_letters:
        reason = generation.FAILURES["too_many_attempts"]
        await _tell(sink, row["user"], events.CoverLetterFailed(data=events.CoverLetterFailedData(row["id"], reason)))
    for row in failed_analyses:
        data = events.AnalysisFailedData(row["id"], ANALYSIS_INTERRUPTED)
        await _tell(sink, row["user"], events.AnalysisFailed(data=data))
    report = SweepReport(letters, len(failed_letters), analyses, len(failed_analyses))
    if letters or analyses or failed_letters or failed_analyses:
        log.warning("ai_work_swept", **msgspec.structs.asdict(report))
    return report


async def _tell(sink: EventSink, user_id: Any, event: events.Event) -> None:
    """Best effort: the row is the truth, and a client that missed the event refetches it."""
    try:
        await sink.publish(user_id, event)
    except Exception as exc:
        log.warning("ai_sweep_event_lost", event=type(event).__name__, error=type(exc).__name__)
