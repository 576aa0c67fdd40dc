"""`DEV_REPLICAS=n make dev`: n streaming replicas of the embedded PostgreSQL, and every child told
about them (`DATABASE_REPLICA_URLS`: the api routes the reads that may be stale to them, the worker
records the write positions of the jobs it runs; docs/replicas.md).

Replica i lives in `DATA_DIR/postgres-replica-<i>` (a `pg_basebackup -R` copy made on the first run,
reused afterwards) and listens on `DEV_REPLICA_PORT` + i (default: the primary's port + 1). They start
after the primary and stop before it; their logs are tailed as `replica-<i> |`.
"""

from __future__ import annotations

import asyncio
import subprocess
from collections.abc import Mapping

from backend.devtools.devserver.config import DevConfig
from backend.devtools.devserver.output import Output
from backend.devtools.devserver.services import LogTail, StartupError, port_in_use
from backend.devtools.embedded_services import EmbeddedPostgres, EmbeddedReplica
from backend.settings import SettingsError


def wanted(env: Mapping[str, str]) -> int:
    raw = env.get("DEV_REPLICAS", "").strip() or "0"
    if not raw.isdigit():
        raise SettingsError(f"DEV_REPLICAS must be a number of replicas, got {raw!r}")
    return int(raw)


async def start_replicas(
    pg: EmbeddedPostgres | None,
    config: DevConfig,
    env: dict[str, str],
    output: Output,
    started: list[EmbeddedReplica],
    tails: list[asyncio.Task[None]],
) -> None:
    """Start the replicas `DEV_REPLICAS` asks for (each appended to `started` before it starts, so a
    start that fails halfway is still stopped) and set `DATABASE_REPLICA_URLS` in `env`."""
    try:
        count = wanted(env)
    except SettingsError as exc:
        raise StartupError(str(exc)) from exc
    if count == 0:
        return
    if pg is None:
        raise StartupError("DEV_REPLICAS needs the embedded PostgreSQL (unset DATABASE_URL)")
    port = env.get("DEV_REPLICA_PORT", "").strip() or str(pg.port + 1)
    if not port.isdigit():
        raise StartupError(f"DEV_REPLICA_PORT must be a port number, got {port!r}")
    first_port = int(port)
    for index in range(count):
        replica = EmbeddedReplica(pg, config.data_dir / f"postgres-replica-{index}", first_port + index)
        if not (replica.data_dir / "postmaster.pid").exists() and port_in_use(replica.port):
            raise StartupError(f"port {replica.port} is in use; set DEV_REPLICA_PORT to another port")
        if not (replica.data_dir / "PG_VERSION").exists():
            output.say(f"copying the primary into {replica.data_dir} (pg_basebackup, first run only)")
        started.append(replica)
        tail = LogTail(replica.data_dir / "server.log", f"replica-{index}", output)
        tails.append(asyncio.create_task(tail.run()))
        try:
            await asyncio.to_thread(replica.start)
        except (subprocess.CalledProcessError, TimeoutError, OSError) as exc:
            detail = getattr(exc, "stderr", None) or str(exc)
            raise StartupError(f"replica {index} did not start: {detail.strip()}") from exc
    env["DATABASE_REPLICA_URLS"] = ",".join(replica.url(config.database_name) for replica in started)
    output.say(f"{count} streaming replica(s): DATABASE_REPLICA_URLS={env['DATABASE_REPLICA_URLS']}")


async def stop_replicas(started: list[EmbeddedReplica], output: Output) -> None:
    for replica in reversed(started):
        await asyncio.to_thread(replica.stop)
        if (replica.data_dir / "postmaster.pid").exists():
            raise RuntimeError(f"a replica is still running in {replica.data_dir} (see server.log there)")
    if started:
        output.say(f"stopped {len(started)} replica(s)")
