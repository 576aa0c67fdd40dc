"""Resumes as the api and the parse worker leave them: uploads written as the api writes them (object,
version row and outbox row), the session's object `store`, versions and events read back.

`Stack` is what the end-to-end parse tests run on: an api and the environment of its workers on one
object store (local disk or S3).
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest_asyncio
import redis.asyncio as aioredis

from backend.features.resumes import parsing
from backend.platform.db.engine import DB
from backend.platform.db.tables import Resume, ResumeVersion, TaskOutbox, User
from backend.platform.storage import ObjectStore, build_store
from backend.settings import Settings
from tasks import outbox
from tasks.spec import QueueSpec
from tests import support
from tests.plugins.realtime import history
from tests.support import eventually

FIXTURES = support.FIXTURES / "resumes"  # the sample resumes
GOOD_PDF = FIXTURES / "resume-matcher-single-column.pdf"
# Named, never imported here: importing it makes every parse of the importing process pause.
PACED_PARSE_MODULE = "tests.workers.paced_parse"


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
    """Every message ever added to the task stream was delivered to the group and acknowledged
    (an acknowledged entry leaves the stream: compare ids, not contents)."""
    seen = False
    for spec in QueueSpec.from_settings(settings.worker).parts():
        if not await redis.exists(spec.stream):
            continue
        last = (await redis.xinfo_stream(spec.stream))["last-generated-id"]
        mine = [g for g in await redis.xinfo_groups(spec.stream) if g["name"].decode() == spec.group]
        if not (mine and mine[0]["last-delivered-id"] == last and mine[0]["pending"] == 0):
            return False
        seen = True
    return seen


# -- end to end: an api and its workers on one object store --------------------------------------------
@dataclass(frozen=True)
class Stack:
    """An api served in this process (real HTTP and websockets) and the environment of its workers,
    both on the same object store."""

    store: str  # "local" or "s3"
    api_url: str
    worker_env: dict[str, str]
    read_raw: Callable[[str], bytes]  # the bytes at rest under a store key, read around the store
    local_dir: Path  # where the local store keeps files (the s3 stack must leave it empty)
