"""Fixtures for the parse worker tests: versions written as the api writes them, events read back.

`spawn`, `sender` and `eventually` come from the task tests (tests/integration/tasks/conftest.py).

End to end, on either object store: `stack` (parametrized `local` / `s3`) is an api in this process
and the environment of its workers, both on the same store; `user_socket` opens a user's realtime
socket whose frames a `Socket` collects in the background.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import pytest
import pytest_asyncio
import redis.asyncio as aioredis
import websockets
from websockets.asyncio.client import ClientConnection
from websockets.exceptions import ConnectionClosed

from backend.features.resumes import parsing
from backend.platform.db.engine import DB
from backend.platform.db.tables import Resume, ResumeVersion, TaskOutbox, User
from backend.platform.realtime import channels, tickets
from backend.platform.storage import ObjectStore, build_store
from backend.settings import Settings
from tasks import outbox
from tests import support
from tests.conftest import settings_env
from tests.integration.conftest import BUCKET, raw_client, s3_env, served
from tests.integration.tasks.conftest import eventually, sender, spawn  # noqa: F401 - shared fixtures

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "resumes"
GOOD_PDF = FIXTURES / "resume-matcher-single-column.pdf"
WORKER_ARGS = ("--workers", "1")
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
    """Every message ever added to the task stream was delivered to the group and acknowledged
    (an acknowledged entry leaves the stream: compare ids, not contents)."""
    queue, group = settings.worker.queue_name, settings.worker.consumer_group
    if not await redis.exists(queue):
        return False
    last = (await redis.xinfo_stream(queue))["last-generated-id"]
    mine = [g for g in await redis.xinfo_groups(queue) if g["name"].decode() == group]
    return bool(mine and mine[0]["last-delivered-id"] == last and mine[0]["pending"] == 0)


# -- end to end: an api and its workers on one object store, realtime sockets ------------------------
@dataclass(frozen=True)
class Stack:
    """An api served in this process (real HTTP and websockets) and the environment of its workers,
    both on the same object store."""

    store: str  # "local" or "s3"
    api_url: str
    worker_env: dict[str, str]
    read_raw: Callable[[str], bytes]  # the bytes at rest under a store key, read around the store
    local_dir: Path  # where the local store keeps files (the s3 stack must leave it empty)


@pytest.fixture(params=["local", "s3"])
def stack(request: pytest.FixtureRequest, services: support.SessionServices, settings: Settings) -> Stack:
    local_dir = Path(settings.storage.local_dir)
    if request.param == "local":  # the session's api (`app_url`, as `client` uses) and the default store
        return Stack(
            "local",
            request.getfixturevalue("app_url"),
            settings_env(services),
            read_raw=lambda key: local_dir.joinpath(key).read_bytes(),
            local_dir=local_dir,
        )
    endpoint, prefix, api_url = request.getfixturevalue("s3_api")
    client = raw_client(endpoint)
    return Stack(
        "s3",
        api_url,
        settings_env(services, **s3_env(endpoint, prefix)),
        read_raw=lambda key: client.get_object(Bucket=BUCKET, Key=f"{prefix}/{key}")["Body"].read(),
        local_dir=local_dir,
    )


@pytest_asyncio.fixture
async def s3_api(services: support.SessionServices, s3_endpoint: str, db: None) -> AsyncIterator[tuple[str, str, str]]:
    """(endpoint, key prefix, api url): a second api in this process, storing in the moto bucket under
    a prefix of its own. It pings idle sockets every second, so tests meet server pings too."""
    from backend.entrypoints.api import create_app

    prefix = f"e2e-{uuid.uuid4().hex[:12]}"
    env = settings_env(services, **s3_env(s3_endpoint, prefix), REALTIME_PING_INTERVAL_SECONDS="1")
    async with served(create_app(Settings.from_env(env))) as url:
        yield s3_endpoint, prefix, url


class Socket:
    """A user's realtime socket; every frame it receives is collected in the background."""

    def __init__(self, ws: ClientConnection) -> None:
        self.ws = ws
        self.frames: list[dict[str, Any]] = []
        self.reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        with contextlib.suppress(ConnectionClosed):
            async for raw in self.ws:
                self.frames.append(json.loads(raw))

    @property
    def events(self) -> list[dict[str, Any]]:
        """The frames that are events: server pings and the answers to our pings aside."""
        return [frame for frame in self.frames if frame.get("type") not in ("ping", "pong")]

    async def until(self, done: Callable[[list[dict[str, Any]]], bool], within: float) -> list[dict[str, Any]]:
        """The events once `done(events)` holds; TimeoutError after `within` seconds overall."""
        async with asyncio.timeout(within):
            while not done(self.events):
                assert not self.reader.done(), f"socket closed ({self.ws.close_code}) after {self.frames}"
                await asyncio.sleep(0.05)
        return self.events

    async def alive(self, within: float = 10) -> None:
        """Ping and wait for the pong. The server's pump answers it, and the pump starts only once the
        user's channel is subscribed: after this, nothing published to the user can be missed."""
        pongs = self.frames.count({"type": "pong"})
        await self.ws.send(json.dumps({"type": "ping"}))
        async with asyncio.timeout(within):
            while self.frames.count({"type": "pong"}) == pongs:
                assert not self.reader.done(), f"socket closed ({self.ws.close_code}) after {self.frames}"
                await asyncio.sleep(0.02)


@asynccontextmanager
async def user_socket(redis: aioredis.Redis, api_url: str, user_id: str) -> AsyncIterator[Socket]:
    """The user's realtime socket on the api at `api_url`, subscribed and collecting when yielded."""
    ticket = await tickets.issue(redis, uuid.UUID(user_id), 30)
    url = api_url.replace("http://", "ws://", 1) + f"/api/v1/realtime?ticket={ticket}"
    async with websockets.connect(url, open_timeout=10) as ws:
        socket = Socket(ws)
        try:
            await socket.alive()
            yield socket
        finally:
            await ws.close()
            await socket.reader
