"""Benchmark client process: many websockets per process with a minimal RFC 6455 client, plus raw
Redis subscribers for the baseline.

The websocket client is an `asyncio.Protocol` (no task per connection), so one process holds
thousands of sockets cheaply. Like a browser it offers `permessage-deflate` (optional), answers
protocol pings, and never sends data frames. Tickets come from the REST endpoint over a few
keep-alive HTTP/1.1 connections.

Latency marker: the publisher writes `"text":"T<monotonic ns>|…"` into each event; CLOCK_MONOTONIC is
shared by every process on the machine, so receive time minus that stamp is the end-to-end latency.
"""

from __future__ import annotations

import asyncio
import base64
import collections
import json
import os
import re
import time
import zlib
from typing import Any, cast

from ops.bench import _rpc

HOST = "127.0.0.1"
EVENT_PREFIX = b'{"id":"'
APP_PING = b'{"type":"ping"}'
MARK = b'"text":"T'
MARK_RX = re.compile(rb'"text":"T(\d+)\|')
DEFLATE_OFFER = "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n"


class Stats:
    def __init__(self) -> None:
        self.reset()
        self.recording: set[str] = set()  # of "ws", "resp", "redispy"
        self.samples: dict[str, list[int]] = collections.defaultdict(list)

    def reset(self) -> None:
        self.events = 0
        self.app_pings = 0
        self.proto_pings = 0
        self.other = 0
        self.order_errors = 0
        self.server_closes: collections.Counter[int] = collections.Counter()
        self.lost = 0  # connections that ended without a close frame we asked for
        self.first_recv = 0
        self.last_recv = 0
        self.raw_messages = 0


STATS = Stats()


def _mask(payload: bytes) -> bytes:
    key = os.urandom(4)
    return key + bytes(b ^ key[i & 3] for i, b in enumerate(payload))


def _control(opcode: int, payload: bytes) -> bytes:
    return bytes((0x80 | opcode, 0x80 | len(payload))) + _mask(payload)


class WebSocketClient(asyncio.Protocol):
    def __init__(self, request: bytes) -> None:
        loop = asyncio.get_running_loop()
        self.request = request
        self.transport: asyncio.Transport | None = None
        self.buf = b""
        self.open = False
        self.opened: asyncio.Future[int] = loop.create_future()
        self.closed: asyncio.Future[None] = loop.create_future()
        self.inflater: Any = None
        self.fragments: list[bytes] = []
        self.compressed = False
        self.last_id = (0, 0)
        self.we_closed = False
        self.close_code: int | None = None

    # -- asyncio.Protocol ----------------------------------------------------------------------
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)
        self.transport.write(self.request)

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.opened.done():
            self.opened.set_exception(ConnectionError(f"closed before the handshake: {exc}"))
        elif not self.we_closed:
            STATS.lost += 1
        if not self.closed.done():
            self.closed.set_result(None)

    def data_received(self, data: bytes) -> None:
        now = time.monotonic_ns()
        if not self.open:
            self.buf += data
            end = self.buf.find(b"\r\n\r\n")
            if end < 0:
                return
            head, data = self.buf[:end].decode("latin-1"), self.buf[end + 4 :]
            self.buf = b""
            status = int(head.split(" ", 2)[1])
            if status != 101:
                if not self.opened.done():
                    self.opened.set_exception(ConnectionRefusedError(f"HTTP {status}"))
                assert self.transport is not None
                self.transport.close()
                return
            self.open = True
            if not self.opened.done():
                self.opened.set_result(status)
            if not data:
                return
        buf = self.buf + data if self.buf else data
        pos, size = 0, len(buf)
        while size - pos >= 2:
            b0, length = buf[pos], buf[pos + 1] & 0x7F
            start = pos + 2
            if length == 126:
                if size - start < 2:
                    break
                length = int.from_bytes(buf[start : start + 2], "big")
                start += 2
            elif length == 127:
                if size - start < 8:
                    break
                length = int.from_bytes(buf[start : start + 8], "big")
                start += 8
            end = start + length
            if end > size:
                break
            self._frame(b0, buf[start:end], now)
            pos = end
        self.buf = buf[pos:]

    # -- frames --------------------------------------------------------------------------------
    def _frame(self, b0: int, payload: bytes, now: int) -> None:
        opcode = b0 & 0x0F
        if opcode == 0x9:
            STATS.proto_pings += 1
            self._write(_control(0xA, payload))
        elif opcode == 0x8:
            self.close_code = int.from_bytes(payload[:2], "big") if len(payload) >= 2 else 1005
            if not self.we_closed:
                STATS.server_closes[self.close_code] += 1
                self._write(_control(0x8, payload[:2]))
                self.we_closed = True  # counted here, not again as lost
            assert self.transport is not None
            self.transport.close()
        elif opcode in (0x0, 0x1, 0x2):
            if opcode:
                self.compressed = bool(b0 & 0x40)
            if not b0 & 0x80:
                self.fragments.append(payload)
                return
            if self.fragments:
                payload = b"".join((*self.fragments, payload))
                self.fragments = []
            if self.compressed:
                if self.inflater is None:
                    self.inflater = zlib.decompressobj(-15)
                payload = self.inflater.decompress(payload + b"\x00\x00\xff\xff")
            self._message(payload, now)

    def _message(self, message: bytes, now: int) -> None:
        stats = STATS
        if message.startswith(EVENT_PREFIX):
            stats.events += 1
            end = message.index(b'"', 7)
            ms, _, seq = message[7:end].partition(b"-")
            key = (int(ms), int(seq))
            if key <= self.last_id:
                stats.order_errors += 1
            self.last_id = key
            if not stats.first_recv:
                stats.first_recv = now
            stats.last_recv = now
            if "ws" in stats.recording:
                at = message.find(MARK)
                if at >= 0:
                    stats.samples["ws"].append(now - int(message[at + 9 : message.index(b"|", at)]))
        elif message == APP_PING:
            stats.app_pings += 1
        else:
            stats.other += 1

    def _write(self, data: bytes) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.write(data)

    def close(self) -> None:
        if self.open and not self.we_closed:
            self.we_closed = True
            self._write(_control(0x8, (1000).to_bytes(2, "big")))


