"""The process's Piccolo engine and its pool, configured from settings by each process's factory.

Piccolo binds tables to one engine object when they are defined (DEVELOPERS.md), so the
object exists at import and gets its DSN in `open_pool`. Piccolo's engine constructor connects to
check the server version and create extensions (with libpq defaults, before any DSN is known):
`_ConfiguredLater` skips that, so importing the code touches no database.
"""

from __future__ import annotations

from typing import cast

from asyncpg.pool import Pool
from piccolo.engine.postgres import PostgresEngine

from backend.platform.db.fair_pool import FairPool
from backend.settings import DatabaseSettings


class _ConfiguredLater(PostgresEngine):
    """`Engine.__init__` runs these two at construction; here they wait for `open_pool`."""

    async def check_version(self) -> None:
        return None

    async def prep_database(self) -> None:
        return None


DB: PostgresEngine = _ConfiguredLater(config={}, extensions=())


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
