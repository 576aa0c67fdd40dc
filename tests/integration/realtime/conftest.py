"""Real api processes (uvicorn on loopback) for the realtime tests, and websocket helpers."""

from __future__ import annotations

import asyncio
import contextlib
import json
import signal
import subprocess
import sys
import tempfile
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio
import redis.asyncio as aioredis
import websockets
from websockets.asyncio.client import ClientConnection

from backend.db.tables import User
from backend.lib import redis_client
from backend.lib.embedded_services import free_port
from backend.realtime import tickets
from backend.realtime.publisher import Publisher
from backend.settings import Settings
from tests.conftest import settings_env
from tests.support import ROOT, SessionServices

# Test-friendly knobs of the api processes (the defaults are minutes and thousands).
API_ENV = {
    "REALTIME_PING_INTERVAL_SECONDS": "1",
    "REALTIME_SOCKET_QUEUE_SIZE": "64",
    "REALTIME_SEND_TIMEOUT_SECONDS": "2",
}


@dataclass
class Api:
    url: str
    process: subprocess.Popen[bytes]
    log: Path

    @property
    def ws_url(self) -> str:
        return self.url.replace("http://", "ws://") + "/api/v1/realtime"

    def output(self) -> str:
        return self.log.read_text(errors="replace")


def start_api(services: SessionServices, **extra_env: str) -> Api:
    port = free_port()
    log = Path(tempfile.mkstemp(prefix="api-", suffix=".log")[1])
    command = [sys.executable, "-m", "uvicorn", "--factory", "backend.app:app_from_env"]
    command += ["--host", "127.0.0.1", "--port", str(port), "--ws", "websockets-sansio"]
    command += ["--ws-per-message-deflate", "false", "--log-level", "warning"]
    with log.open("wb") as out:
        process = subprocess.Popen(
            command, cwd=ROOT, env=settings_env(services, **API_ENV, **extra_env), stdout=out, stderr=out
        )
    return Api(f"http://127.0.0.1:{port}", process, log)


async def wait_ready(api: Api, timeout: float = 30) -> None:
    async with httpx.AsyncClient(base_url=api.url) as http:
        for _ in range(int(timeout * 20)):
            if api.process.poll() is not None:
                raise RuntimeError(f"api exited:\n{api.output()}")
            with contextlib.suppress(httpx.HTTPError):
                if (await http.get("/health/ready")).status_code == 200:
                    return
            await asyncio.sleep(0.05)
    raise TimeoutError(f"api not ready:\n{api.output()}")


def stop_api(api: Api) -> None:
    if api.process.poll() is None:
        api.process.send_signal(signal.SIGTERM)
        try:
            api.process.wait(15)
        except subprocess.TimeoutExpired:
            api.process.kill()
            api.process.wait()


@pytest_asyncio.fixture(scope="module")
async def apis(services: SessionServices, db: None) -> AsyncIterator[tuple[Api, Api]]:
    """Two api replicas sharing the test Postgres and Redis."""
    pair = (start_api(services), start_api(services))
    try:
        await asyncio.gather(*(wait_ready(api) for api in pair))
        yield pair
    finally:
        for api in pair:
            stop_api(api)


@pytest.fixture
def fresh_api(services: SessionServices, db: None) -> Iterator[Api]:
    """An api process started by the test itself (cold: no subscription yet)."""
    api = start_api(services)
    try:
        yield api
    finally:
        stop_api(api)


@pytest_asyncio.fixture
async def publisher(settings: Settings) -> AsyncIterator[Publisher]:
    """Publishes from the test process, as a worker would (plain redis-py, no Litestar)."""
    client = redis_client.connect(settings.redis.url)
    yield Publisher(client, settings.realtime)
    await client.aclose()


async def make_users(count: int) -> list[str]:
    """`count` users inserted directly (the API path is covered elsewhere; argon2 for each would be slow)."""
    ids = [uuid.uuid4() for _ in range(count)]
    rows = [User(id=i, email=f"rt-{i.hex[:12]}@example.com", password_hash="x", full_name="RT") for i in ids]
    await User.insert(*rows)
    return [str(i) for i in ids]


async def connect(
    redis: aioredis.Redis, api: Api, user_id: str, last_event_id: str | None = None, **kwargs: Any
) -> ClientConnection:
    ticket = await tickets.issue(redis, uuid.UUID(user_id), 30)
    url = f"{api.ws_url}?ticket={ticket}" + (f"&last_event_id={last_event_id}" if last_event_id else "")
    return await websockets.connect(url, open_timeout=10, **kwargs)


async def next_event(ws: ClientConnection, timeout: float = 5) -> dict[str, Any]:
    """The next frame that is not a server ping."""
    while True:
        message = json.loads(await asyncio.wait_for(ws.recv(), timeout))
        if message.get("type") != "ping":
            return dict(message)


async def nothing_within(ws: ClientConnection, seconds: float) -> bool:
    """True when no event (pings aside) arrives within `seconds`."""
    try:
        await next_event(ws, seconds)
    except TimeoutError:
        return True
    return False