CONNS: list[WebSocketClient] = []


# -- tickets over keep-alive HTTP/1.1 -------------------------------------------------------------
async def _ticket_worker(port: int, tokens: list[str], out: list[str | None], indices: collections.deque[int]) -> None:
    reader, writer = await asyncio.open_connection(HOST, port)
    try:
        while indices:
            i = indices.popleft()
            writer.write(
                f"POST /api/v1/realtime/tickets HTTP/1.1\r\nHost: {HOST}:{port}\r\n"
                f"Authorization: Bearer {tokens[i]}\r\nContent-Length: 0\r\n\r\n".encode()
            )
            head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1")
            length = 0
            for line in head.split("\r\n")[1:]:
                name, _, value = line.partition(":")
                if name.strip().lower() == "content-length":
                    length = int(value)
            body = await reader.readexactly(length)
            out[i] = json.loads(body)["ticket"] if head.split(" ", 2)[1] == "201" else None
    finally:
        writer.close()


async def fetch_tickets(port: int, tokens: list[str], parallel: int) -> list[str | None]:
    out: list[str | None] = [None] * len(tokens)
    indices = collections.deque(range(len(tokens)))
    await asyncio.gather(*(_ticket_worker(port, tokens, out, indices) for _ in range(min(parallel, len(tokens)))))
    return out


async def _connect(ws_port: int, ticket: str, deflate: bool, wait_s: float) -> WebSocketClient:
    key = base64.b64encode(os.urandom(16)).decode()
    request = (
        f"GET /api/v1/realtime?ticket={ticket} HTTP/1.1\r\nHost: {HOST}:{ws_port}\r\n"
        f"Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
        f"Sec-WebSocket-Version: 13\r\n{DEFLATE_OFFER if deflate else ''}\r\n"
    ).encode()
    loop = asyncio.get_running_loop()
    transport, protocol = await loop.create_connection(lambda: WebSocketClient(request), HOST, ws_port)
    try:
        await asyncio.wait_for(protocol.opened, wait_s)
    except BaseException:
        transport.abort()
        raise
    return protocol


