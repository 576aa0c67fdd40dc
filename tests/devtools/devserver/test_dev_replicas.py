"""`DEV_REPLICAS=1 make dev`: a streaming replica of the embedded PostgreSQL, used by the api, stopped
with the rest (backend/devtools/devserver/replica.py)."""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import socket
import tempfile
from pathlib import Path

import asyncpg
import httpx

from backend.devtools import launcher
from backend.devtools.embedded_services import free_port


async def _standby_has_the_schema(url: str) -> tuple[bool, bool]:
    connection = await asyncpg.connect(url)
    try:
        standby = await connection.fetchval("SELECT pg_is_in_recovery()")
        migrated = await connection.fetchval("SELECT to_regclass('applications') IS NOT NULL")
        return bool(standby), bool(migrated)
    finally:
        await connection.close()


def _listening(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


def test_dev_replicas_starts_a_streaming_replica_the_api_uses_and_stops_it() -> None:
    # Not pytest's tmp_path (see test_devserver.py): the unprivileged postgres user must reach it.
    tmp = Path(tempfile.mkdtemp(prefix="cc-dev-replicas-"))
    replica_port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.endswith(("DATABASE_URL", "REDIS_URL")) and k != "APP_ENV"}
    env.update(
        DATA_DIR=str(tmp / "data"), PORT=str(free_port()), DEV_POSTGRES_PORT=str(free_port()),
        DEV_REDIS_PORT=str(free_port()), DEV_SMTP_PORT=str(free_port()), DEV_REPLICAS="1",
        DEV_REPLICA_PORT=str(replica_port), DEV_PROCESSES="api", DEV_STOP_TIMEOUT="5", NO_COLOR="1",
    )  # fmt: skip
    supervisor = launcher.Process.start(
        launcher.module_command("backend.devtools.devserver"),
        env=env, log=tmp / "devserver.log", name="devserver", own_group=False,
    )  # fmt: skip
    try:
        supervisor.wait_line(r"^devserver \| ready: ", within=120)
        ready = httpx.get(f"http://127.0.0.1:{env['PORT']}/health/ready", timeout=10).json()
        assert ready["replicas"] == [{"replica": "0", "state": "ok", "lag_seconds": 0.0}], ready
        replica_url = f"postgresql://postgres@127.0.0.1:{replica_port}/career_copilot"
        assert asyncio.run(_standby_has_the_schema(replica_url)) == (True, True)
        assert f"DATABASE_REPLICA_URLS={replica_url}" in (tmp / "devserver.log").read_text()
        supervisor.signal(signal.SIGINT)
        assert supervisor.popen.wait(30) == 0
        log = (tmp / "devserver.log").read_text()
        assert "devserver | stopped 1 replica(s)" in log and "devserver | all stopped" in log
        assert not _listening(replica_port)
    finally:
        if supervisor.alive:
            supervisor.kill()
        for server in ("postgres-replica-0", "postgres"):
            pid_file = tmp / "data" / server / "postmaster.pid"
            if pid_file.exists():  # a failure left a server behind: immediate shutdown
                os.kill(int(pid_file.read_text().split()[0]), signal.SIGQUIT)
        shutil.rmtree(tmp, ignore_errors=True)
