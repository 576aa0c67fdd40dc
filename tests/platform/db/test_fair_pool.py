"""`backend.platform.db.fair_pool.FairPool`: connections go to requests in arrival order, in both forms
Piccolo uses (`await acquire()` + `release`, `async with acquire()`), and no token is lost to an
error or a cancelled wait. (Its effect on tail latency is measured by `make bench-applications`.)"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import asyncpg
import pytest
import pytest_asyncio

from backend.platform.db import engine
from backend.platform.db.fair_pool import FairPool
from tests.support import SessionServices


async def _no_reset(connection: asyncpg.Connection) -> None:
    """As the app's pool (backend/platform/db/engine.py): no reset query on release."""


@pytest_asyncio.fixture
async def one_connection(services: SessionServices) -> AsyncIterator[FairPool]:
    raw = await asyncpg.create_pool(services.database_url, min_size=1, max_size=1, reset=_no_reset)
    yield FairPool(raw, 1)
    await raw.close()


async def _free_within(pool: FairPool, seconds: float = 2.0) -> None:
    async with asyncio.timeout(seconds), pool.acquire() as connection:
        assert await connection.fetchval("SELECT 41 + 1") == 42


async def test_a_newcomer_never_takes_the_connection_from_those_already_waiting(one_connection: FairPool) -> None:
    """The starvation of asyncpg's pool, reproduced: the connection goes back to the queue in one
    step, the first waiter is woken for the next, and a request arriving in between takes it; the
    woken waiter queues again at the back (asyncpg alone grants `late, w1, w2, w3, w4, w0`)."""
    pool, granted = one_connection, []
    holder = await pool.acquire()

    async def request(name: str) -> None:
        async with pool.acquire() as connection:
            granted.append(name)
            await connection.execute("SELECT 1")

    requests = []
    for index in range(5):
        requests.append(asyncio.create_task(request(f"w{index}")))
        await asyncio.sleep(0.01)  # each is waiting before the next arrives

    async def arrive() -> None:
        requests.append(asyncio.create_task(request("late")))

    released = asyncio.create_task(pool.release(holder))
    arrival = asyncio.create_task(arrive())  # runs in the loop pass that puts the connection back
    await asyncio.gather(released, arrival)
    await asyncio.gather(*requests)
    assert granted == ["w0", "w1", "w2", "w3", "w4", "late"]


async def test_errors_and_cancelled_waits_give_their_token_back(one_connection: FairPool) -> None:
    pool = one_connection
    with pytest.raises(asyncpg.PostgresError):
        async with pool.acquire() as connection:
            await connection.execute("SELECT * FROM no_such_table")
    await _free_within(pool)

    holder = await pool.acquire()
    gave_up = asyncio.create_task(_free_within(pool, 0.05))
    with pytest.raises(TimeoutError):
        await gave_up
    await pool.release(holder)
    await _free_within(pool)
    assert dict(await pool.fetchrow("SELECT 1 AS one")) == {"one": 1}
    assert await pool.fetchval("SELECT 2") == 2 and [dict(r) for r in await pool.fetch("SELECT 3 AS n")] == [{"n": 3}]
    await _free_within(pool)


async def test_a_request_cancelled_while_its_connection_opens_gives_its_token_back(
    services: SessionServices,
) -> None:
    raw = await asyncpg.create_pool(services.database_url, min_size=0, max_size=1, reset=_no_reset)
    pool = FairPool(raw, 1)
    try:
        opening = asyncio.create_task(_free_within(pool))
        for _ in range(3):
            await asyncio.sleep(0)  # past the gate, into asyncpg's connect
        opening.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await opening
        await _free_within(pool)
    finally:
        await raw.close()


async def test_the_apps_engine_uses_it(db: None) -> None:
    assert isinstance(engine.DB.pool, FairPool)
    assert await engine.DB.pool.fetchval("SELECT 7") == 7
