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
The pass itself is `backend.platform.jobs.sweep`; the rows and their claims are named in
`backend.features.ai.work`. Framework-free.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import msgspec
import structlog

from backend.features.ai import work
from backend.platform.db.tables import Analysis, CoverLetter
from backend.platform.jobs import sweep
from backend.platform.realtime import events
from backend.platform.realtime.sink import EventSink

log = structlog.get_logger("career_copilot.ai.sweeper")
STUCK_AFTER = timedelta(minutes=10)
MAX_ATTEMPTS = work.LETTER_MAX_ATTEMPTS
ANALYSIS_INTERRUPTED = "The analysis was interrupted too many times. Please try again."

LETTERS = sweep.LostJobs(
    work.LETTER_ROWS, work.GENERATE_TASK, "cover_letter_id", "updated_at", STUCK_AFTER, MAX_ATTEMPTS,
    lambda now: {
        CoverLetter.status: "failed", CoverLetter.error: work.LETTER_INTERRUPTED,
        CoverLetter.updated_at: now, CoverLetter.completed_at: now,
    },
    lambda row: events.CoverLetterFailed(
        data=events.CoverLetterFailedData(row["id"], work.LETTER_INTERRUPTED, "interrupted")
    ),
)  # fmt: skip
ANALYSES = sweep.LostJobs(
    work.ANALYSIS_ROWS, work.RUN_TASK, "analysis_id", "created_at", STUCK_AFTER, MAX_ATTEMPTS,
    lambda now: {Analysis.status: "failed", Analysis.error: ANALYSIS_INTERRUPTED, Analysis.completed_at: now},
    lambda row: events.AnalysisFailed(data=events.AnalysisFailedData(row["id"], ANALYSIS_INTERRUPTED)),
)  # fmt: skip


class SweepReport(msgspec.Struct, frozen=True):
    letters_requeued: int
    letters_failed: int
    analyses_requeued: int
    analyses_failed: int


async def sweep_stuck(now: datetime, sink: EventSink, *, batch: int = 500) -> SweepReport:
    """One pass over both kinds, in one transaction; `now` must be timezone-aware."""
    letters, analyses = await sweep.sweep(
        (LETTERS, ANALYSES), now, sink, log=log, lost="ai_sweep_event_lost", batch=batch
    )
    report = SweepReport(*letters, *analyses)
    if any(msgspec.structs.astuple(report)):
        log.warning("ai_work_swept", **msgspec.structs.asdict(report))
    return report
