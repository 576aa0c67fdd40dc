"""The process's Piccolo engine and its pool, configured from settings by each process's factory.

Piccolo binds tables to one engine object when they are defined (DEVELOPERS.md), so the
object exists at import and gets its DSN in `open_pool`. Piccolo's engine constructor connects to
check the server version and create extensions (with libpq defaults, before any DSN is known):
`_ConfiguredLater` skips that, so importing the code touches no database.

With `DATABASE_REPLICA_URLS` (`open_replicas`), the same engine records each user's write positions
and sends the reads the services mark as routed (`replicas.routed_reads`) to a replica that has
replayed them: see backend/platform/db/replicas.py.
"""

from __future__ import annotations

import uuid
from typing import Any, cast

import asyncpg
from asyncpg.pool import Pool
from piccolo.engine.postgres import PostgresEngine, PostgresTransaction
from piccolo.querystring import QueryString
from redis.asyncio import Redis

from backend.platform.db import replicas
from backend.platform.db.fair_pool import FairPool
from backend.settings import DatabaseSettings

REPLICA_CONNECT_TIMEOUT_SECONDS = 2.0
REPLICA_COMMAND_TIMEOUT_SECONDS = 30.0  # a read stuck on a replica runs again on the primary


class _ConfiguredLater(PostgresEngine):
    """`Engine.__init__` runs these two at construction; here they wait for `open_pool`.

    With a ledger (`open_replicas`), queries outside a transaction go through `run_querystring`
    below: routed reads to `router`, writes of an acting user recorded."""

    ledger: replicas.Ledger | None = None
    router: replicas.Router | None = None

    async def check_version(self) -> None:
        return None

    async def prep_database(self) -> None:
        return None

    def transaction(self, allow_nested: bool = True) -> PostgresTransaction:
        return _Transaction(engine=self, allow_nested=allow_nested)

    async def run_querystring(self, querystring: QueryString, in_pool: bool = True) -> Any:
        ledger = self.ledger
        if ledger is None or not in_pool or self.pool is None or self.current_transaction.get() is not None:
            return await super().run_querystring(querystring, in_pool)
        query, args = querystring.compile_string(engine_type=self.engine_type)
        route = replicas.current_route()
        if route is not None and self.router is not None:
            return await self.router.fetch(route, query, args)
        writer = replicas.acting_user()
        if writer is None or replicas.reads_only(query):
            return await self._run_in_pool(query, args)
        async with self.pool.acquire() as connection:  # a write outside a transaction: it has committed
            rows = await connection.fetch(query, *args)
            await ledger.after_commit(connection, writer)
        return rows


class _Transaction(PostgresTransaction):
    """Piccolo's transaction, recording the acting user's write position once it has committed, on
    its own connection (before it goes back to the pool)."""

    async def commit(self) -> None:
        await super().commit()
        ledger, writer = cast(_ConfiguredLater, self.engine).ledger, replicas.acting_user()
        if ledger is not None and writer is not None:
            await ledger.after_commit(self.connection, writer)


DB: _ConfiguredLater = _ConfiguredLater(config={}, extensions=())


async def open_pool(settings: DatabaseSettings) -> bool:
    """Point the engine at `settings.url` and open its pool; False when one was already open."""
    if DB.pool is not None:
        return False
    DB.config = {"dsn": settings.url}
    # Piccolo 1.38: pass both sizes, the asyncpg defaults (10/10) ignore the other one.
    await DB.start_connection_pool(min_size=settings.pool_min, max_size=settings.pool_max, reset=_keep_session)
    assert DB.pool is not None
    DB.pool = cast(Pool, FairPool(DB.pool, settings.pool_max))  # requests served in arrival order
    return True


async def _keep_session(connection: object) -> None:
    """Skip asyncpg's per-release reset query (advisory unlock, CLOSE ALL, UNLISTEN, RESET ALL): a
    full round trip on every release, ~15% of a cached request's CPU (measured). We never use
    advisory locks, cursors across releases, LISTEN or session SETs."""


async def close_pool() -> None:
    if DB.pool is not None:
        await DB.close_connection_pool()


async def open_replicas(settings: DatabaseSettings, redis: Redis, reader: Redis | None = None, *, route: bool) -> bool:
    """With `settings.replica_urls`: record the write positions of acting users in `redis` and, with
    `route` (the api), open a pool per replica and route the marked reads (`reader`: the Redis client
    those reads ask, `redis` when None). Connects to no replica yet: one that is down is only
    skipped. False when there are no replicas, or when they were already opened."""
    if not settings.replica_urls or DB.ledger is not None:
        return False
    ttl = replicas.ttl_ms(settings.replica_max_lag_ms, settings.replica_lsn_cache_ms)
    ledger = replicas.Ledger(redis, reader or redis, ttl_ms=ttl)
    if route:
        assert DB.pool is not None, "open_pool first"
        pools = [
            FairPool(
                await asyncpg.create_pool(
                    url,
                    min_size=0,  # no connection at start: the app starts with a replica down
                    max_size=settings.pool_max,
                    reset=_keep_session,
                    timeout=REPLICA_CONNECT_TIMEOUT_SECONDS,
                    command_timeout=REPLICA_COMMAND_TIMEOUT_SECONDS,
                ),
                settings.pool_max,
            )
            for url in settings.replica_urls
        ]
        DB.router = replicas.Router(
            ledger,
            pools,
            DB.pool,
            max_lag_ms=settings.replica_max_lag_ms,
            cache_ms=settings.replica_lsn_cache_ms,
        )
        DB.router.start()
    DB.ledger = ledger
    return True


async def act_for(user_id: uuid.UUID) -> None:
    """In a job: what it wrote so far (its claim) and will write next is `user_id`'s (recorded when
    there are replicas, so the user's next routed read sees it)."""
    replicas.act_as(user_id)
    if DB.ledger is not None and DB.pool is not None and DB.current_transaction.get() is None:
        async with DB.pool.acquire() as connection:
            await DB.ledger.after_commit(connection, user_id)


async def close_replicas() -> None:
    router, DB.router, DB.ledger = DB.router, None, None
    if router is not None:
        await router.close()
