"""Fixtures for the parse worker tests: versions written as the api writes them, events read back.

`spawn`, `sender` and `eventually` come from the task tests (tests/integration/tasks/conftest.py).
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import pytest_asyncio
import redis.asyncio as aioredis

from backend.db.engine import DB
from backend.db.tables import Resume, ResumeVersion, TaskOutbox, User
from backend.domain.resumes import parsing
from backend.lib import outbox
from backend.lib.storage import ObjectStore, build_store
from backend.realtime import channels
from backend.settings import Settings
from tests.integration.tasks.conftest import eventually, sender, spawn  # noqa: F401 - shared fixtures

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "resumes"
GOOD_PDF = FIXTURES / "resume-matcher-single-column.pdf"
WORKER_ARGS = ("--workers", "1")
# Named, never imported here: importing it makes every parse of the importing process hold.
SLOW_PARSE_MODULE = "tests.integration.resume_worker.slow_parse"


@dataclass(frozen=True)
class Upload:
    user_id: uuid.UUID
    resume_id: uuid.UUID
    version_id: uuid.UUID


@pytest_asyncio.fixture
async def store(settings: Settings, db: None) -> AsyncIterator[ObjectStore]:
    """The encrypted object store of the session's DATA_DIR (the one worker subprocesses get)."""
    opened = build_store(settings)
    await opened.open()
    yield opened
    await opened.close()


async def new_user() -> uuid.UUID:
    user = User(email=f"{uuid.uuid4().hex}@example.com", password_hash="x", full_name="Parse Probe")
    await user.save()
    return uuid.UUID(str(user.id))


async def upload(store: ObjectStore, data: bytes, user_id: uuid.UUID | None = None) -> Upload:
    """What the upload api does: object first, then the version row and its job in one transaction."""
    user_id = user_id or await new_user()
    resume = Resume(user=user_id, title="My resume")
    await resume.save()
    resume_id, version_id = uuid.UUID(str(resume.id)), uuid.uuid4()
    key = f"users/{user_id}/resumes/{resume_id}/versions/{version_id}"
    await store.put(key, data, "application/pdf")
    async with DB.transaction():
        await ResumeVersion(
            id=version_id,
            resume=resume_id,
            user=user_id,
            number=1,
            filename="resume.pdf",
            size=len(data),
            sha256=hashlib.sha256(data).hexdigest(),
            object_key=key,
        ).save()
        await outbox.enqueue(parsing.PARSE_TASK, version_id=str(version_id))
    return Upload(user_id, resume_id, version_id)


async def version(version_id: uuid.UUID) -> dict[str, Any]:
    row = await ResumeVersion.select().where(ResumeVersion.id == version_id).first()
    assert row is not None
    return row


async def settled(version_id: uuid.UUID) -> dict[str, Any] | None:
    """The row once it is parsed or failed."""
    row = await version(version_id)
    return row if row["status"] in ("parsed", "failed") else None


async def wait_settled(version_id: uuid.UUID, within: float = 60) -> dict[str, Any]:
    """The row once it is parsed or failed; fails the test after `within` seconds."""
    row = await eventually(lambda: settled(version_id), within, f"version {version_id} to be parsed or failed")
    assert isinstance(row, dict)
    return row


async def history(redis: aioredis.Redis, user_id: uuid.UUID) -> list[dict[str, Any]]:
    """The user's realtime events, oldest first, as they go on the wire (the entry id is the event id)."""
    entries = cast(list[tuple[bytes, dict[bytes, bytes]]], await redis.xrange(channels.history_key(user_id)))
    return [{**json.loads(fields[b"e"]), "id": entry_id.decode()} for entry_id, fields in entries]


async def ended(redis: aioredis.Redis, user_id: uuid.UUID) -> list[dict[str, Any]] | None:
    """The user's events once the last one is `resume.parsed` or `resume.parse.failed`."""
    events = await history(redis, user_id)
    return events if events and events[-1]["type"] in ("resume.parsed", "resume.parse.failed") else None


async def wait_ended(redis: aioredis.Redis, user_id: uuid.UUID, within: float = 10) -> list[dict[str, Any]]:
    events = await eventually(lambda: ended(redis, user_id), within, "resume.parsed or resume.parse.failed")
    assert isinstance(events, list)
    return events


async def outbox_rows() -> list[dict[str, Any]]:
    return list(await TaskOutbox.select().order_by(TaskOutbox.created_at))


async def queue_drained(redis: aioredis.Redis, settings: Settings) -> bool:
    """Every message in the task stream was delivered to the group and acknowledged."""
    queue, group = settings.worker.queue_name, settings.worker.consumer_group
    last = await redis.xrevrange(queue, count=1)
    groups = await redis.xinfo_groups(queue)
    mine = [g for g in groups if g["name"].decode() == group]
    if not last or not mine:
        return False
    return bool(mine[0]["last-delivered-id"] == last[0][0] and mine[0]["pending"] == 0)
