"""Pools and clients opened and closed with the web app."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager

from litestar import Litestar

from backend.db import engine
from backend.lib import redis_client
from backend.lib.cache import Cache
from backend.lib.encryption import Envelope
from backend.lib.storage import build_store
from backend.realtime.hub import Hub
from backend.realtime.publisher import Publisher
from backend.settings import Settings


def lifespan_for(settings: Settings) -> Callable[[Litestar], AbstractAsyncContextManager[None]]:
    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        opened = await engine.open_pool(settings.db)
        app.state.redis = redis_client.connect(settings.redis.url, settings.redis.pool_max)
        app.state.publisher = Publisher(app.state.redis, settings.realtime)
        cache_client = redis_client.connect_cache(settings.redis.url, settings.redis.pool_max)
        app.state.cache = Cache(cache_client, ttl_seconds=settings.redis.cache_ttl_seconds)
        subscriber = redis_client.connect_subscriber(settings.redis.url)
        app.state.realtime_hub = Hub(subscriber, settings.realtime.socket_queue_size)
        await app.state.realtime_hub.start()
        app.state.envelope = Envelope.from_settings(settings.encryption)
        app.state.store = build_store(settings)
        await app.state.store.open()
        try:
            yield
        finally:
            await app.state.realtime_hub.stop()
            await subscriber.aclose()
            await app.state.store.close()
            await app.state.cache.redis.aclose()
            await app.state.redis.aclose()
            if opened:
                await engine.close_pool()

    return lifespan
