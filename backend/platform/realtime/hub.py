"""The per-process fan-out: one Redis pub/sub connection, user channels subscribed while at least
one local socket of that user is open (reference counted), frames handed to bounded per-socket
mailboxes.

redis-py's asyncio PubSub loses subscriptions when several first `subscribe()` calls race on a fresh
object (DEVELOPERS.md), so the connection is opened at start-up on a control channel and every
(un)subscribe is serialised by one lock; `attach` returns only once Redis has confirmed the
subscription, so a replay read afterwards cannot miss an event published in between.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from typing import Any

import structlog
from redis.asyncio import Redis
from redis.asyncio.client import PubSub
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError
from redis.exceptions import TimeoutError as RedisTimeoutError

from backend.platform.realtime import channels, metrics, wire

log = structlog.get_logger("career_copilot.realtime")

# Close codes (documented in the README and the AsyncAPI document).
CLOSE_RESTART = 1012  # server restarting or lost Redis: reconnect (another replica) with last_event_id
CLOSE_TOO_SLOW = 4008  # the socket could not keep up: reconnect with last_event_id to replay
CLOSE_ACCOUNT = 4401  # the account was disabled or deleted: do not reconnect
CLOSE_SESSION_ENDED = 4001  # the sign-in session or personal access token it was opened with ended: do not reconnect
CLOSE_RETICKET = 4002  # the socket reached its longest life (one access-token lifetime): re-ticket, replay
CLOSE_TOO_MANY = 4003  # the user opened more sockets than allowed, this one was the oldest: do not reconnect
SUBSCRIBE_TIMEOUT = 5.0


class Client:
    """One socket's mailbox: `(event id, frame)` items in order, or a close code that ends it.

    `credential` is what the socket was opened with (`s:<session id>` or `p:<token id>`), `id` names
    the socket among the user's (the socket cap), and a timer closes it with 4002 at its deadline
    (one call_later per socket: no polling)."""

    def __init__(self, user_id: str, size: int, credential: str = "") -> None:
        self.user_id = user_id
        self.credential = credential
        self.id = os.urandom(8).hex()
        self.queue: asyncio.Queue[tuple[tuple[int, int], bytes] | int] = asyncio.Queue(size)
        self.closing = False
        self.deadline: asyncio.TimerHandle | None = None

    def offer(self, event_id: tuple[int, int], frame: bytes) -> bool:
        if self.closing:
            return True
        try:
            self.queue.put_nowait((event_id, frame))
        except asyncio.QueueFull:
            return False
        return True

    def close(self, code: int) -> None:
        """End the socket with `code` after what is queued (the queue is dropped when it is full)."""
        if self.closing:
            return
        self.closing = True
        if self.deadline is not None:
            self.deadline.cancel()
        if self.queue.full():
            while not self.queue.empty():
                self.queue.get_nowait()
        self.queue.put_nowait(code)


class Hub:
    def __init__(self, redis: Redis, queue_size: int) -> None:
        self._redis = redis
        self._queue_size = queue_size
        self._clients: dict[str, set[Client]] = {}
        self._confirmed: dict[str, asyncio.Event] = {}
        self._lock = asyncio.Lock()
        self._pubsub: PubSub | None = None
        self._reader: asyncio.Task[None] | None = None
        self._connected = asyncio.Event()
        self._draining = False

    async def start(self) -> None:
        """Start the reader; it connects (and reconnects) in the background, so the api starts
        and reports not-ready while Redis is down instead of failing to boot."""
        self._reader = asyncio.create_task(self._run(), name="realtime-hub-reader")

    async def _connect(self) -> None:
        self._pubsub = self._redis.pubsub()
        await self._pubsub.subscribe(channels.CONTROL_CHANNEL)

    async def stop(self) -> None:
        """Close every socket with 1012 (reconnect elsewhere) and the pub/sub connection."""
        self._close_all(CLOSE_RESTART, "shutdown")
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reader
        if self._pubsub is not None:
            with contextlib.suppress(Exception):
                await self._pubsub.aclose()

    async def drain(self, within: float) -> int:
        """Close every socket with 1012 after what its mailbox holds, and every socket opened from now
        on right away (clients reconnect elsewhere and replay); wait up to `within` s for them to go.
        Returns how many sockets were open."""
        self._draining = True
        count = sum(len(group) for group in self._clients.values())
        self._close_all(CLOSE_RESTART, "drain")
        loop = asyncio.get_running_loop()
        deadline = loop.time() + within
        while self._clients and loop.time() < deadline:  # noqa: ASYNC110 - detach signals nothing
            await asyncio.sleep(0.05)
        return count

    async def attach(self, user_id: str, credential: str = "", max_age: float | None = None) -> Client:
        """A mailbox for a new socket of `user_id` opened with `credential`, live once Redis
        confirmed the subscription (closed at once with 1012 while the process drains), and closed
        with 4002 after `max_age` seconds."""
        client = Client(user_id, self._queue_size, credential)
        if max_age is not None:
            client.deadline = asyncio.get_running_loop().call_later(max_age, self.expire, client)
        if self._draining:
            client.close(CLOSE_RESTART)
            metrics.SOCKETS_CLOSED.labels("drain").inc()
            metrics.SOCKETS_OPEN.inc()
            return client
        channel = channels.user_channel(user_id)
        async with self._lock:
            group = self._clients.get(user_id)
            if group is None:
                self._confirmed[channel] = asyncio.Event()
                try:
                    await self._subscribe(user_id, channel)
                except BaseException:
                    self._confirmed.pop(channel, None)
                    raise
                group = self._clients[user_id] = set()
                metrics.SUBSCRIBED_USERS.inc()
            group.add(client)
            confirmed = self._confirmed[channel]
        try:
            await asyncio.wait_for(confirmed.wait(), SUBSCRIBE_TIMEOUT)
        except BaseException:
            await self._forget(client)
            raise
        metrics.SOCKETS_OPEN.inc()
        return client

    @staticmethod
    def expire(client: Client) -> None:
        client.deadline = None
        if not client.closing:
            client.close(CLOSE_RETICKET)
            metrics.SOCKETS_CLOSED.labels("reticket").inc()

    async def detach(self, client: Client) -> None:
        metrics.SOCKETS_OPEN.dec()
        await self._forget(client)

    async def _forget(self, client: Client) -> None:
        if client.deadline is not None:
            client.deadline.cancel()
        channel = channels.user_channel(client.user_id)
        async with self._lock:
            group = self._clients.get(client.user_id)
            if group is None or client not in group:
                return
            group.discard(client)
            if not group:
                del self._clients[client.user_id]
                self._confirmed.pop(channel, None)
                metrics.SUBSCRIBED_USERS.dec()
                with contextlib.suppress(RedisError, OSError):
                    await self._unsubscribe(client.user_id, channel)

    # ---- the subscription itself (one Redis: one pub/sub connection; realtime.shards on a cluster)

    async def _subscribe(self, user_id: str, channel: str) -> None:
        """Ask Redis for `channel` (under the lock); `_handle` sets its confirmation."""
        await asyncio.wait_for(self._connected.wait(), SUBSCRIBE_TIMEOUT)
        assert self._pubsub is not None
        await self._pubsub.subscribe(channel)

    async def _unsubscribe(self, user_id: str, channel: str) -> None:
        assert self._pubsub is not None
        await self._pubsub.unsubscribe(channel)

    async def _run(self) -> None:
        delay = 0.1
        while True:
            try:
                await self._connect()
                self._connected.set()
                delay = 0.1
                while True:
                    assert self._pubsub is not None
                    message = await self._pubsub.get_message(ignore_subscribe_messages=False, timeout=1.0)
                    if message is not None:
                        self._handle(message)
            except (RedisConnectionError, RedisTimeoutError, OSError) as exc:
                await self._lost(exc)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)

    def _handle(self, message: dict[str, Any]) -> None:
        channel = message["channel"].decode()
        kind = message["type"]
        if kind in ("subscribe", "ssubscribe"):
            if confirmed := self._confirmed.get(channel):
                confirmed.set()
        elif kind in ("message", "smessage") and channel != channels.CONTROL_CHANNEL:
            try:
                self._dispatch(channels.user_of_channel(channel), message["data"])
            except ValueError:  # not a message this version knows: never let it stop the reader
                log.warning("realtime_message_not_understood", channel=channel)

    def _dispatch(self, user_id: str, data: bytes) -> None:
        group = self._clients.get(user_id)
        if not group:
            return
        if data.startswith(b"!"):
            self._control(group, data)
            return
        raw_id, body = wire.split_message(data)
        event_id, frame = wire.stream_id(raw_id), wire.frame(raw_id, body)
        metrics.EVENTS_RECEIVED.inc()
        for client in list(group):
            if not client.offer(event_id, frame):
                client.close(CLOSE_TOO_SLOW)
                metrics.EVENTS_DROPPED.inc()
                metrics.SOCKETS_CLOSED.labels("too_slow").inc()

    @staticmethod
    def _control(group: set[Client], data: bytes) -> None:
        """A control message on the user's channel (wire.py): close some or all of its sockets."""
        if data == wire.KICK:
            chosen, code, reason = list(group), CLOSE_ACCOUNT, "account"
        elif data.startswith(wire.END):
            ended = wire.Ended(data)
            chosen, code, reason = [c for c in group if ended.covers(c.credential)], CLOSE_SESSION_ENDED, "session"
        elif data.startswith(wire.DROP):
            ids = set(data[len(wire.DROP) :].decode().split())
            chosen, code, reason = [c for c in group if c.id in ids], CLOSE_TOO_MANY, "too_many"
        else:
            return  # an unknown command: from a newer version, ignored
        for client in chosen:
            if not client.closing:
                client.close(code)
                metrics.SOCKETS_CLOSED.labels(reason).inc()

    def _close_all(self, code: int, reason: str) -> None:
        for group in self._clients.values():
            for client in group:
                client.close(code)
                metrics.SOCKETS_CLOSED.labels(reason).inc()

    async def _lost(self, exc: BaseException) -> None:
        """Redis went away: sockets may miss events, so close them all with 1012 (clients reconnect
        and replay from history); the reader then re-opens the pub/sub connection with backoff."""
        log.warning("realtime_redis_lost", error=type(exc).__name__)
        self._connected.clear()
        async with self._lock:
            self._close_all(CLOSE_RESTART, "redis_lost")
            for confirmed in self._confirmed.values():
                confirmed.set()  # attaches waiting for a confirmation return their closed mailbox now
            self._clients.clear()
            self._confirmed.clear()
            metrics.SUBSCRIBED_USERS.set(0)
            if self._pubsub is not None:
                with contextlib.suppress(Exception):
                    await self._pubsub.aclose()
                self._pubsub = None
