"""Realtime from the client's side: sockets of users (`connect`, `user_socket`, `Socket`), reading events
(`next_event`, `read_events`, `history`), a `publisher` in the test process, and a network `Link`
between an api and Redis that a test can slow down or cut."""

from __future__ import annotations

import asyncio
import collections
import contextlib
import json
import random
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, cast
from urllib.parse import urlsplit, urlunsplit

import pytest_asyncio
import redis.asyncio as aioredis
import websockets
from redis.asyncio.cluster import RedisCluster
from redis.exceptions import RedisClusterException, RedisError
from websockets.asyncio.client import ClientConnection
from websockets.exceptions import ConnectionClosed, InvalidHandshake

from backend.platform import redis_client
from backend.platform.db.tables import Session, User
from backend.platform.realtime import channels, tickets
from backend.platform.realtime.publisher import Publisher
from backend.settings import Settings, redis_seeds
from tests.plugins.processes import Api

# Test-friendly knobs of the api processes (the defaults are minutes and thousands).
API_ENV = {
    "REALTIME_PING_INTERVAL_SECONDS": "1",
    "REALTIME_SOCKET_QUEUE_SIZE": "64",
    "REALTIME_SEND_TIMEOUT_SECONDS": "2",
}


class Link:
    """A loopback TCP proxy to the server of a URL: the network between an api and Redis, which a
    test can slow down (`delay` seconds per chunk each way) or cut and restore. Of a cluster's seeds,
    the first (the client finds the others through it, as with one seed)."""

    def __init__(self, url: str, delay: float = 0.0) -> None:
        self.target = urlsplit(redis_seeds(url)[0])
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


async def ticket_for(redis: aioredis.Redis, user_id: str, ttl_seconds: int = 30) -> str:
    """A ticket for the user, bound to a new sign-in session of theirs made directly (the ticket
    route is covered elsewhere; users from `make_users` have no password to sign in with)."""
    session = Session(user=uuid.UUID(user_id), expires_at=datetime.now(UTC) + timedelta(days=1))
    await session.save()
    return await tickets.issue(redis, uuid.UUID(user_id), f"s:{session.id}", ttl_seconds, 100)


async def connect(
    redis: aioredis.Redis, api: Api, user_id: str, last_event_id: str | None = None, **kwargs: Any
) -> ClientConnection:
    ticket = await ticket_for(redis, user_id)
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


async def history(redis: aioredis.Redis, user_id: uuid.UUID) -> list[dict[str, Any]]:
    """The user's realtime events, oldest first, as they go on the wire (the entry id is the event id)."""
    entries = cast(list[tuple[bytes, dict[bytes, bytes]]], await redis.xrange(channels.history_key(user_id)))
    return [{**json.loads(fields[b"e"]), "id": entry_id.decode()} for entry_id, fields in entries]


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
    ticket = await ticket_for(redis, user_id)
    url = api_url.replace("http://", "ws://", 1) + f"/api/v1/realtime?ticket={ticket}"
    async with websockets.connect(url, open_timeout=10) as ws:
        socket = Socket(ws)
        try:
            await socket.alive()
            yield socket
        finally:
            await ws.close()
            await socket.reader


async def subscribers(redis: aioredis.Redis, channel: str) -> int:
    """How many connections subscribe `channel`: classic pub/sub on one Redis, the shard channel on
    the primary that owns its slot on a cluster."""
    if not redis_client.is_cluster():
        return int((await redis.pubsub_numsub(channel))[0][1])
    cluster = cast(RedisCluster, redis)
    node = cluster.get_node_from_key(channel)
    found: Any = await cluster.execute_command("PUBSUB SHARDNUMSUB", channel, target_nodes=node)
    return int(found[0][1])


async def drop_subscriber_connections(redis: aioredis.Redis, link: Link | None = None) -> None:
    """The api's subscriber connections drop: through `link` on one Redis (cut: restore it later),
    on a cluster every primary closes its pub/sub clients (the subscriber talks to each shard
    directly, past any link to the seed node)."""
    if not redis_client.is_cluster():
        assert link is not None
        link.cut()
        return
    cluster = cast(RedisCluster, redis)
    await cluster.execute_command("CLIENT KILL", "TYPE", "pubsub", target_nodes=RedisCluster.PRIMARIES)


@dataclass
class Follower:
    """A client that follows one user's events as the protocol asks: on any close it gets a new
    ticket and reconnects with its last event id (replay). `received` holds every event id it saw,
    over every connection; `closes` counts the close codes the server sent."""

    redis: aioredis.Redis
    user_id: str
    received: list[str] = field(default_factory=list)
    closes: collections.Counter[int | None] = field(default_factory=collections.Counter)
    resets: int = 0
    connect_errors: int = 0
    connected: asyncio.Event = field(default_factory=asyncio.Event)

    async def run(self, api: Api, stop: asyncio.Event) -> None:
        last: str | None = None
        while not stop.is_set():
            try:
                ticket = await ticket_for(self.redis, self.user_id)
            except (RedisError, OSError, RedisClusterException):
                await asyncio.sleep(0.2)
                continue
            url = f"{api.ws_url}?ticket={ticket}" + (f"&last_event_id={last}" if last else "")
            try:
                async with websockets.connect(url, open_timeout=15, ping_interval=None) as ws:
                    await ws.send(json.dumps({"type": "ping"}))
                    async for raw in ws:
                        frame = json.loads(raw)
                        kind = frame.get("type")
                        if kind == "pong":
                            self.connected.set()
                        elif kind == "sync.reset":
                            self.resets += 1
                        elif "id" in frame:
                            self.received.append(frame["id"])
                            last = frame["id"]
                        if stop.is_set():
                            return
            except ConnectionClosed as exc:
                self.closes[exc.rcvd.code if exc.rcvd else None] += 1
            except (OSError, InvalidHandshake, TimeoutError):
                self.connect_errors += 1
            await asyncio.sleep(random.uniform(0.05, 0.3))  # reconnect backoff
