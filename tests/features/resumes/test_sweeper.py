"""`resumes.sweep_stuck`: a version whose job was sent and lost
gets a new outbox row; one whose job is pending or was sent recently is left alone; one out of
attempts ends `failed` and its owner hears it."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

import redis.asyncio as aioredis
from structlog.testing import capture_logs
from taskiq import AsyncBroker

from backend.devtools.embedded_services import free_port
from backend.features.resumes import jobs as resumes
from backend.features.resumes import parsing
from backend.platform.db.tables import ResumeVersion, TaskOutbox
from backend.platform.jobs.runtime import build_broker
from backend.platform.realtime.publisher import Publisher
from backend.platform.storage import ObjectStore
from backend.settings import Settings
from tests.plugins.realtime import history
from tests.plugins.resumes import GOOD_PDF, Upload, upload, version

NOW = datetime.now(UTC)
OLD = NOW - timedelta(minutes=30)
LIMITS = parsing.ParseLimits(max_attempts=3, stuck_after=timedelta(minutes=10))
Job = Literal["pending", "sent_long_ago", "sent_recently", "none"]


async def _version(
    store: ObjectStore, *, status: str = "queued", attempts: int = 0, job: Job, age: timedelta = NOW - OLD
) -> Upload:
    """A version uploaded `age` ago in `status`, with its outbox row in the state `job`."""
    up = await upload(store, GOOD_PDF.read_bytes())
    await ResumeVersion.update(
        {ResumeVersion.status: status, ResumeVersion.attempts: attempts, ResumeVersion.created_at: NOW - age}
    ).where(ResumeVersion.id == up.version_id)
    vid = str(up.version_id)
    if job == "none":
        await TaskOutbox.raw("DELETE FROM task_outbox WHERE kwargs ->> 'version_id' = {}", vid)
    elif job != "pending":
        sent_at = OLD if job == "sent_long_ago" else NOW - timedelta(minutes=1)
        await TaskOutbox.raw(
            "UPDATE task_outbox SET sent_at = {}, created_at = {} WHERE kwargs ->> 'version_id' = {}", sent_at, OLD, vid
        )
    return up


async def _jobs(version_id: uuid.UUID) -> list[dict[str, Any]]:
    return list(
        await TaskOutbox.raw(
            "SELECT * FROM task_outbox WHERE kwargs ->> 'version_id' = {} ORDER BY created_at", str(version_id)
        )
    )


async def test_lost_jobs_are_requeued_others_left_alone_and_exhausted_versions_failed(
    settings: Settings, store: ObjectStore, redis: aioredis.Redis
) -> None:
    lost = await _version(store, job="sent_long_ago")
    lost_parsing = await _version(store, status="parsing", attempts=1, job="none")  # rows purged long ago
    waiting = await _version(store, job="pending")  # Redis down: the relay will send it
    running = await _version(store, status="parsing", attempts=1, job="sent_recently")
    fresh = await _version(store, job="none", age=timedelta(minutes=1))
    done = await _version(store, status="parsed", attempts=1, job="sent_long_ago")
    exhausted = await _version(store, status="parsing", attempts=3, job="sent_long_ago")
    publisher = Publisher(redis, settings.realtime)

    report = await parsing.sweep_stuck(NOW, publisher, LIMITS)

    assert report == parsing.SweepReport(requeued=2, failed=1)
    for up in (lost, lost_parsing):
        jobs = await _jobs(up.version_id)
        assert jobs[-1]["sent_at"] is None and jobs[-1]["task_name"] == parsing.PARSE_TASK
    assert len(await _jobs(lost.version_id)) == 2
    for up, count in ((waiting, 1), (running, 1), (fresh, 0), (done, 1), (exhausted, 1)):
        assert len(await _jobs(up.version_id)) == count
    row = await version(exhausted.version_id)
    assert (row["status"], row["error_code"]) == ("failed", "too_many_attempts") and row["error"]
    [event] = await history(redis, exhausted.user_id)
    assert event["type"] == "resume.parse.failed" and event["data"]["error"] == row["error"]
    assert (await version(running.version_id))["status"] == "parsing"

    # Idempotent: the requeued versions now have a pending job.
    assert await parsing.sweep_stuck(NOW, publisher, LIMITS) == parsing.SweepReport(requeued=0, failed=0)


async def test_the_sweep_task_is_scheduled_and_runs_in_a_worker(settings: Settings, store: ObjectStore) -> None:
    schedule = resumes.sweep_stuck.labels["schedule"]
    assert schedule == [{"cron": "*/2 * * * *", "schedule_id": resumes.SWEEP_STUCK}]
    lost = await _version(store, job="sent_long_ago")
    broker: AsyncBroker = build_broker(settings, in_memory=True)
    await broker.startup()
    try:
        result = await (await resumes.sweep_stuck.kicker().with_broker(broker).kiq()).wait_result(timeout=10)
    finally:
        await broker.shutdown()
    assert not result.is_err, result.error
    assert result.return_value == {"requeued": 1, "failed": 0}
    assert len(await _jobs(lost.version_id)) == 2


async def test_a_failure_the_owner_cannot_hear_is_still_recorded(settings: Settings, store: ObjectStore) -> None:
    exhausted = await _version(store, status="parsing", attempts=3, job="sent_long_ago")
    unreachable = aioredis.Redis(host="127.0.0.1", port=free_port(), socket_connect_timeout=1)
    try:
        with capture_logs() as logs:
            report = await parsing.sweep_stuck(NOW, Publisher(unreachable, settings.realtime), LIMITS)
    finally:
        await unreachable.aclose()

    assert report == parsing.SweepReport(requeued=0, failed=1)
    assert (await version(exhausted.version_id))["status"] == "failed"
    lost = [entry for entry in logs if entry["event"] == "resume_event_lost"]
    assert lost == [
        {
            "event": "resume_event_lost",
            "log_level": "warning",
            "event_type": "ResumeParseFailed",
            "error": "ConnectionError",
        }
    ]
