"""`analyses.run(analysis_id)`: score one analysis (backend.features.analyses.runner)."""

from __future__ import annotations

import structlog
from taskiq import Context, TaskiqDepends, TaskiqState, async_shared_broker

from backend.engines import llm
from backend.features.ai.jobs import job_id, provider
from backend.features.analyses import runner as analysis_runner
from backend.features.analyses.service import RUN_TASK
from backend.platform.jobs import resources
from backend.settings import Settings
from tasks.retry import is_final_attempt

log = structlog.get_logger("career_copilot.ai.tasks")


@async_shared_broker.task(task_name=RUN_TASK)
async def run_analysis(
    analysis_id: str,
    context: Context = TaskiqDepends(),
    state: TaskiqState = TaskiqDepends(),
    model: llm.Provider = TaskiqDepends(provider),
    settings: Settings = TaskiqDepends(resources.app_settings),
) -> str:
    """Analyse `analysis_id`; returns completed, failed, skipped or superseded."""
    aid = job_id(analysis_id)
    if aid is None:
        log.error("analysis_bad_id")
        return "skipped"
    runner = analysis_runner.AnalysisRunner(
        envelope=state.envelope, sink=state.publisher, provider=model, settings=settings.ai, redis=state.redis
    )
    final = is_final_attempt(context.message.labels, settings.worker.max_retries)
    return await runner.run(aid, final_attempt=final)
