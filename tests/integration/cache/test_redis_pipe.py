"""`backend.lib.redis_pipe.RedisPipe` against real Redis: every reply kind, many concurrent commands
on one connection each getting its own reply, error replies that fail only their command, the
database and credentials of the URL, and the failures that drop the connection (a stalled server,
a killed connection, a restart, nothing listening), after which the next command reconnects.
(Its effect on the api's CPU is measured by `make bench-applications`.)"""

from __future__ import annotations

import asyncio
import tempfile
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio
import redis.asyncio as aioredis
from redis.exceptions import ConnectionError, NoScriptError, ResponseError, TimeoutError

from backend.lib import redis_client
from backend.lib.embedded_services import EmbeddedRedis, free_port
from backend.lib.redis_pipe import RedisPipe
from tests.support import SessionServices


@pytest_asyncio.fixture
async def pipe(redis: aioredis.Redis) -> AsyncIterator[RedisPipe]:
    made = RedisPipe.for_client(redis)
    assert made is not None
    made.timeout = 2.0
    yield made
    await made.aclose()


async def test_every_kind_of_reply(pipe: RedisPipe, redis: aioredis.Redis) -> None:
    key = f"pipe:{uuid.uuid4()}"
    big = bytes(range(256)) * 4096  # 1 MiB, with CR LF inside: arrives in many reads
    assert await pipe.execute("SET", key, big) == b"OK"
    assert await pipe.execute("GET", key) == big
    assert await redis.get(key) == big  # the pipe writes the database the client uses (SELECT)
    assert await pipe.execute("GET", f"{key}:missing") is None
    assert await pipe.execute("SET", f"{key}:empty", b"") == b"OK"
    assert await pipe.execute("GET", f"{key}:empty") == b""
    assert await pipe.execute("INCR", f"{key}:n") == 1
    assert await pipe.execute("INCRBY", f"{key}:n", -5) == -4
    nested = await pipe.execute("EVAL", "return {1, 'two', false, {3, 'four'}}", 0)
    assert nested == [1, b"two", None, [3, b"four"]]
    assert await pipe.execute("LRANGE", f"{key}:no-list", 0, -1) == []
    await redis.delete(key, f"{key}:empty", f"{key}:n")


async def test_concurrent_commands_share_one_connection_and_each_gets_its_own_reply(
    pipe: RedisPipe, redis: aioredis.Redis
) -> None:
    prefix = f"pipe:{uuid.uuid4()}"
    values = {f"{prefix}:{n}": f"value {n} ".encode() * (n % 50) for n in range(2000)}
    await redis.mset(values)
    keys = list(values)
    replies = await asyncio.gather(*(pipe.execute("GET", key) for key in keys))
    assert replies == [values[key] for key in keys]
    ids = await asyncio.gather(*(pipe.execute("CLIENT", "ID") for _ in range(50)))
    assert len(set(ids)) == 1
    await redis.delete(*keys)


async def test_an_error_reply_fails_its_own_command_only(pipe: RedisPipe, redis: aioredis.Redis) -> None:
    key = f"pipe:{uuid.uuid4()}"
    await redis.set(key, "a string")
    before = await pipe.execute("CLIENT", "ID")
    replies: list[object] = await asyncio.gather(
        pipe.execute("GET", key),
        pipe.execute("HGET", key, "field"),
        pipe.execute("EVALSHA", "0" * 40, 0),
        pipe.execute("STRLEN", key),
        return_exceptions=True,
    )
    first, wrong, missing_script, last = replies
    assert first == b"a string" and last == 8
    assert isinstance(wrong, ResponseError) and str(wrong).startswith("WRONGTYPE")
    assert isinstance(missing_script, NoScriptError)
    assert await pipe.execute("CLIENT", "ID") == before  # the same connection goes on
    await redis.delete(key)


