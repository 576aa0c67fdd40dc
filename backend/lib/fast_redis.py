"""A small pipelined Redis client for the hot read path: cache lookups and session stamps.

redis-py's asyncio client costs 85-175 µs of CPU per command on our 2-core machines (pool checkout
and release, retry wrapper, timeout context, Python parser; measured with `get`, `evalsha` and a
12 KB value), more than everything else a cached read does. This client keeps ONE connection per
process and pipelines every caller's commands on it: a command is one `transport.write` and one
future, and the replies, which Redis sends in order, resolve the futures in order (~30 µs per
command, measured the same way).

Scope: commands whose callers treat any failure as "no answer" (`backend.lib.cache`,
`backend.domain.accounts.session_memo`): no pub/sub, no blocking commands, no MULTI. Any failure
(refused, reset, timeout, protocol error) fails every command in flight with a redis-py
`ConnectionError`/`TimeoutError` and drops the connection; the next command connects again.
Framework-free.
"""

from __future__ import annotations

import asyncio
import hashlib
import ssl
import time
from collections import deque
from typing import Any

from redis.asyncio.connection import parse_url
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import ResponseError
from redis.exceptions import TimeoutError as RedisTimeoutError

Reply = bytes | int | list[Any] | None
_LATE = 0.05  # a timeout check this late (s) was held up by the event loop, not by Redis


class _Incomplete(Exception):
    """The buffer does not hold a whole reply yet."""


def encode_command(args: tuple[bytes | str | int, ...]) -> bytes:
    """RESP array of bulk strings."""
    parts = [b"*%d\r\n" % len(args)]
    for arg in args:
        data = arg if isinstance(arg, bytes) else str(arg).encode()
        parts.append(b"$%d\r\n%b\r\n" % (len(data), data))
    return b"".join(parts)


def parse_reply(buf: bytes | bytearray, pos: int = 0) -> tuple[Reply | ResponseError, int]:
    """One RESP2 reply starting at `pos`: (value, position after it). Raises _Incomplete when the
    buffer ends first, ValueError on bytes that are not RESP. Error replies are returned (not
    raised) as ResponseError, so that one failed command does not disturb the others."""
    end = buf.find(b"\r\n", pos)
    if end < 0:
        raise _Incomplete
    kind, line, pos = buf[pos], bytes(buf[pos + 1 : end]), end + 2
    if kind == 36:  # $ bulk string
        size = int(line)
        if size < 0:
            return None, pos
        if len(buf) < pos + size + 2:
            raise _Incomplete
        return bytes(buf[pos : pos + size]), pos + size + 2
    if kind == 42:  # * array
        count = int(line)
        if count < 0:
            return None, pos
        items: list[Any] = []
        for _ in range(count):
            item, pos = parse_reply(buf, pos)
            items.append(item)
        return items, pos
    if kind == 58:  # : integer
        return int(line), pos
    if kind == 43:  # + simple string
        return line, pos
    if kind == 45:  # - error
        return ResponseError(line.decode("utf-8", "replace")), pos
    raise ValueError(f"not a RESP reply: {bytes(buf[pos - len(line) - 3 : pos])!r}")