# -- commands -------------------------------------------------------------------------------------
async def open_sockets(
    jobs: list[list[Any]], deflate: bool, batch: int = 100, ticket_parallel: int = 6, wait_s: float = 30.0
) -> dict[str, Any]:
    """Open one socket per job `[access token, websocket port, ticket port]`, `batch` at a time
    (tickets fetched right before their connections: they live 30 s)."""
    failures: collections.Counter[str] = collections.Counter()
    opened = 0
    started = time.monotonic()
    for first in range(0, len(jobs), batch):
        chunk = jobs[first : first + batch]
        by_port: dict[int, list[int]] = collections.defaultdict(list)
        for i, (_, _, ticket_port) in enumerate(chunk):
            by_port[ticket_port].append(i)
        tickets: list[str | None] = [None] * len(chunk)
        for port, idx in by_port.items():
            got = await fetch_tickets(port, [chunk[i][0] for i in idx], ticket_parallel)
            for i, ticket in zip(idx, got, strict=True):
                tickets[i] = ticket
        attempts = []
        for (_, ws_port, _), ticket in zip(chunk, tickets, strict=True):
            if ticket is None:
                failures["no ticket"] += 1
                continue
            attempts.append(_connect(ws_port, ticket, deflate, wait_s))
        for result in await asyncio.gather(*attempts, return_exceptions=True):
            if isinstance(result, BaseException):
                failures[f"{type(result).__name__}: {result}"[:80]] += 1
            else:
                CONNS.append(result)
                opened += 1
    return {"opened": opened, "failures": dict(failures), "seconds": time.monotonic() - started}


async def close_all(wait_s: float = 20.0) -> dict[str, Any]:
    live = [c for c in CONNS if not c.closed.done()]
    for conn in live:
        conn.close()
    done, pending = await asyncio.wait([asyncio.ensure_future(c.closed) for c in live], timeout=wait_s)
    for conn in CONNS:
        if not conn.closed.done() and conn.transport is not None:
            conn.transport.abort()
    codes = collections.Counter(str(c.close_code) for c in live)
    CONNS.clear()
    return {"asked": len(live), "closed_cleanly": len(done), "aborted": len(pending), "codes": dict(codes)}


async def stats() -> dict[str, Any]:
    s = STATS
    return {
        "open": sum(1 for c in CONNS if not c.closed.done()),
        "events": s.events,
        "app_pings": s.app_pings,
        "proto_pings": s.proto_pings,
        "other": s.other,
        "order_errors": s.order_errors,
        "server_closes": {str(k): v for k, v in s.server_closes.items()},
        "lost": s.lost,
        "first_recv": s.first_recv,
        "last_recv": s.last_recv,
        "raw_messages": s.raw_messages,
        "samples": sum(len(v) for v in s.samples.values()),
    }


async def reset() -> None:
    STATS.reset()
    STATS.samples = collections.defaultdict(list)


async def record(what: list[str]) -> None:
    STATS.recording = set(what)


async def take_samples(what: str = "ws") -> list[int]:
    return STATS.samples.pop(what, [])


# -- raw Redis subscribers (baseline) -----------------------------------------------------------
class RespSubscriber(asyncio.Protocol):
    """SUBSCRIBE over a bare socket: the leanest possible reader of Redis pub/sub."""

    def __init__(self, channels: list[str]) -> None:
        self.channels = channels
        self.tail = b""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        parts = [b"SUBSCRIBE", *(c.encode() for c in self.channels)]
        cast(asyncio.Transport, transport).write(
            b"*%d\r\n" % len(parts) + b"".join(b"$%d\r\n%s\r\n" % (len(p), p) for p in parts)
        )

    def data_received(self, data: bytes) -> None:
        now = time.monotonic_ns()
        buf = self.tail + data
        last = 0
        for match in MARK_RX.finditer(buf):
            STATS.raw_messages += 1
            if "resp" in STATS.recording:
                STATS.samples["resp"].append(now - int(match.group(1)))
            last = match.end()
        self.tail = buf[max(last, len(buf) - 64) :]


RAW: list[Any] = []


async def raw_subscribe(redis_url: str, resp_channels: list[str], redispy_channels: list[str]) -> None:
    import redis.asyncio as aioredis

    port = int(redis_url.rsplit(":", 1)[1].split("/")[0])
    transport, _ = await asyncio.get_running_loop().create_connection(lambda: RespSubscriber(resp_channels), HOST, port)
    RAW.append(transport)
    client = aioredis.Redis.from_url(redis_url)
    pubsub = client.pubsub()
    await pubsub.subscribe(*redispy_channels)

    async def pump() -> None:
        while True:
            message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=1.0)
            if message is None:
                continue
            now = time.monotonic_ns()
            STATS.raw_messages += 1
            if "redispy" in STATS.recording and (match := MARK_RX.search(message["data"])):
                STATS.samples["redispy"].append(now - int(match.group(1)))

    RAW.append(asyncio.create_task(pump()))
    await asyncio.sleep(0.2)


async def main() -> None:
    await _rpc.serve(
        {
            "open": open_sockets,
            "close_all": close_all,
            "stats": stats,
            "reset": reset,
            "record": record,
            "take_samples": take_samples,
            "raw_subscribe": raw_subscribe,
        }
    )