async def test_credentials_from_the_url(redis: aioredis.Redis, services: SessionServices) -> None:
    user = f"pipe-{uuid.uuid4().hex[:8]}"
    await redis.execute_command("ACL", "SETUSER", user, "on", ">a pipe secret", "~*", "+@all")
    good = RedisPipe.for_client(
        redis_client.connect_cache(services.redis_url.replace("://", f"://{user}:a%20pipe%20secret@"))
    )
    bad = RedisPipe.for_client(redis_client.connect_cache(services.redis_url.replace("://", f"://{user}:wrong@")))
    assert good is not None and bad is not None
    try:
        assert await good.execute("ACL", "WHOAMI") == user.encode()
        with pytest.raises(ConnectionError, match="WRONGPASS"):  # an outage for the cache, not a miss
            await bad.execute("PING")
    finally:
        await good.aclose()
        await bad.aclose()
        await redis.execute_command("ACL", "DELUSER", user)


async def test_a_stalled_server_times_out_and_the_next_command_reconnects(
    pipe: RedisPipe, redis: aioredis.Redis
) -> None:
    pipe.timeout = 0.2
    before = await pipe.execute("CLIENT", "ID")
    await redis.execute_command("CLIENT", "PAUSE", 600, "ALL")
    started = asyncio.get_running_loop().time()
    stuck = await asyncio.gather(pipe.execute("PING"), pipe.execute("PING"), return_exceptions=True)
    waited = asyncio.get_running_loop().time() - started
    assert all(isinstance(error, TimeoutError) for error in stuck), stuck
    assert 0.15 < waited < 0.55  # its own timeout, not the pause
    await asyncio.sleep(0.5)  # the pause ends
    assert await pipe.execute("PING") == b"PONG"
    assert await pipe.execute("CLIENT", "ID") != before


async def test_a_cancelled_caller_does_not_shift_the_replies(pipe: RedisPipe, redis: aioredis.Redis) -> None:
    key = f"pipe:{uuid.uuid4()}"
    await redis.mset({f"{key}:a": "a", f"{key}:b": "b"})
    before = await pipe.execute("CLIENT", "ID")
    await redis.execute_command("CLIENT", "PAUSE", 300, "ALL")
    first = asyncio.ensure_future(pipe.execute("GET", f"{key}:a"))
    second = asyncio.ensure_future(pipe.execute("GET", f"{key}:b"))
    await asyncio.sleep(0.05)
    first.cancel()
    assert await second == b"b"
    assert await pipe.execute("GET", f"{key}:a") == b"a"
    assert await pipe.execute("CLIENT", "ID") == before
    await redis.delete(f"{key}:a", f"{key}:b")


async def test_a_killed_connection_fails_its_commands_and_the_next_one_reconnects(
    pipe: RedisPipe, redis: aioredis.Redis
) -> None:
    before = await pipe.execute("CLIENT", "ID")
    await redis.execute_command("CLIENT", "KILL", "ID", before)
    with pytest.raises(ConnectionError):
        await pipe.execute("PING")
    assert await pipe.execute("CLIENT", "ID") != before


async def test_nothing_listening_fails_fast_and_a_restarted_server_is_used_again() -> None:
    own = EmbeddedRedis(Path(tempfile.mkdtemp(prefix="cc-redis-")), free_port(), persistent=False)
    client = redis_client.connect_cache(own.url(3))
    pipe = RedisPipe.for_client(client)
    assert pipe is not None
    try:
        started = asyncio.get_running_loop().time()
        with pytest.raises(ConnectionError):
            await pipe.execute("PING")
        assert asyncio.get_running_loop().time() - started < 0.5
        own.start()
        assert await pipe.execute("SET", "k", "v") == b"OK"
        assert await client.get("k") == b"v"  # database 3 of the URL
        own.stop()
        with pytest.raises(ConnectionError):
            await pipe.execute("GET", "k")
        own.start()
        assert await pipe.execute("PING") == b"PONG"
    finally:
        await pipe.aclose()
        await client.aclose()
        own.stop()


def test_a_client_with_tls_gets_no_pipe() -> None:
    assert RedisPipe.for_client(aioredis.Redis.from_url("rediss://127.0.0.1:6380/0")) is None
    assert RedisPipe.for_client(aioredis.Redis.from_url("redis://127.0.0.1:6379/0", protocol=3)) is None
