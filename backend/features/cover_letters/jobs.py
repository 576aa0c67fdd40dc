"""`cover_letters.generate(cover_letter_id)`: stream one letter (backend.features.cover_letters.generation)."""

from __future__ import annotations

import structlog
from taskiq import Context, TaskiqDepends, TaskiqState, async_shared_broker

from backend.engines import llm
from backend.features.ai.jobs import job_id, provider
from backend.features.cover_letters import generation
from backend.features.cover_letters.service import GENERATE_TASK
from backend.platform.jobs import resources
from backend.settings import Settings
from tasks.retry import is_final_attempt

log = structlog.get_logger("career_copilot.ai.tasks")


@async_shared_broker.task(task_name=GENERATE_TASK)
async def generate_cover_letter(
    cover_letter_id: str,
    context: Context = TaskiqDepends(),
    state: TaskiqState = TaskiqDepends(),
    model: llm.Provider = TaskiqDepends(provider),
    settings: Settings = TaskiqDepends(resources.app_settings),
) -> str:
    """Write cover letter `cover_letter_id`; returns completed, failed, cancelled, skipped or superseded."""
    letter_id = job_id(cover_letter_id)
    if letter_id is None:
        log.error("cover_letter_bad_id")
        return "skipped"
    writer = generation.LetterGenerator(
        envelope=state.envelope, sink=state.publisher, provider=model, settings=settings.ai, redis=state.redis
    )
    final = is_final_attempt(context.message.labels, settings.worker.max_retries)
    return await writer.run(letter_id, final_attempt=final)
