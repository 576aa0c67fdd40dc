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
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx
import pytest
import pytest_asyncio
import redis.asyncio as aioredis
import websockets
from websockets.asyncio.client import ClientConnection

from backend.devtools.embedded_services import free_port
from backend.platform import redis_client
from backend.platform.db.tables import User
from backend.platform.realtime import tickets
from backend.platform.realtime.publisher import Publisher
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
    command = [sys.executable, "-m", "uvicorn", "--factory", "backend.entrypoints.api:app_from_env"]
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


class Link:
    """A loopback TCP proxy to the server of a URL: the network between an api and Redis, which a
    test can slow down (`delay` seconds per chunk each way) or cut and restore."""

    def __init__(self, url: str, delay: float = 0.0) -> None:
        self.target = urlsplit(url)
        self.delay = delay
        self.url = ""
        self._up = True
        self._writers: set[asyncio.StreamWriter] = set()

    def cut(self) -> None:
        """Drop every open connection and refuse new ones until `restore()`."""
        self._up = False
        for writer in self._writers:
            writer.close()

    def restore(self) -> None:
        self._up = True

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while data := await reader.read(65536):
                if self.delay:
                    await asyncio.sleep(self.delay)
                writer.write(data)
                await writer.drain()
        finally:
            writer.close()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if not self._up:
            writer.close()
            return
        up_reader, up_writer = await asyncio.open_connection(self.target.hostname, self.target.port)
        self._writers |= {writer, up_writer}
        try:
            await asyncio.gather(self._pipe(reader, up_writer), self._pipe(up_reader, writer), return_exceptions=True)
        finally:
            self._writers -= {writer, up_writer}


@contextlib.asynccontextmanager
async def network_link(url: str, delay: float = 0.0) -> AsyncIterator[Link]:
    """A `Link` to the server of `url`; its `url` is the same URL through the proxy."""
    link = Link(url, delay)
    server = await asyncio.start_server(link._handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    link.url = urlunsplit(link.target._replace(netloc=f"127.0.0.1:{port}"))
    async with server:
        yield link
        link.cut()


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
    """The next frame that is not a server ping, within `timeout` in all (pings keep coming, so a
    per-frame timeout would wait forever for an event that never comes)."""
    async with asyncio.timeout(timeout):
        while True:
            message = json.loads(await ws.recv())
            if message.get("type") != "ping":
                return dict(message)


Reconnect = Callable[[str], Awaitable[ClientConnection]]
REPLAY_CODES = (1012, 4008)  # closes after which a client reconnects with its last_event_id


async def read_events(
    ws: ClientConnection, count: int, reconnect: Reconnect
) -> tuple[list[dict[str, Any]], ClientConnection]:
    """`count` events read the way a client should: after a 1012 or 4008 close, reconnect with the
    last event id and go on. Returns the events and the socket in use at the end."""
    got: list[dict[str, Any]] = []
    while True:
        try:
            while len(got) < count:
                got.append(await next_event(ws))
            return got, ws
        except websockets.ConnectionClosed as closed:
            if closed.rcvd is None or closed.rcvd.code not in REPLAY_CODES or not got:
                raise
            ws = await reconnect(got[-1]["id"])


async def nothing_within(ws: ClientConnection, seconds: float) -> bool:
    """True when no event (pings aside) arrives within `seconds`."""
    try:
        await next_event(ws, seconds)
    except TimeoutError:
        return True
    return False
