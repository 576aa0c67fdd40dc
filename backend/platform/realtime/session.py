"""One socket's life after the handshake: replay what was missed, then the live stream, pings,
and the close codes of `hub` (framework-free: the controller adapts Litestar's WebSocket).

Switch-over without gap or duplicate: the hub subscription is confirmed before history is read, so
every event is in the replay, in the mailbox, or both; mailbox frames with an id not above the last
one sent are skipped.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from typing import Any, Protocol

import msgspec
from redis.asyncio import Redis

from backend.platform.realtime import channels, events, metrics, wire
from backend.platform.realtime.hub import CLOSE_TOO_SLOW, Client

REPLAY_PAGE = 500
PING = events.encoder.encode(events.Ping())
PONG = events.encoder.encode(events.Pong())
SYNC_RESET = events.encoder.encode(events.SyncReset())
CLOSE_NORMAL = 1000
CLOSE_GRACE_SECONDS = 30.0  # how long a close frame may wait behind a peer's unread backlog
PEER_GONE = -1  # mailbox item: the peer left, end quietly


class Transport(Protocol):
    async def send(self, frame: bytes) -> None: ...

    async def receive(self) -> str | None:
        """The next text message, or None once the peer has gone."""
        ...

    async def close(self, code: int) -> None: ...


async def _history(redis: Redis, key: str, start: str, count: int) -> list[tuple[bytes, bytes]]:
    """(event id, event JSON) of up to `count` stored events from `start` (`-` or `(<id>`)."""
    entries: Any = await redis.xrange(key, start, "+", count=count)
    return [(raw_id, fields[b"e"]) for raw_id, fields in entries or []]


async def replay(redis: Redis, transport: Transport, user_id: str, last_event_id: str) -> tuple[int, int]:
    """Send every stored event after `last_event_id`, or `sync.reset` when history has a gap.

    Returns the id of the last event sent (or `last_event_id` when nothing was).
    """
    key = channels.history_key(user_id)
    last = wire.stream_id(last_event_id)
    oldest = await _history(redis, key, "-", 1)
    newest: Any = await redis.xrevrange(key, "+", "-", count=1)
    if not oldest or wire.stream_id(oldest[0][0]) > last or wire.stream_id(newest[0][0]) < last:
        # Conservative: the client's last event is older than anything kept (something may be lost),
        # or newer than anything kept (history was lost, e.g. a Redis without persistence restarted).
        await transport.send(SYNC_RESET)
        return (0, 0)
    start = f"({last_event_id}"
    while True:
        page = await _history(redis, key, start, REPLAY_PAGE)
        for raw_id, body in page:
            await transport.send(wire.frame(raw_id, body))
            metrics.EVENTS_REPLAYED.inc()
        if page:
            last = wire.stream_id(page[-1][0])
            start = f"({page[-1][0].decode()}"
        if len(page) < REPLAY_PAGE:
            return last


async def pump(transport: Transport, client: Client, after: tuple[int, int], send_timeout: float, ping: float) -> None:
    """Send mailbox frames with ids above `after` and a ping when idle; answer client pings.

    Returns when the peer goes, the hub closes the mailbox, or a send blocks past `send_timeout`
    (a consumer too slow to keep up: closed with 4008, it reconnects and replays). The writer runs
    in the caller's task and waits with `asyncio.timeout` (no helper task): an idle socket costs
    one extra task, the reader (measured: memory per idle socket is the scaling limit).
    """
    lock = asyncio.Lock()  # one frame at a time on the socket

    async def send(frame: bytes) -> None:
        async with lock, asyncio.timeout(send_timeout):
            await transport.send(frame)

    async def read() -> None:
        code = PEER_GONE
        try:
            while (text := await transport.receive()) is not None:
                try:
                    message = events.client_decoder.decode(text)
                except msgspec.DecodeError:
                    continue  # unknown client messages are ignored, not fatal
                if isinstance(message, events.Ping):
                    await send(PONG)
        except TimeoutError:
            code = CLOSE_TOO_SLOW
        finally:
            client.close(code)  # wakes the writer

    reader = asyncio.create_task(read())
    last = after
    try:
        while True:
            try:
                async with asyncio.timeout(ping):
                    item = await client.queue.get()
            except TimeoutError:
                await send(PING)
                continue
            if isinstance(item, int):
                if item != PEER_GONE:
                    with contextlib.suppress(TimeoutError):
                        async with lock, asyncio.timeout(CLOSE_GRACE_SECONDS):
                            await transport.close(item)
                return
            event_id, frame = item
            if event_id <= last:
                continue
            await send(frame)
            last = event_id
            metrics.EVENTS_DELIVERED.inc()
            metrics.PUBLISH_TO_SEND.observe(max(0.0, time.time() - event_id[0] / 1000))
    except TimeoutError:  # a send blocked past send_timeout
        metrics.SOCKETS_CLOSED.labels("send_timeout").inc()
        with contextlib.suppress(Exception):
            # Queued behind what the peer has not read yet: a slow peer sees 4008 after its
            # backlog; a dead one never reads, and we stop waiting after the grace period.
            async with asyncio.timeout(CLOSE_GRACE_SECONDS):
                await transport.close(CLOSE_TOO_SLOW)
    finally:
        reader.cancel()
        await asyncio.gather(reader, return_exceptions=True)
