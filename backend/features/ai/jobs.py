"""What the AI jobs share, and the sweep of lost AI work.

- `ai.sweep_stuck` (every 2 minutes): re-enqueue letters and analyses whose job was lost
  (`backend.features.ai.sweeper`).
- `provider` and `job_id`, used by `cover_letters.generate` (stream one letter; a settled letter
  returns at once, one left `streaming` by a dead worker resumes from its checkpoint) and
  `analyses.run` (score a resume version against a job; idempotent the same way), which live in
  their features' `jobs.py`.

The model provider is built once per worker process from `Settings.ai`, on first use (builtin
unless OPENAI_BASE_URL/OPENAI_API_KEY is set).
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import msgspec
import structlog
from taskiq import TaskiqDepends, TaskiqState, async_shared_broker

from backend.engines import llm
from backend.features.ai import sweeper
from backend.platform.jobs import resources
from backend.platform.realtime.publisher import Publisher
from backend.settings import Settings

log = structlog.get_logger("career_copilot.ai.tasks")


def provider(state: TaskiqState = TaskiqDepends()) -> llm.Provider:
    """This worker's model provider (one client and connection pool per process)."""
    built: llm.Provider | None = state.get("llm_provider")
    if built is None:
        settings: Settings = state.settings
        built = state.llm_provider = llm.build_provider(settings.ai)
    return built


def job_id(value: str) -> uuid.UUID | None:
    """The id a job was sent with, or None when it is not a UUID (the job is then skipped)."""
    try:
        return uuid.UUID(value)
    except (TypeError, ValueError):
        return None


SWEEP_STUCK = "ai.sweep_stuck"


@async_shared_broker.task(task_name=SWEEP_STUCK, schedule=[{"cron": "*/2 * * * *", "schedule_id": SWEEP_STUCK}])
async def sweep_stuck(publisher: Publisher = TaskiqDepends(resources.publisher)) -> dict[str, int]:
    """Re-enqueue lost letter and analysis jobs; fail those out of attempts. Returns the counts."""
    return msgspec.structs.asdict(await sweeper.sweep_stuck(datetime.now(UTC), publisher))
