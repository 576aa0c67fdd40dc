"""Periodic housekeeping tasks, run by the scheduler.

`maintenance.purge_expired` runs every 10 minutes (the `schedule` label, read by the scheduler's
label source; its id `maintenance.purge_expired` is what TASK_SCHEDULE_OVERRIDES refers to).
It takes no arguments, and the service it wraps is idempotent, so a redelivery or a second
scheduler changes nothing.
"""

from __future__ import annotations

from datetime import UTC, datetime

import msgspec
from taskiq import async_shared_broker

from backend.features.maintenance import service as maintenance_services

PURGE_EXPIRED = "maintenance.purge_expired"


@async_shared_broker.task(
    task_name=PURGE_EXPIRED,
    schedule=[{"cron": "*/10 * * * *", "schedule_id": PURGE_EXPIRED}],
)
async def purge_expired() -> dict[str, int]:
    """Delete expired tokens, sessions and idempotency records; return how many of each."""
    report = await maintenance_services.purge_expired(datetime.now(UTC))
    return msgspec.structs.asdict(report)