class _Protocol(asyncio.Protocol):
    """One connection: commands written in order, replies matched to their futures in order."""

    def __init__(self, timeout: float) -> None:
        self.timeout = timeout
        self.transport: asyncio.Transport | None = None
        self.pending: deque[tuple[asyncio.Future[Any], float]] = deque()
        self.buffer = bytearray()
        self.closed: BaseException | None = None
        self._timer: asyncio.TimerHandle | None = None
        self._timer_at = 0.0
        self._outbox: list[bytes] = []
        self._loop = asyncio.get_running_loop()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def send(self, payload: bytes) -> asyncio.Future[Any]:
        if self.closed is not None or self.transport is None:
            raise RedisConnectionError("connection closed")
        future = self._loop.create_future()
        self.pending.append((future, self._loop.time() + self.timeout))
        if not self._outbox:  # the first command of this loop iteration: write them all at its end
            self._loop.call_soon(self._flush)
        self._outbox.append(payload)
        if self._timer is None:
            self._arm(self.pending[0][1])
        return future

    def _arm(self, when: float) -> None:
        self._timer_at = when
        self._timer = self._loop.call_at(when, self._check_timeout)

    def _flush(self) -> None:
        """One write (one system call, ~40 µs on our VMs) for every command queued since the last."""
        outbox, self._outbox = self._outbox, []
        if self.closed is None and self.transport is not None:
            self.transport.write(b"".join(outbox) if len(outbox) > 1 else outbox[0])

    def data_received(self, data: bytes) -> None:
        buffer = self.buffer
        buffer += data
        pos = 0
        try:
            while self.pending:
                value, pos = parse_reply(buffer, pos)
                future, _ = self.pending.popleft()
                if not future.done():  # a cancelled caller's reply is read and dropped
                    if isinstance(value, ResponseError):
                        future.set_exception(value)
                    else:
                        future.set_result(value)
        except _Incomplete:
            pass
        except ValueError as exc:
            self.abort(RedisConnectionError(f"protocol error: {exc}"))
            return
        if pos:
            del buffer[:pos]
        if buffer and not self.pending:
            self.abort(RedisConnectionError("unexpected data from Redis"))

    def _check_timeout(self) -> None:
        """Time out the oldest command, unless this check runs late. A late timer means a busy (or
        descheduled) event loop, and uvloop runs due timers before it reads the sockets: the reply
        may be waiting unread. Measured under load: 0.25 s "timeouts" every few seconds, each of
        which switched the cache off for its cooldown. So a late check waits one more short while."""
        self._timer = None
        if not self.pending or self.closed is not None:
            return
        now, deadline = self._loop.time(), self.pending[0][1]
        if now < deadline:
            self._arm(deadline)
        elif now - self._timer_at > _LATE:
            self._arm(now + _LATE)
        else:
            self.abort(RedisTimeoutError(f"no reply from Redis within {self.timeout}s"))

    def abort(self, exc: BaseException) -> None:
        if self.closed is None:
            self.closed = exc
        if self.transport is not None:
            self.transport.abort()
        self._fail_pending()

    def connection_lost(self, exc: Exception | None) -> None:
        if self.closed is None:
            self.closed = RedisConnectionError(f"connection to Redis lost: {exc or 'closed'}")
        self._fail_pending()

    def _fail_pending(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        assert self.closed is not None
        while self.pending:
            future, _ = self.pending.popleft()
            if not future.done():
                future.set_exception(self.closed)
        self.buffer.clear()


class FastRedis:
    """Pipelined client on one connection, opened on first use and again after a failure.
    Bound to the event loop it is first used on."""

    def __init__(
        self, url: str, *, timeout: float = 0.25, connect_timeout: float = 0.25, retry_after: float = 1.0
    ) -> None:
        """`timeout`: longest wait for a reply (then every command in flight fails and the
        connection is dropped); after a failed connect, commands fail at once for `retry_after` s."""
        options = parse_url(url)
        self._host: str = options.get("host", "localhost")
        self._port: int = int(options.get("port", 6379))
        self._path: str | None = options.get("path")
        self._db = int(options.get("db", 0))
        self._username: str | None = options.get("username")
        self._password: str | None = options.get("password")
        self._ssl: ssl.SSLContext | None = None
        if url.startswith("rediss://"):
            ca_certs = options.get("ssl_ca_certs")
            self._ssl = ssl.create_default_context(cafile=str(ca_certs) if ca_certs else None)
            if str(options.get("ssl_cert_reqs", "required")).lower() in ("none", "cert_none"):
                self._ssl.check_hostname = False
                self._ssl.verify_mode = ssl.CERT_NONE
        self.timeout = timeout
        self.connect_timeout = connect_timeout
        self.retry_after = retry_after
        self._down_until = 0.0
        self._protocol: _Protocol | None = None
        self._connecting: asyncio.Future[_Protocol] | None = None

    async def _connection(self) -> _Protocol:
        protocol = self._protocol
        if protocol is not None and protocol.closed is None:
            return protocol
        if self._connecting is None:  # one connect at a time; concurrent callers share it
            if time.monotonic() < self._down_until:
                raise RedisConnectionError("Redis was unreachable a moment ago")
            self._connecting = asyncio.ensure_future(self._connect())
            self._connecting.add_done_callback(self._connected)
        return await asyncio.shield(self._connecting)

    def _connected(self, connecting: asyncio.Future[_Protocol]) -> None:
        self._connecting = None
        if connecting.cancelled() or connecting.exception() is not None:
            self._down_until = time.monotonic() + self.retry_after
        else:
            self._protocol = connecting.result()

    async def _connect(self) -> _Protocol:
        loop = asyncio.get_running_loop()
        timeout = self.timeout
        protocol: _Protocol | None = None

        def factory() -> _Protocol:
            return _Protocol(timeout)

        try:
            async with asyncio.timeout(self.connect_timeout):
                if self._path is not None:
                    _, protocol = await loop.create_unix_connection(factory, self._path)
                else:
                    _, protocol = await loop.create_connection(factory, self._host, self._port, ssl=self._ssl)
                setup = []
                if self._password is not None:
                    auth = (self._username, self._password) if self._username else (self._password,)
                    setup.append(protocol.send(encode_command(("AUTH", *auth))))
                if self._db:
                    setup.append(protocol.send(encode_command(("SELECT", self._db))))
                for reply in setup:
                    await reply
            return protocol
        except BaseException as exc:
            if protocol is not None:
                protocol.abort(RedisConnectionError("connection setup failed"))
            if isinstance(exc, TimeoutError):
                raise RedisTimeoutError("timed out connecting to Redis") from None
            if isinstance(exc, ResponseError):
                raise RedisConnectionError(f"Redis refused the connection setup: {exc}") from None
            if isinstance(exc, OSError):
                raise RedisConnectionError(f"cannot connect to Redis: {exc}") from None
            raise

    async def execute(self, *args: bytes | str | int) -> Any:
        """Send one command and wait for its reply (redis-py exceptions on failure)."""
        protocol = self._protocol
        if protocol is None or protocol.closed is not None:
            protocol = await self._connection()
        return await protocol.send(encode_command(args))

    async def run_script(self, script: Script, keys: list[str], args: list[bytes | str | int]) -> Any:
        """EVALSHA, and EVAL when Redis does not know the script (restart, SCRIPT FLUSH)."""
        try:
            return await self.execute("EVALSHA", script.sha, len(keys), *keys, *args)
        except ResponseError as exc:
            if not str(exc).startswith("NOSCRIPT"):
                raise
        return await self.execute("EVAL", script.source, len(keys), *keys, *args)

    async def aclose(self) -> None:
        if self._protocol is not None:
            self._protocol.abort(RedisConnectionError("client closed"))
            self._protocol = None


class Script:
    """A Lua script addressed by its SHA1 (the same digest Redis computes)."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.sha = hashlib.sha1(source.encode(), usedforsecurity=False).hexdigest()
