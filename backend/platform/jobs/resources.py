"""What tasks run with: pools opened in the worker's startup hook, handed out by TaskiqDepends.

The startup hook opens the same pools as the api: the Piccolo
engine's asyncpg pool (`backend.platform.db.engine.open_pool`), a `redis.asyncio.Redis` client, the object
store (`backend.platform.storage.build_store`: encrypted, S3 or local), the realtime publisher and the
envelope encryption, and puts them with the settings in `broker.state`. With `relay=True` (real
worker processes) it also starts the outbox relay (tasks.outbox_relay), stopped first at shutdown.
Tasks declare what they need, never read globals:

    async def my_task(version_id: str, redis: Redis = TaskiqDepends(redis_client)) -> None: ...

Piccolo tables use the engine's pool directly (they are bound to it, see backend.platform.db.engine).
"""

from __future__ import annotations

from redis.asyncio import Redis
from taskiq import AsyncBroker, TaskiqDepends, TaskiqEvents, TaskiqState

from backend.platform.crypto.envelope import Envelope
from backend.platform.db import engine as db_engine
from backend.platform.realtime.publisher import Publisher
from backend.platform.redis_client import connect as connect_redis
from backend.platform.storage import build_store
from backend.settings import Settings
from tasks.outbox_relay import OutboxRelay


def install(broker: AsyncBroker, settings: Settings, *, relay: bool = False) -> None:
    """Register the worker startup/shutdown hooks that open and close the pools."""

    async def startup(state: TaskiqState) -> None:
        state.settings = settings
        state.redis = connect_redis(settings.redis.url, settings.redis.pool_max)
        # In-process mode (tests) may run inside a process whose pool is already open: only a pool
        # this hook opened is closed by it.
        state.owns_db_pool = db_engine.DB.pool is None
        if state.owns_db_pool:
            await db_engine.open_pool(settings.db)
        # with replicas, the positions of the writes jobs make for a user (`replicas.act_as`)
        state.owns_replicas = await db_engine.open_replicas(settings.db, state.redis, route=False)
        state.envelope = Envelope.from_settings(settings.encryption)
        state.store = build_store(settings)
        await state.store.open()
        state.publisher = Publisher(state.redis, settings.realtime)
        if relay:
            state.outbox_relay = OutboxRelay(broker)
            state.outbox_relay.start()

    async def shutdown(state: TaskiqState) -> None:
        if (outbox_relay := state.get("outbox_relay")) is not None:
            await outbox_relay.stop()
        if (store := state.get("store")) is not None:
            await store.close()
        if (client := state.get("redis")) is not None:
            await client.aclose()
        if state.get("owns_replicas"):
            await db_engine.close_replicas()
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


def publisher(state: TaskiqState = TaskiqDepends()) -> Publisher:
    """Publishes realtime events to a user's channel and history."""
    realtime: Publisher = state.publisher
    return realtime


def envelope(state: TaskiqState = TaskiqDepends()) -> Envelope:
    """Envelope encryption of PII columns under the configured master keys."""
    keys: Envelope = state.envelope
    return keys
