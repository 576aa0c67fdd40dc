"""One pipelined Redis connection per process for the api's hottest reads (cache lookups and session
stamps, `backend.lib.cache`).

redis-py's asyncio client spends ~70 µs of CPU per command here: a pooled connection, a
StreamReader, a reply parser working line by line (docs/benchmarks.md), the largest single cost of
a cached read. Redis answers the commands of one connection in the order they were sent, so all the
coroutines of a process can share one connection: a command is written at once, and its caller
waits for the reply matched first in, first out. Under load, many replies arrive in one read and
are parsed together.

Failures:
- an error reply (`-ERR ...`) fails its own command only, with redis-py's `ResponseError`
  (`NoScriptError` for NOSCRIPT), and the connection goes on;
- a lost connection, an unparsable reply, or a reply later than `timeout` fails every command
  waiting on the connection (redis-py's `ConnectionError` / `TimeoutError`) and drops it; the next
  command opens a new one;
- a caller that is cancelled stops waiting; its reply is read and skipped.

Speaks RESP2 over TCP or a Unix socket, with AUTH and SELECT from the client's URL. A client with
TLS (`rediss://`) or other options gets no pipe (`for_client` is None): use redis-py there.
No Litestar import.
"""

from __future__ import annotations

import asyncio
from collections import deque
from typing import Any

from redis.asyncio import Redis
from redis.asyncio.connection import Connection, UnixDomainSocketConnection
from redis.exceptions import ConnectionError, NoScriptError, ResponseError, TimeoutError

Arg = str | bytes | int


class _Incomplete(Exception):
    """The buffer ends inside a reply: wait for more bytes."""


def pack(args: tuple[Arg, ...]) -> bytes:
    """A command in RESP: an array of bulk strings."""
    parts = [b"*%d\r\n" % len(args)]
    for arg in args:
        data = arg if isinstance(arg, bytes) else str(arg).encode()
        parts.append(b"$%d\r\n%s\r\n" % (len(data), data))
    return b"".join(parts)


def _error(message: bytes) -> ResponseError:
    text = message.decode(errors="replace")
    return NoScriptError(text) if text.startswith("NOSCRIPT") else ResponseError(text)


def parse(data: bytes, pos: int) -> tuple[Any, int]:
    """The RESP2 reply starting at `pos` and the position after it. Bulk and simple strings are
    bytes, nil is None, an error reply is a ResponseError *value*. Raises _Incomplete, or
    ValueError on bytes that are no reply."""
    end = data.find(b"\r\n", pos)
    if end < 0:
        raise _Incomplete
    kind, line = data[pos], data[pos + 1 : end]
    if kind == 36:  # $ bulk string
        size = int(line)
        if size < 0:
            return None, end + 2
        stop = end + 2 + size
        if len(data) < stop + 2:
            raise _Incomplete
        return data[end + 2 : stop], stop + 2
    if kind == 42:  # * array
        count = int(line)
        if count < 0:
            return None, end + 2
        items, pos = [], end + 2
        for _ in range(count):
            item, pos = parse(data, pos)
            items.append(item)
        return items, pos
    if kind == 58:  # : integer
        return int(line), end + 2
    if kind == 43:  # + simple string
        return line, end + 2
    if kind == 45:  # - error
        return _error(line), end + 2
    raise ValueError(f"not a RESP2 reply: {data[pos : pos + 20]!r}")


