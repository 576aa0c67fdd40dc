"""`ai.sweep_stuck`: a letter or analysis whose job was lost gets
a new outbox row, and a real worker then finishes it; one whose job is pending or was sent recently
is left alone; one out of attempts ends `failed` and its owner hears it."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

import httpx
import redis.asyncio as aioredis
from taskiq import AsyncBroker

from backend.features.ai import jobs as ai_tasks
from backend.features.ai import sweeper
from backend.platform.db.tables import AIUsage, Analysis, CoverLetter, TaskOutbox
from backend.platform.jobs.runtime import build_broker
from backend.platform.realtime.publisher import Publisher
from backend.settings import Settings
from tests import ai_fixtures, support
from tests.plugins.ai import wait_letter
from tests.plugins.fake_openai import FakeOpenAI, Reply, words
from tests.plugins.processes import WORKER_ARGS
from tests.plugins.realtime import history
from tests.plugins.tasks import all_acked
from tests.support import eventually, settings_env

NOW = datetime.now(UTC)
OLD = NOW - timedelta(minutes=30)
Job = Literal["pending", "sent_long_ago", "sent_recently", "none"]
BODY = {"company": "Northwind Cloud", "role": "Data Engineer", "job_description": ai_fixtures.DATA_JOB}


async def _set_job(kwarg: str, row_id: str, job: Job) -> None:
    if job == "none":
        await TaskOutbox.raw("DELETE FROM task_outbox WHERE kwargs ->> {} = {}", kwarg, row_id)
    elif job != "pending":
        sent_at = OLD if job == "sent_long_ago" else NOW - timedelta(minutes=1)
        await TaskOutbox.raw(
            "UPDATE task_outbox SET sent_at = {}, created_at = {} WHERE kwargs ->> {} = {}", sent_at, OLD, kwarg, row_id
        )


async def _letter(client: httpx.AsyncClient, headers: dict[str, str], *, job: Job, status: str = "queued",
                  attempts: int = 0, age: timedelta = NOW - OLD) -> str:  # fmt: skip
    created = await client.post("/api/v1/cover-letters", json=BODY, headers=headers)
    assert created.status_code == 202, created.text
    lid = created.json()["id"]
    await CoverLetter.update(
        {CoverLetter.status: status, CoverLetter.attempts: attempts, CoverLetter.updated_at: NOW - age}
    ).where(CoverLetter.id == lid)
    await _set_job("cover_letter_id", lid, job)
    return str(lid)


async def _analysis(client: httpx.AsyncClient, headers: dict[str, str], *, job: Job, status: str = "queued",
                    attempts: int = 0, age: timedelta = NOW - OLD) -> str:  # fmt: skip
    created = await client.post("/api/v1/analyses", json={"job_description": "Python Spark"}, headers=headers)
    assert created.status_code == 202, created.text
    aid = created.json()["id"]
    await Analysis.update({Analysis.status: status, Analysis.attempts: attempts, Analysis.created_at: NOW - age}).where(
        Analysis.id == aid
    )
    await _set_job("analysis_id", aid, job)
    return str(aid)


async def _jobs(kwarg: str, row_id: str) -> list[dict[str, Any]]:
    return list(await TaskOutbox.raw("SELECT * FROM task_outbox WHERE kwargs ->> {} = {}", kwarg, row_id))


async def test_lost_ai_jobs_are_requeued_others_left_alone_and_exhausted_ones_failed(
    client: httpx.AsyncClient, redis: aioredis.Redis, settings: Settings, marcus: Any
) -> None:
    account, _ = marcus
    h = account.headers
    lost_letter = await _letter(client, h, job="sent_long_ago")
    lost_streaming = await _letter(client, h, status="streaming", attempts=1, job="none")  # its rows purged
    waiting_letter = await _letter(client, h, job="pending")  # Redis down: the relay will send it
    live_letter = await _letter(client, h, status="streaming", attempts=1, job="none", age=timedelta(seconds=5))
    done_letter = await _letter(client, h, status="completed", attempts=1, job="sent_long_ago")
    worn_letter = await _letter(client, h, status="streaming", attempts=sweeper.MAX_ATTEMPTS, job="sent_long_ago")
    lost_analysis = await _analysis(client, h, status="running", attempts=1, job="sent_long_ago")
    recent_analysis = await _analysis(client, h, job="sent_recently")
    worn_analysis = await _analysis(client, h, status="running", attempts=sweeper.MAX_ATTEMPTS, job="none")

    report = await sweeper.sweep_stuck(NOW, Publisher(redis, settings.realtime))

    assert report == sweeper.SweepReport(letters_requeued=2, letters_failed=1, analyses_requeued=1, analyses_failed=1)
    for kwarg, row_id, count in (
        ("cover_letter_id", lost_letter, 2), ("cover_letter_id", lost_streaming, 1),
        ("cover_letter_id", waiting_letter, 1), ("cover_letter_id", live_letter, 0),
        ("cover_letter_id", done_letter, 1), ("cover_letter_id", worn_letter, 1),
        ("analysis_id", lost_analysis, 2), ("analysis_id", recent_analysis, 1), ("analysis_id", worn_analysis, 0),
    ):  # fmt: skip
        assert len(await _jobs(kwarg, row_id)) == count, (kwarg, row_id)
    assert [j["sent_at"] for j in await _jobs("cover_letter_id", lost_streaming)] == [None]
    worn = await CoverLetter.select().where(CoverLetter.id == worn_letter).first()
    assert worn is not None and worn["status"] == "failed" and worn["error"]
    worn_a = await Analysis.select().where(Analysis.id == worn_analysis).first()
    assert worn_a is not None and (worn_a["status"], worn_a["error"]) == ("failed", sweeper.ANALYSIS_INTERRUPTED)
    told = {(e["type"], e["data"].get("cover_letter_id") or e["data"].get("analysis_id")) for e in
            await history(redis, uuid.UUID(account.user_id))}  # fmt: skip
    assert {("cover_letter.failed", worn_letter), ("analysis.failed", worn_analysis)} <= told
    # Idempotent: the requeued ones now have a pending job.
    assert await sweeper.sweep_stuck(NOW, Publisher(redis, settings.realtime)) == sweeper.SweepReport(0, 0, 0, 0)


async def test_a_lost_letter_is_finished_by_a_worker_after_the_sweep(
    client: httpx.AsyncClient, services: support.SessionServices, settings: Settings, spawn: Any, marcus: Any
) -> None:
    account, _ = marcus
    lid = await _letter(client, account.headers, job="sent_long_ago")  # sent, then lost with Redis
    broker: AsyncBroker = build_broker(settings, in_memory=True)
    await broker.startup()
    try:
        task = await ai_tasks.sweep_stuck.kicker().with_broker(broker).kiq()
        result = await task.wait_result(timeout=10)
    finally:
        await broker.shutdown()
    assert not result.is_err, result.error
    assert result.return_value["letters_requeued"] == 1
    assert ai_tasks.sweep_stuck.labels["schedule"] == [{"cron": "*/2 * * * *", "schedule_id": ai_tasks.SWEEP_STUCK}]
    spawn("backend.entrypoints.worker", settings_env(services), *WORKER_ARGS)  # its relay sends the new job
    row = await wait_letter(lid)
    assert row["status"] == "completed" and row["attempts"] == 1


async def test_a_run_that_lost_its_analysis_to_the_sweeper_neither_completes_nor_charges_it(
    client: httpx.AsyncClient, redis: aioredis.Redis, services: support.SessionServices, settings: Settings,
    spawn: Any, marcus: Any, fake_openai: FakeOpenAI,
) -> None:  # fmt: skip
    """A run is slow (the model stalls); meanwhile the sweeper judges the analysis stuck and out of
    attempts and fails it. When the model answers, the run's completion is fenced out: no
    `analysis.completed`, no usage charged, the row stays failed."""
    account, vid = marcus
    fake_openai.script = [Reply(pieces=words("A late narrative."), stall=3.0)]
    spawn(
        "backend.entrypoints.worker",
        settings_env(services, OPENAI_BASE_URL=fake_openai.url, OPENAI_MODEL="m"),
        *WORKER_ARGS,
    )
    body = {"resume_version_id": str(vid), "job_description": ai_fixtures.DATA_JOB}
    aid = (await client.post("/api/v1/analyses", json=body, headers=account.headers)).json()["id"]

    async def in_the_model() -> bool:
        return bool(fake_openai.requests)

    await eventually(in_the_model, 30, "the run to ask the model")
    await Analysis.update({Analysis.attempts: sweeper.MAX_ATTEMPTS, Analysis.created_at: OLD}).where(Analysis.id == aid)
    await _set_job("analysis_id", aid, "sent_long_ago")
    report = await sweeper.sweep_stuck(datetime.now(UTC), Publisher(redis, settings.realtime))
    assert report.analyses_failed == 1

    async def answered() -> bool:
        return bool(fake_openai.emitted)

    await eventually(answered, 30, "the model to answer")
    await eventually(lambda: all_acked(redis, settings), 30, "the run to return (its message acked)")
    row = await Analysis.select().where(Analysis.id == aid).first()
    assert row is not None and (row["status"], row["error"]) == ("failed", sweeper.ANALYSIS_INTERRUPTED)
    assert await AIUsage.count().where(AIUsage.ref_id == aid) == 0
    told = [e["type"] for e in await history(redis, uuid.UUID(account.user_id)) if e["type"].startswith("analysis.")]
    assert told == ["analysis.failed"]
