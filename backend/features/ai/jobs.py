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


SWEEP_STUCK = "ai.sweep_stuck"


@async_shared_broker.task(task_name=SWEEP_STUCK, schedule=[{"cron": "*/2 * * * *", "schedule_id": SWEEP_STUCK}])
async def sweep_stuck(publisher: Publisher = TaskiqDepends(resources.publisher)) -> dict[str, int]:
    """Re-enqueue lost letter and analysis jobs; fail those out of attempts. Returns the counts."""
    return msgspec.structs.asdict(await sweeper.sweep_stuck(datetime.now(UTC), publisher))