class _Connection(asyncio.Protocol):
    """One connection: commands in flight (their futures, oldest first) and unparsed bytes."""

    def __init__(self, timeout: float) -> None:
        self.timeout = timeout
        self.transport: asyncio.Transport | None = None
        self.waiting: deque[tuple[asyncio.Future[Any], float]] = deque()
        self.rest = b""
        self.broken = False
        self.outbox: list[bytes] = []  # commands of this loop iteration, written together
        self._watchdog: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def connection_lost(self, exc: Exception | None) -> None:
        self.fail(ConnectionError(f"Connection to Redis lost: {exc or 'closed by server'}"))

    def fail(self, error: Exception) -> None:
        """Drop the connection; every command still waiting on it fails with `error`."""
        self.broken = True
        waiting, self.waiting = self.waiting, deque()
        for future, _ in waiting:
            if not future.done():
                future.set_exception(error)
        if self._watchdog is not None:
            self._watchdog.cancel()
        if self.transport is not None:
            self.transport.abort()

    def send(self, command: bytes) -> asyncio.Future[Any]:
        loop = asyncio.get_running_loop()
        future = loop.create_future()
        self.waiting.append((future, loop.time() + self.timeout))
        if not self.outbox:
            loop.call_soon(self._flush)
        self.outbox.append(command)
        if self._watchdog is None:
            self._watchdog = loop.call_later(self.timeout, self._check_deadline)
        return future

    def _flush(self) -> None:
        """One write (one system call) for every command sent since the last: under load the
        requests of one loop iteration share it."""
        commands, self.outbox = self.outbox, []
        if self.transport is not None and not self.broken:
            self.transport.write(b"".join(commands))

    def _check_deadline(self) -> None:
        """One timer per connection, not one per command: fail the connection when its oldest
        command is overdue (the replies behind it are stuck behind it too)."""
        self._watchdog = None
        if not self.waiting:
            return
        loop = asyncio.get_running_loop()
        left = self.waiting[0][1] - loop.time()
        if left <= 0:
            self.fail(TimeoutError(f"Redis did not answer within {self.timeout} s"))
        else:
            self._watchdog = loop.call_later(left, self._check_deadline)

    def data_received(self, data: bytes) -> None:
        if self.rest:
            data = self.rest + data
        pos = 0
        try:
            while pos < len(data):
                reply, pos = parse(data, pos)
                future, _ = self.waiting.popleft()
                if future.done():  # its caller was cancelled
                    continue
                if isinstance(reply, ResponseError):
                    future.set_exception(reply)
                else:
                    future.set_result(reply)
        except _Incomplete:
            pass
        except (ValueError, IndexError) as exc:  # garbage, or a reply nobody asked for
            self.fail(ConnectionError(f"Unexpected bytes from Redis: {exc}"))
            return
        self.rest = data[pos:]


class RedisPipe:
    """`await pipe.execute("GET", key)`: see the module docstring."""

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 6379,
        path: str | None = None,
        db: int = 0,
        username: str | None = None,
        password: str | None = None,
        timeout: float = 0.25,
        connect_timeout: float = 0.25,
    ) -> None:
        self.host, self.port, self.path, self.db = host, port, path, db
        self.username, self.password = username, password
        self.timeout, self.connect_timeout = timeout, connect_timeout
        self._connection: _Connection | None = None
        self._connecting = asyncio.Lock()

    @classmethod
    def for_client(cls, redis: Redis) -> RedisPipe | None:
        """A pipe to the server of `redis`, with its database, credentials and timeouts; None
        when that client uses what the pipe does not speak (TLS, client-side options)."""
        pool = redis.connection_pool
        kwargs = pool.connection_kwargs
        if pool.connection_class not in (Connection, UnixDomainSocketConnection) or kwargs.get("protocol") == 3:
            return None
        return cls(
            host=kwargs.get("host", "127.0.0.1"),
            port=int(kwargs.get("port", 6379)),
            path=kwargs.get("path") if pool.connection_class is UnixDomainSocketConnection else None,
            db=int(kwargs.get("db", 0) or 0),
            username=kwargs.get("username"),
            password=kwargs.get("password"),
            timeout=float(kwargs.get("socket_timeout") or 5.0),
            connect_timeout=float(kwargs.get("socket_connect_timeout") or 5.0),
        )

    async def execute(self, *args: Arg) -> Any:
        connection = self._connection
        if connection is None or connection.broken:
            connection = await self._connect()
        return await connection.send(pack(args))

    async def _connect(self) -> _Connection:
        async with self._connecting:  # callers arriving together share one new connection
            if self._connection is not None and not self._connection.broken:
                return self._connection
            loop = asyncio.get_running_loop()
            try:
                async with asyncio.timeout(self.connect_timeout):
                    if self.path is not None:
                        _, connection = await loop.create_unix_connection(lambda: _Connection(self.timeout), self.path)
                    else:
                        _, connection = await loop.create_connection(
                            lambda: _Connection(self.timeout), self.host, self.port
                        )
            except OSError as exc:  # TimeoutError included
                raise ConnectionError(f"Cannot connect to Redis: {exc!r}") from exc
            setup: list[tuple[Arg, ...]] = []
            if self.password:
                setup.append(("AUTH", self.username, self.password) if self.username else ("AUTH", self.password))
            if self.db:
                setup.append(("SELECT", self.db))
            try:
                for command in setup:
                    await connection.send(pack(command))
            except (ResponseError, ConnectionError, TimeoutError) as exc:  # e.g. WRONGPASS: not a miss, an outage
                connection.fail(ConnectionError(f"Redis refused the connection's setup: {exc}"))
                raise ConnectionError(f"Redis refused the connection's setup: {exc}") from exc
            except BaseException:
                connection.fail(ConnectionError("The connection's setup was interrupted"))
                raise
            self._connection = connection
            return connection

    async def aclose(self) -> None:
        if self._connection is not None:
            self._connection.fail(ConnectionError("The pipe was closed"))
            self._connection = None
