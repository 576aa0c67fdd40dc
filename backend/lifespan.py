"""Pools and clients opened and closed with the web app."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager

import redis.asyncio as aioredis
from litestar import Litestar

from backend.db import engine
from backend.settings import Settings


def lifespan_for(settings: Settings) -> Callable[[Litestar], AbstractAsyncContextManager[None]]:
    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        opened = await engine.open_pool(settings.db)
        app.state.redis = aioredis.Redis.from_url(settings.redis.url, health_check_interval=30)
        try:
            yield
        finally:
            await app.state.redis.aclose()
            if opened:
                await engine.close_pool()

    return lifespan
