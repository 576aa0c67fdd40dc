"""Pools and clients opened and closed with the web app."""

from __future__ import annotations

import asyncio
import contextlib
import gc
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager

from litestar import Litestar

from backend.features.accounts.service import AccountService
from backend.features.accounts.session_memo import SessionMemo
from backend.platform import redis_client
from backend.platform.cache import Cache
from backend.platform.crypto import key_usage, passwords
from backend.platform.crypto.envelope import Envelope
from backend.platform.db import engine
from backend.platform.http.drain import Drain
from backend.platform.realtime.hub import Hub
from backend.platform.realtime.publisher import Publisher
from backend.platform.realtime.shards import ShardedHub
from backend.platform.storage import build_store
from backend.settings import Settings
from tasks import metrics as task_queue
from tasks.spec import QueueSpec


def lifespan_for(settings: Settings) -> Callable[[Litestar], AbstractAsyncContextManager[None]]:
    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        passwords.configure(settings.auth.password_hash_concurrency, settings.auth.password_hash_queue)
        opened = await engine.open_pool(settings.db)
        # every stored blob must be decryptable with ENCRYPTION_KEYS: refuse to start otherwise
        try:
            await key_usage.check_keys(settings.encryption.keys)
        except key_usage.MissingKeyError:
            if opened:
                await engine.close_pool()
            raise
        app.state.redis = redis_client.connect(settings.redis.url, settings.redis.pool_max)
        app.state.publisher = Publisher(app.state.redis, settings.realtime)
        # the hot reads (cached answers, session stamps): short timeouts, no retries (a miss, not a wait)
        cache_client = redis_client.connect_cache(settings.redis.url, settings.redis.pool_max)
        app.state.cache = Cache(cache_client, ttl_seconds=settings.redis.cache_ttl_seconds)
        # reads that may be stale, on replicas that replayed the reader's writes (DATABASE_REPLICA_URLS)
        opened_replicas = await engine.open_replicas(settings.db, app.state.redis, cache_client, route=True)
        app.state.session_memo = SessionMemo(app.state.cache, max_age_seconds=settings.auth.session_memo_seconds)
        # how the platform's auth dependency checks a bearer token, without importing the accounts feature
        app.state.authenticate = AccountService(settings, app.state.redis, app.state.session_memo).authenticate
        subscriber = redis_client.connect_subscriber(settings.redis.url)
        hub_kind = ShardedHub if redis_client.is_cluster() else Hub  # sharded pub/sub on a cluster
        app.state.realtime_hub = hub_kind(subscriber, settings.realtime.socket_queue_size)
        await app.state.realtime_hub.start()
        # SIGTERM: unready at once, a drain window, sockets closed with 1012, then uvicorn's shutdown
        app.state.drain = Drain(settings.app.drain_seconds, app.state.realtime_hub.drain)
        app.state.drain.hook()
        app.state.envelope = Envelope.from_settings(settings.encryption)
        app.state.store = build_store(settings)
        await app.state.store.open()
        # untrusted PDFs are inspected in sandboxed children (resumes.service): this many at once
        app.state.pdf_inspections = asyncio.Semaphore(settings.worker.parser_lane())
        # the task queue's health for /metrics (workers are not scraped)
        queue = QueueSpec.from_settings(settings.worker)
        queue_poll = asyncio.create_task(task_queue.poll(app.state.redis, queue), name="task-queue-metrics")
        _settle_gc()
        try:
            yield
        finally:
            queue_poll.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await queue_poll
            await app.state.realtime_hub.stop()
            await subscriber.aclose()
            await app.state.store.close()
            await app.state.cache.aclose()
            await cache_client.aclose()
            await app.state.redis.aclose()
            if opened_replicas:
                await engine.close_replicas()
            if opened:
                await engine.close_pool()

    return lifespan


def _settle_gc() -> None:
    """Once the process is up: hide everything built so far (modules, the app and its routes,
    ~200,000 objects) from the cyclic collector, and collect young objects less often.

    Measured under the applications benchmark (docs/benchmarks.md): a full collection walked those
    objects for ~200 ms, every ~2 s, which was the p99 of every route; and collecting the young
    objects of the requests in flight 100 times a second cost ~5% of the CPU. Request objects die
    by reference counting; the rare cycles are still collected."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(10_000, 10, 10)
