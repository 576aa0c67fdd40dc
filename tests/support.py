"""Real services for the test session: the PostgreSQL/Redis in TEST_DATABASE_URL / TEST_REDIS_URL,
or embedded ones started for the session. One fresh database per session, migrated once.

Also what tests share without being fixtures: `settings_env` (the environment of a process under
test), `eventually` (poll until true) and `FIXTURES` (tests/fixtures, the committed sample files).
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import pytest

from backend.devtools import launcher
from backend.devtools.embedded_services import EmbeddedPostgres, EmbeddedRedis, free_port
from backend.devtools.redis_cluster import LocalRedisCluster

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures"


@dataclass
class SessionServices:
    database_url: str
    redis_url: str
    admin_database_url: str
    data_dir: str = ""  # DATA_DIR of every process under test (object store of local files)
    _cleanups: list[object] = field(default_factory=list)


def _with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))


async def create_database(admin_url: str, name: str) -> None:
    conn = await asyncpg.connect(admin_url)
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()


async def drop_database(admin_url: str, name: str) -> None:
    conn = await asyncpg.connect(admin_url)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


def run_migrations(database_url: str) -> None:
    """Run every migration forwards with the real `piccolo` CLI, as `make migrate` does."""
    env = {**os.environ, "DATABASE_URL": database_url, "PICCOLO_CONF": "piccolo_conf"}
    result = subprocess.run(
        launcher.migrate_command(),
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    if result.returncode != 0 or "❌" in result.stdout:
        raise RuntimeError(f"migrations failed:\n{result.stdout}\n{result.stderr}")


def start_embedded(tmp: Path) -> tuple[EmbeddedPostgres, EmbeddedRedis]:
    pg = EmbeddedPostgres(tmp / "pg", free_port())
    pg.start()
    redis = EmbeddedRedis(tmp / "redis", free_port(), persistent=False)
    redis.start()
    return pg, redis


def cluster_masters() -> int:
    """TEST_REDIS_CLUSTER: 0 (one Redis), or the masters of the local Redis Cluster the session runs on."""
    raw = os.environ.get("TEST_REDIS_CLUSTER", "").strip() or "0"
    return int(raw)


def session_urls() -> tuple[str, str, list[object]]:
    """(admin database url, redis url, servers to stop) for this session.

    With TEST_REDIS_CLUSTER=N the session starts its own N-master cluster with one replica each
    (Debian's redis-server 7) and every process under test runs with REDIS_CLUSTER=true."""
    db_url = os.environ.get("TEST_DATABASE_URL", "").strip()
    redis_url = os.environ.get("TEST_REDIS_URL", "").strip()
    servers: list[object] = []
    if masters := cluster_masters():
        cluster = LocalRedisCluster(Path(tempfile.mkdtemp(prefix="cc-test-cluster-")), masters=masters)
        cluster.start()
        servers.append(cluster)
        redis_url = cluster.url
    if not db_url or not redis_url:
        tmp = Path(tempfile.mkdtemp(prefix="cc-test-"))
        pg, redis = start_embedded(tmp)
        servers += [pg, redis]
        db_url = db_url or pg.url("postgres")
        redis_url = redis_url or redis.url(0)
    return db_url, redis_url, servers


def new_database_name() -> str:
    return f"cc_test_{uuid.uuid4().hex[:10]}"


def settings_env(services: SessionServices, **extra: str) -> dict[str, str]:
    """The environment a process under test gets (also used for subprocess workers/apis)."""
    return {
        **os.environ,
        "APP_ENV": "test",
        "DATABASE_URL": services.database_url,
        "REDIS_URL": services.redis_url,
        "REDIS_CLUSTER": "true" if cluster_masters() else "false",
        "LOG_LEVEL": "WARNING",
        "DATA_DIR": services.data_dir,
        **extra,
    }


async def eventually(check: Callable[[], Awaitable[object]], within: float, what: str) -> object:
    """Poll `check` until it returns something truthy and return that; fail after `within` seconds."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if result := await check():
            return result
        await asyncio.sleep(0.05)
    pytest.fail(f"timed out after {within}s waiting for {what}")
