"""What tasks run with: pools opened in the worker's startup hook, handed out by TaskiqDepends.

The startup hook opens the same pools as the api (STYLE rule 1: nothing at import): the Piccolo
engine's asyncpg pool (`backend.db.engine.open_pool`) and a `redis.asyncio.Redis` client, and puts
the settings and the client in `broker.state`. Tasks declare what they need, never read globals:

    async def my_task(version_id: str, redis: Redis = TaskiqDepends(redis_client)) -> None: ...

Piccolo tables use the engine's pool directly (they are bound to it, see backend.db.engine).
"""

from __future__ import annotations

from redis.asyncio import Redis
from taskiq import AsyncBroker, TaskiqDepends, TaskiqEvents, TaskiqState

from backend.db import engine as db_engine
from backend.lib.redis_client import connect as connect_redis
from backend.settings import Settings


def install(broker: AsyncBroker, settings: Settings) -> None:
    """Register the worker startup/shutdown hooks that open and close the pools."""

    async def startup(state: TaskiqState) -> None:
        state.settings = settings
        state.redis = connect_redis(settings.redis.url, settings.redis.pool_max)
        # In-process mode (tests) may run inside a process whose pool is already open: only a pool
        # this hook opened is closed by it.
        state.owns_db_pool = db_engine.DB.pool is None
        if state.owns_db_pool:
            await db_engine.open_pool(settings.db)

    async def shutdown(state: TaskiqState) -> None:
        if (client := state.get("redis")) is not None:
            await client.aclose()
        if state.get("owns_db_pool"):
            await db_engine.close_pool()

    broker.add_event_handler(TaskiqEvents.WORKER_STARTUP, startup)
    broker.add_event_handler(TaskiqEvents.WORKER_SHUTDOWN, shutdown)


def redis_client(state: TaskiqState = TaskiqDepends()) -> Redis:
    """The worker's Redis client (cache, pub/sub, locks); not the broker's own pool."""
    client: Redis = state.redis
    return client


def app_settings(state: TaskiqState = TaskiqDepends()) -> Settings:
    """The settings the worker was started with."""
    settings: Settings = state.settings
    return settings
