"""The parse task in real worker processes: an outbox row written with the version reaches
the worker, which parses the stored PDF in a sandbox, stores the result encrypted and tells the
owner's channel; bad PDFs end `failed` with a reason; a killed worker's parse is finished by
another; a redelivery of a parsed version changes nothing."""

from __future__ import annotations

import signal
import uuid
from typing import Any

import redis.asyncio as aioredis
from taskiq import AsyncBroker

from backend.features.resumes import jobs as resumes
from backend.platform.crypto.envelope import Envelope
from backend.platform.storage import ObjectStore
from backend.settings import Settings
from tests import support
from tests.plugins.processes import WORKER_ARGS, Spawn
from tests.plugins.realtime import history
from tests.plugins.resumes import (
    FIXTURES,
    GOOD_PDF,
    PACED_PARSE_MODULE,
    outbox_rows,
    queue_drained,
    upload,
    version,
    wait_ended,
    wait_settled,
)
from tests.plugins.tasks import queue_spec
from tests.support import eventually, settings_env


def _types(events: list[dict[str, Any]]) -> list[str]:
    return [event["type"] for event in events]


def _progress(events: list[dict[str, Any]]) -> list[tuple[str, int]]:
    return [(e["data"]["stage"], e["data"]["percent"]) for e in events if e["type"] == "resume.parse.progress"]


async def test_an_uploaded_version_is_relayed_parsed_stored_encrypted_and_announced(
    services: support.SessionServices, settings: Settings, store: ObjectStore, redis: aioredis.Redis, spawn: Spawn
) -> None:
    spawn("backend.entrypoints.worker", settings_env(services), *WORKER_ARGS)
    up = await upload(store, GOOD_PDF.read_bytes())

    row = await wait_settled(up.version_id)
    assert row["status"] == "parsed", (row["error_code"], row["error"])
    assert row["attempts"] == 1 and row["pages"] == 1 and row["parsed_at"] is not None
    assert row["error"] is None and row["error_code"] is None
    envelope = Envelope.from_settings(settings.encryption)
    parsed = envelope.decrypt_json(bytes(row["parsed"]), f"resume_versions.parsed:{up.version_id}")
    assert isinstance(parsed, dict) and parsed["basics"]["name"]
    assert b"basics" not in bytes(row["parsed"])  # ciphertext at rest
    text = envelope.decrypt_text(bytes(row["text"]), f"resume_versions.text:{up.version_id}")
    assert parsed["basics"]["name"].lower() in text.lower()
    [sent] = await outbox_rows()
    assert sent["sent_at"] is not None and sent["attempts"] == 1 and sent["last_error"] is None

    events = await wait_ended(redis, up.user_id)
    assert _types(events)[-1] == "resume.parsed"
    assert events[-1]["data"] == {"resume_id": str(up.resume_id), "version_id": str(up.version_id)}
    progress = _progress(events)
    assert progress[0] == ("downloading", 5) and progress[-1] == ("done", 100)
    stages = ["downloading", "extracting", "layout", "sections", "fields", "saving", "done"]
    assert [stage for stage, _ in progress] == stages
    percents = [percent for _, percent in progress]
    assert percents == sorted(set(percents)) and len(percents) <= 10  # strictly increasing, throttled
    assert all(e["data"]["version_id"] == str(up.version_id) for e in events)
    ids = [e["id"] for e in events]
    assert ids == sorted(ids, key=lambda i: tuple(int(p) for p in i.split("-")))


