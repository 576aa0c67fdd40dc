"""AI tasks: thin wrappers of `backend.features.cover_letters.generation` and
`backend.features.analyses.runner`.

- `cover_letters.generate(cover_letter_id)`: stream one letter to its owner's sockets. Idempotent:
  a settled letter returns at once; one left `streaming` by a dead worker resumes from its checkpoint.
- `analyses.run(analysis_id)`: score a resume version against a job; idempotent the same way.
- `ai.sweep_stuck` (every 2 minutes): re-enqueue letters and analyses whose job was lost
  (`backend.features.ai.sweeper`).

The model provider is built once per worker process from `Settings.ai`, on first use (builtin
unless OPENAI_BASE_URL/OPENAI_API_KEY is set).
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import msgspec
import structlog
from taskiq import Context, TaskiqDepends, TaskiqState, async_shared_broker

from backend.engines import llm
from backend.features.ai import sweeper
from backend.features.analyses import runner as analysis_runner
from backend.features.analyses.service import RUN_TASK
from backend.features.cover_letters import generation
from backend.features.cover_letters.service import GENERATE_TASK
from backend.platform.realtime.publisher import Publisher
from backend.settings import Settings
from tasks import resources
from tasks.resumes import is_final_attempt

log = structlog.get_logger("career_copilot.ai.tasks")


def provider(state: TaskiqState = TaskiqDepends()) -> llm.Provider:
    """This worker's model provider (one client and connection pool per process)."""
    built: llm.Provider | None = state.get("llm_provider")
    if built is None:
        settings: Settings = state.settings
        built = state.llm_provider = llm.build_provider(settings.ai)
    return built


def _uuid(value: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(value)
    except (TypeError, ValueError):
        return None


@async_shared_broker.task(task_name=GENERATE_TASK)
async def generate_cover_letter(
    cover_letter_id: str,
    context: Context = TaskiqDepends(),
    state: TaskiqState = TaskiqDepends(),
    model: llm.Provider = TaskiqDepends(provider),
    settings: Settings = TaskiqDepends(resources.app_settings),
) -> str:
    """Write cover letter `cover_letter_id`; returns completed, failed, cancelled, skipped or superseded."""
    letter_id = _uuid(cover_letter_id)
    if letter_id is None:
        log.error("cover_letter_bad_id")
        return "skipped"
    writer = generation.LetterGenerator(
        envelope=state.envelope, sink=state.publisher, provider=model, settings=settings.ai
    )
    final = is_final_attempt(context.message.labels, settings.worker.max_retries)
    return await writer.run(letter_id, final_attempt=final)


@async_shared_broker.task(task_name=RUN_TASK)
async def run_analysis(
    analysis_id: str,
    context: Context = TaskiqDepends(),
    state: TaskiqState = TaskiqDepends(),
    model: llm.Provider = TaskiqDepends(provider),
    settings: Settings = TaskiqDepends(resources.app_settings),
) -> str:
    """Analyse `analysis_id`; returns completed, failed, skipped or superseded."""
    aid = _uuid(analysis_id)
    if aid is None:
        log.error("analysis_bad_id")
        return "skipped"
    runner = analysis_runner.AnalysisRunner(
        envelope=state.envelope, sink=state.publisher, provider=model, settings=settings.ai
    )
    final = is_final_attempt(context.message.labels, settings.worker.max_retries)
    return await runner.run(aid, final_attempt=final)


SWEEP_STUCK = "ai.sweep_stuck"


@async_shared_broker.task(task_name=SWEEP_STUCK, schedule=[{"cron": "*/2 * * * *", "schedule_id": SWEEP_STUCK}])
async def sweep_stuck(publisher: Publisher = TaskiqDepends(resources.publisher)) -> dict[str, int]:
    """Re-enqueue lost letter and analysis jobs; fail those out of attempts. Returns the counts."""
    return msgspec.structs.asdict(await sweeper.sweep_stuck(datetime.now(UTC), publisher))
