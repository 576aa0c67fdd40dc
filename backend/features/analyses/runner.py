"""Running one analysis in the worker: score, then a model's narrative if configured.

Idempotent: a completed or failed analysis is skipped; a `running` one left by a dead worker runs
again (the result is a pure function of its inputs). A narrative that fails does not fail the
analysis: the findings stand, `narrative` stays empty and the reason is logged.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import msgspec
import structlog
from redis.asyncio import Redis

from backend.engines import llm
from backend.engines.llm import prompts
from backend.features.ai import quota, sources, work
from backend.features.analyses import scoring
from backend.platform.crypto.envelope import Envelope
from backend.platform.db.engine import DB
from backend.platform.db.tables import Analysis
from backend.platform.jobs import claim
from backend.platform.realtime import events
from backend.platform.realtime.sink import EventSink, publish_best_effort
from backend.settings import AISettings

log = structlog.get_logger("career_copilot.analyses")
RESUME_GONE = "The resume version of this analysis is gone or not parsed."
UNAVAILABLE = "The analysis could not run because a service was unavailable. Please try again."


class AnalysisRunner:
    def __init__(
        self,
        *,
        envelope: Envelope,
        sink: EventSink,
        provider: llm.Provider,
        settings: AISettings,
        redis: Redis | None = None,
    ) -> None:
        self.envelope, self.sink, self.provider, self.settings = envelope, sink, provider, settings
        self.redis = redis  # the day's global AI spend (quota.count_spend)

    async def run(self, analysis_id: uuid.UUID, *, final_attempt: bool) -> str:
        row = await claim.claim(work.ANALYSIS_ROWS, analysis_id)
        if row is None:
            return "skipped"
        try:
            loaded = await sources.load_resume(self.envelope, row["resume_version"])
            if loaded is None:
                return await self._fail(row, RESUME_GONE)
            resume, text = loaded
            findings = scoring.analyse(resume, text, row["job_description"])
            result: dict[str, Any] = msgspec.to_builtins(findings)
            result.pop("score")
            usage: llm.Usage | None = None
            if self.provider.name != "builtin":
                result["narrative"], usage = await self._narrative(row, resume, result)
            async with DB.transaction():
                # Fenced by `attempts`: a later run (a redelivery, a sweep) or the sweeper's `failed`
                # took the row meanwhile, so this run neither completes it nor tells anyone.
                settled = await claim.update_fenced(
                    work.ANALYSIS_ROWS, analysis_id, row["attempts"],
                    {
                        Analysis.status: "completed", Analysis.score: findings.score, Analysis.result: result,
                        Analysis.provider: self.provider.name, Analysis.completed_at: datetime.now(UTC),
                        Analysis.error: None,
                    },
                )  # fmt: skip
                if settled and usage is not None:
                    await quota.record(
                        row["user"], "analysis", analysis_id, self.provider.name, self.provider.model, usage
                    )
            if not settled:
                return "superseded"
            if usage is not None:
                await quota.count_spend(self.redis, self.provider.name, usage)
        except Exception:
            if final_attempt:
                await self._fail(row, UNAVAILABLE)
            raise
        await self._publish(
            row["user"], events.AnalysisCompleted(data=events.AnalysisCompletedData(analysis_id, findings.score))
        )
        return "completed"

    async def _narrative(
        self, row: dict[str, Any], resume: dict[str, Any], findings: dict[str, Any]
    ) -> tuple[str | None, llm.Usage | None]:
        brief = llm.Brief(kind="analysis_narrative", resume=resume, job_description=row["job_description"])
        request = prompts.narrative(brief, findings, max_tokens=min(400, self.settings.max_output_tokens))
        try:
            text, usage = await llm.complete(self.provider, request)
        except llm.ProviderError as exc:
            log.warning("analysis_narrative_failed", analysis_id=str(row["id"]), status=exc.status)
            return None, None
        return text.strip() or None, usage

    async def _fail(self, row: dict[str, Any], reason: str) -> str:
        failed = await claim.update_fenced(
            work.ANALYSIS_ROWS, row["id"], row["attempts"],
            {Analysis.status: "failed", Analysis.error: reason[:500], Analysis.completed_at: datetime.now(UTC)},
        )  # fmt: skip
        if not failed:
            return "superseded"
        await self._publish(row["user"], events.AnalysisFailed(data=events.AnalysisFailedData(row["id"], reason)))
        return "failed"

    async def _publish(self, user_id: uuid.UUID, event: events.Event) -> None:
        await publish_best_effort(self.sink, user_id, event, log=log, lost="analysis_event_lost")
