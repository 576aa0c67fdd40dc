"""Outcomes of the parse task that need no worker process: transient failures retried until the
last attempt ends the version `failed`, the attempt cap, and overlapping deliveries of one version
(the older run's result is dropped: one `resume.parsed`). Run in-process (InMemoryBroker) or
through the service directly."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
import redis.asyncio as aioredis

from backend.devtools.embedded_services import free_port
from backend.engines import resume_parser
from backend.features.resumes import jobs as resumes
from backend.features.resumes import parsing
from backend.platform.crypto.envelope import Envelope
from backend.platform.db.tables import ResumeVersion
from backend.platform.jobs.runtime import build_broker
from backend.platform.realtime.publisher import Publisher
from backend.platform.storage import ObjectStore
from backend.settings import Settings
from tests import support
from tests.plugins.realtime import history
from tests.plugins.resumes import GOOD_PDF, upload, version
from tests.support import settings_env


@pytest.mark.parametrize(
    ("labels", "final"),
    [
        ({}, False),  # first attempt of 1 + 2 retries
        ({"_retries": "1"}, False),
        ({"_retries": "2"}, True),
        ({"_retries": 0, "retry_on_error": "False"}, True),
        ({"max_retries": "1"}, True),  # a task allowed one attempt only
    ],
)
def test_the_final_attempt_is_known_from_the_retry_labels(labels: dict[str, Any], final: bool) -> None:
    assert resumes.is_final_attempt(labels, max_retries=2) is final


async def test_storage_down_on_every_attempt_ends_failed_after_the_retries(
    services: support.SessionServices, store: ObjectStore, redis: aioredis.Redis
) -> None:
    up = await upload(store, GOOD_PDF.read_bytes())
    unreachable_s3 = {
        "S3_BUCKET": "resumes",
        "S3_ENDPOINT_URL": f"http://127.0.0.1:{free_port()}",
        "S3_ACCESS_KEY_ID": "test",
        "S3_SECRET_ACCESS_KEY": "test-secret",
        "S3_MAX_ATTEMPTS": "1",
        "TASK_MAX_RETRIES": "2",
    }
    broker = build_broker(Settings.from_env(settings_env(services, **unreachable_s3)), in_memory=True)
    await broker.startup()
    try:
        await resumes.parse_version.kicker().with_broker(broker).kiq(str(up.version_id))  # retries run inline
    finally:
        await broker.shutdown()

    row = await version(up.version_id)
    assert (row["status"], row["error_code"], row["attempts"]) == ("failed", "unavailable", 3)
    assert row["error"] == parsing.FAILURES["unavailable"]
    events = await history(redis, up.user_id)
    assert [e["type"] for e in events if e["type"] != "resume.parse.progress"] == ["resume.parse.failed"]


async def test_a_version_past_its_attempt_budget_fails_without_parsing(
    settings: Settings, store: ObjectStore, redis: aioredis.Redis
) -> None:
    up = await upload(store, GOOD_PDF.read_bytes())
    await ResumeVersion.update({ResumeVersion.attempts: 6}).where(ResumeVersion.id == up.version_id)
    parser = _parser(settings, store, redis, parse=_never)

    assert await parser.run(up.version_id, final_attempt=False) == "failed"
    row = await version(up.version_id)
    assert (row["status"], row["error_code"], row["attempts"]) == ("failed", "too_many_attempts", 7)
    assert [e["type"] for e in await history(redis, up.user_id)] == ["resume.parse.failed"]


async def test_of_two_overlapping_runs_only_the_newest_stores_and_announces(
    settings: Settings, store: ObjectStore, redis: aioredis.Redis
) -> None:
    up = await upload(store, GOOD_PDF.read_bytes())
    outcomes: list[str] = []

    async def overtaken(data: bytes, **limits: Any) -> resume_parser.ParseResult:
        # As this run starts its parse, a redelivery of the same version runs to the end.
        outcomes.append(await _parser(settings, store, redis).run(up.version_id, final_attempt=False))
        return await resume_parser.parse_isolated_async(data, **limits)  # its first report stops it

    assert await _parser(settings, store, redis, parse=overtaken).run(up.version_id, final_attempt=False) == (
        "superseded"
    )
    assert outcomes == ["parsed"]
    row = await version(up.version_id)
    assert (row["status"], row["attempts"]) == ("parsed", 2)
    events = await history(redis, up.user_id)
    # The overtaken run reported "downloading" only; then the redelivery's whole run.
    assert [(e["type"], e["data"].get("stage")) for e in events] == [
        ("resume.parse.progress", "downloading"),
        *(("resume.parse.progress", s) for s in ("downloading", "extracting", "layout", "sections", "fields")),
        ("resume.parse.progress", "saving"),
        ("resume.parse.progress", "done"),
        ("resume.parsed", None),
    ]
    assert await _parser(settings, store, redis, parse=_never).run(up.version_id, final_attempt=False) == "skipped"


def _parser(
    settings: Settings, store: ObjectStore, redis: aioredis.Redis, parse: parsing.ParseFunction | None = None
) -> parsing.VersionParser:
    return parsing.VersionParser(
        store=store,
        envelope=Envelope.from_settings(settings.encryption),
        sink=Publisher(redis, settings.realtime),
        parse=parse,
    )


async def _never(data: bytes, **limits: Any) -> resume_parser.ParseResult:
    raise AssertionError(f"no parse expected ({uuid.uuid4()})")
