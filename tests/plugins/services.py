"""Session-wide real services and per-test isolation (a plugin of the root conftest).

Fixtures:
- `services`   (session) SessionServices: a fresh migrated database + a Redis url for this session.
- `settings`   (session) Settings pointing at them (APP_ENV=test).
- `db`         (session) the Piccolo engine's pool opened on the test database.
- `redis`      a redis.asyncio client on the test Redis.
- `clean_state` (autouse) truncates every table, flushes Redis and empties the object store after each test.
- `app_url`    (session) base URL of the real app served by uvicorn on loopback in this process.
- `client`     an httpx.AsyncClient on `app_url` (real HTTP).
- `served(app)` serves an app on a free loopback port in this process (real HTTP and websockets).
"""

from __future__ import annotations

import asyncio
import os
import shutil
import sys
import tempfile
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager

import httpx
import pytest
import pytest_asyncio
import redis.asyncio as aioredis
from litestar import Litestar

from backend.devtools.embedded_services import free_port
from backend.platform import redis_client
from backend.platform.db import engine as db_engine
from backend.platform.db.tables import ALL_TABLES
from backend.settings import RedisSettings, Settings
from tests import support
from tests.support import settings_env


@pytest.fixture(scope="session")
def services() -> Iterator[support.SessionServices]:
    admin_url, redis_url, servers = support.session_urls()
    name = support.new_database_name()
    asyncio.run(support.create_database(admin_url, name))
    database_url = support._with_database(admin_url, name)
    try:
        support.run_migrations(database_url)
        data_dir = tempfile.mkdtemp(prefix="cc-test-data-")
        yield support.SessionServices(
            database_url=database_url, redis_url=redis_url, admin_database_url=admin_url, data_dir=data_dir
        )
    finally:
        asyncio.run(support.drop_database(admin_url, name))
        for server in servers:
            server.stop()  # type: ignore[attr-defined]


@pytest.fixture(scope="session")
def settings(services: support.SessionServices) -> Settings:
    settings = Settings.from_env(settings_env(services))
    redis_client.configure(settings.redis)  # this process's topology, as every entry point sets it
    return settings


@pytest_asyncio.fixture(scope="session")
async def db(settings: Settings) -> AsyncIterator[None]:
    await db_engine.open_pool(settings.db)
    yield
    await db_engine.close_pool()


@pytest_asyncio.fixture
async def redis(settings: Settings) -> AsyncIterator[aioredis.Redis]:
    client = redis_client.connect(settings.redis.url)
    yield client
    await client.aclose()


@pytest.fixture(autouse=True)
def _topology() -> None:
    """Every test starts in the session's Redis topology (TEST_REDIS_CLUSTER): an app built from
    other settings by an earlier test (`create_app(Settings())`) sets this process's topology too."""
    redis_client.configure(RedisSettings(cluster=bool(support.cluster_masters())))


HANG_REPORT_SECONDS = 120  # below pytest-timeout's 300 s: a hung test prints what every task awaits


@pytest_asyncio.fixture(autouse=True)
async def _hang_report() -> AsyncIterator[None]:
    """Diagnostics for an intermittent hang seen in CI: if a test
    runs past HANG_REPORT_SECONDS, print the stack of every asyncio task to stderr."""

    async def watchdog() -> None:
        await asyncio.sleep(HANG_REPORT_SECONDS)
        print(f"--- test still running after {HANG_REPORT_SECONDS}s; asyncio tasks:", file=sys.stderr)
        for task in asyncio.all_tasks():
            task.print_stack(limit=12, file=sys.stderr)

    dog = asyncio.create_task(watchdog())
    yield
    dog.cancel()


@pytest_asyncio.fixture(autouse=True)
async def clean_state(request: pytest.FixtureRequest) -> AsyncIterator[None]:
    uses_services = "services" in request.fixturenames
    if uses_services:  # set up before the test: a fixture cannot be set up during teardown
        settings: Settings = request.getfixturevalue("settings")
        # The pool, directly: asking for the async `db` fixture from here fails when it is not set up yet.
        await db_engine.open_pool(settings.db)
    yield
    if not uses_services:
        return  # unit tests touch no service
    names = ", ".join(f'"{table._meta.tablename}"' for table in ALL_TABLES)
    await ALL_TABLES[0].raw(f"TRUNCATE {names} CASCADE")
    client = redis_client.connect(settings.redis.url, 4)
    await redis_client.flush_all(client)
    await client.aclose()
    shutil.rmtree(os.path.join(settings.app.data_dir, "objects"), ignore_errors=True)


@asynccontextmanager
async def served(app: Litestar) -> AsyncIterator[str]:
    """Serve `app` with uvicorn on a free loopback port in this process; yields its base URL."""
    import uvicorn

    port = free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()  # raises what stopped it, if anything
            raise RuntimeError("uvicorn stopped before it started serving (see its log above)")
        await asyncio.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


@pytest_asyncio.fixture(scope="session")
async def app_url(settings: Settings, db: None) -> AsyncIterator[str]:
    from backend.entrypoints.api import create_app

    async with served(create_app(settings)) as url:
        yield url


@pytest_asyncio.fixture
async def client(app_url: str) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=app_url, timeout=30) as http:
        yield http
