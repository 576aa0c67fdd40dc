"""Resume tasks: thin wrappers of `backend.features.resumes.parsing`.

- `resumes.parse_version(version_id)`: parse one uploaded version (enqueued by the api through the
  outbox), in the worker's `parser` lane: at most PARSER_CHILDREN at once per worker process.
  Idempotent: a settled version returns at once, one left `parsing` by a dead worker runs again.
  Permanent failures (not a PDF, scanned, encrypted, missing file...) end the version `failed`
  without a retry; transient ones raise, so BackoffRetryMiddleware retries them with backoff, and
  the last attempt marks the version `failed` before giving up.
- `resumes.sweep_stuck()`: every 2 minutes (schedule id `resumes.sweep_stuck`), re-enqueue versions
  queued/parsing for longer than `ParseLimits.stuck_after` whose job was sent and lost, within
  their attempt budget.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import msgspec
import structlog
from taskiq import Context, TaskiqDepends, TaskiqState, async_shared_broker

from backend.features.resumes import parsing
from backend.platform.jobs import resources
from backend.platform.realtime.publisher import Publisher
from backend.settings import Settings
from tasks.retry import is_final_attempt

log = structlog.get_logger("career_copilot.resumes.tasks")

PARSE_VERSION = parsing.PARSE_TASK
PARSER_LANE = "parser"  # sized by PARSER_CHILDREN (tasks.spec.QueueSpec.from_settings)
SWEEP_STUCK = "resumes.sweep_stuck"


_LIMITS = parsing.ParseLimits()


def parse_limits(state: TaskiqState = TaskiqDepends()) -> parsing.ParseLimits:
    limits: parsing.ParseLimits = state.get("parse_limits") or _LIMITS
    return limits


def version_parser(state: TaskiqState = TaskiqDepends()) -> parsing.VersionParser:
    """The parse service of one task run, built from the worker's resources."""
    return parsing.VersionParser(
        store=state.store, envelope=state.envelope, sink=state.publisher, limits=state.get("parse_limits") or _LIMITS
    )


# In the worker's `parser` lane (tasks.receiver): at most PARSER_CHILDREN parses, one child each, run
# at once per worker process, beside (not in) the slots email and AI tasks run in.
@async_shared_broker.task(task_name=PARSE_VERSION, lane=PARSER_LANE)
async def parse_version(
    version_id: str,
    context: Context = TaskiqDepends(),
    parser: parsing.VersionParser = TaskiqDepends(version_parser),
    settings: Settings = TaskiqDepends(resources.app_settings),
) -> str:
    """Parse resume version `version_id`; returns parsed, failed, skipped or superseded."""
    try:
        vid = uuid.UUID(version_id)
    except (TypeError, ValueError):
        log.error("resume_parse_bad_id")
        return "skipped"
    final = is_final_attempt(context.message.labels, settings.worker.max_retries)
    return await parser.run(vid, final_attempt=final)


@async_shared_broker.task(
    task_name=SWEEP_STUCK,
    schedule=[{"cron": "*/2 * * * *", "schedule_id": SWEEP_STUCK}],
)
async def sweep_stuck(
    publisher: Publisher = TaskiqDepends(resources.publisher),
    limits: parsing.ParseLimits = TaskiqDepends(parse_limits),
) -> dict[str, int]:
    """Re-enqueue lost parse jobs; fail versions out of attempts. Returns how many of each."""
    report = await parsing.sweep_stuck(datetime.now(UTC), publisher, limits)
    return msgspec.structs.asdict(report)