async def test_unreadable_pdfs_end_failed_with_a_reason_and_the_worker_goes_on(
    services: support.SessionServices, settings: Settings, store: ObjectStore, redis: aioredis.Redis, spawn: Spawn
) -> None:
    worker = spawn("backend.entrypoints.worker", settings_env(services), *WORKER_ARGS)
    cases = {"not-a-pdf.pdf": "not_pdf", "scanned.pdf": "no_text", "encrypted.pdf": "encrypted"}
    uploads = {name: await upload(store, (FIXTURES / "hostile" / name).read_bytes()) for name in cases}
    missing = await upload(store, GOOD_PDF.read_bytes())
    await store.delete((await version(missing.version_id))["object_key"])  # the file is gone meanwhile

    for name, code in [*cases.items(), ("missing", "file_missing")]:
        up = uploads.get(name, missing)
        row = await wait_settled(up.version_id)
        assert (row["status"], row["error_code"]) == ("failed", code), name
        assert row["error"] and len(row["error"]) > 20 and row["parsed"] is None and row["attempts"] == 1
        events = await wait_ended(redis, up.user_id)
        assert events[-1]["type"] == "resume.parse.failed"
        assert events[-1]["data"] == {
            "resume_id": str(up.resume_id),
            "version_id": str(up.version_id),
            "error": row["error"],
        }
        assert "resume.parsed" not in _types(events)

    assert worker.alive
    good = await upload(store, GOOD_PDF.read_bytes())
    assert (await wait_settled(good.version_id))["status"] == "parsed"
    assert await redis.xlen(queue_spec(settings).dead) == 0  # failures are results, not crashes


async def test_a_parse_killed_with_its_worker_is_finished_by_another_without_a_new_upload(
    services: support.SessionServices, settings: Settings, store: ObjectStore, redis: aioredis.Redis, spawn: Spawn
) -> None:
    env = settings_env(services, TASK_IDLE_RECLAIM_MS="1500")
    held = {**env, "PACED_PARSE_SECONDS": "25"}  # holds at its first progress report: killed mid-parse
    first = spawn("backend.entrypoints.worker", held, *WORKER_ARGS, "--tasks-module", PACED_PARSE_MODULE)
    up = await upload(store, GOOD_PDF.read_bytes())

    # The first parser stage is reported: the sandboxed parse is under way (and held there).
    await eventually(lambda: _saw_stage(redis, up.user_id, "extracting"), 60, "the parse to be under way")
    first.signal_group(signal.SIGKILL)
    first.popen.wait(10)
    killed = await version(up.version_id)
    assert (killed["status"], killed["attempts"]) == ("parsing", 1)
    # no new message: the stream's last id stays (an acked entry leaves the stream, so not its length)
    last_id = (await redis.xinfo_stream(queue_spec(settings).stream))["last-generated-id"]

    spawn("backend.entrypoints.worker", env, *WORKER_ARGS)  # nothing new is uploaded or enqueued
    row = await wait_settled(up.version_id)  # the second worker finishes it
    assert (row["status"], row["attempts"]) == ("parsed", 2)
    assert len(await outbox_rows()) == 1
    assert (await redis.xinfo_stream(queue_spec(settings).stream))["last-generated-id"] == last_id
    assert _types(await wait_ended(redis, up.user_id)).count("resume.parsed") == 1


async def _saw_stage(redis: aioredis.Redis, user_id: uuid.UUID, stage: str) -> bool:
    return any(s == stage for s, _ in _progress(await history(redis, user_id)))


async def test_a_redelivered_parsed_version_is_left_alone(
    services: support.SessionServices,
    settings: Settings,
    store: ObjectStore,
    redis: aioredis.Redis,
    spawn: Spawn,
    sender: AsyncBroker,
) -> None:
    spawn("backend.entrypoints.worker", settings_env(services), *WORKER_ARGS)
    up = await upload(store, GOOD_PDF.read_bytes())
    before = await wait_settled(up.version_id)
    events_before = await wait_ended(redis, up.user_id)
    assert before["status"] == "parsed" and events_before[-1]["type"] == "resume.parsed"

    await resumes.parse_version.kicker().with_broker(sender).kiq(str(up.version_id))  # a redelivery
    await eventually(lambda: queue_drained(redis, settings), 30, "the redelivered message to be handled")

    after = await version(up.version_id)
    for column in ("status", "attempts", "parsed_at", "parsed", "text", "pages"):
        assert after[column] == before[column], column
    assert await history(redis, up.user_id) == events_before  # no second resume.parsed, no progress
