"""The stores the dev supervisor provisions, and the migrations it runs before the app starts.

PostgreSQL comes from `backend.devtools.embedded_services` (pg_ctl keeps it detached; its log file is
tailed into the output as `postgres |`). Redis runs as a supervised child (`redis |`) with an
append-only file, so queued tasks and cached state survive a restart like the database does; with
DEV_REDIS_CLUSTER=N it is a local Redis Cluster instead (N masters, one replica each, every node a
supervised child `redis-<port> |`, from Debian's Redis 7: backend.devtools.redis_cluster).
"""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Mapping
from pathlib import Path

from backend.devtools import launcher
from backend.devtools.devserver.config import ROOT, DevConfig
from backend.devtools.devserver.output import Output
from backend.devtools.devserver.process import Child, RestartPolicy, spawn
from backend.devtools.embedded_services import EmbeddedPostgres, EmbeddedRedis
from backend.devtools.redis_cluster import ClusterError, LocalRedisCluster, redis7_binaries


class StartupError(RuntimeError):
    """The system cannot start; the message says why and what to do."""


def port_in_use(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


async def start_postgres(pg: EmbeddedPostgres, database: str, output: Output) -> None:
    """Create the cluster (first run only), start it, and create `database` unless it exists."""
    already_running = (pg.data_dir / "postmaster.pid").exists()
    if not already_running and port_in_use(pg.port):
        raise StartupError(f"port {pg.port} is in use; set DEV_POSTGRES_PORT to another port (or DATABASE_URL)")
    if already_running:
        output.say(f"PostgreSQL in {pg.data_dir} may still be running from an earlier run; reusing it if so")
    elif not (pg.data_dir / "PG_VERSION").exists():
        output.say(f"creating a PostgreSQL cluster in {pg.data_dir} (first run only)")
    try:
        await asyncio.to_thread(pg.start)
        await asyncio.to_thread(pg.create_database, database)
    except (subprocess.CalledProcessError, TimeoutError, OSError) as exc:
        detail = getattr(exc, "stderr", None) or str(exc)
        raise StartupError(f"PostgreSQL did not start: {detail.strip()} (log: {pg.data_dir / 'server.log'})") from exc


class LogTail:
    """Copies the lines appended to a log file into the output (PostgreSQL writes its own log)."""

    def __init__(self, path: Path, name: str, output: Output) -> None:
        self.path, self.name, self.output = path, name, output
        self._offset = path.stat().st_size if path.exists() else 0
        self._pending = b""

    def flush(self) -> None:
        """Print what was appended since the last call."""
        with contextlib.suppress(FileNotFoundError, PermissionError):
            with self.path.open("rb") as log:
                log.seek(self._offset)
                data = log.read()
            self._offset += len(data)
            *lines, self._pending = (self._pending + data).split(b"\n")
            for line in lines:
                self.output.line(self.name, line)

    async def run(self) -> None:
        while True:
            self.flush()
            await asyncio.sleep(0.2)


async def start_redis(config: DevConfig, env: Mapping[str, str], output: Output, policy: RestartPolicy) -> Child:
    """Start redis-server (AOF persistence) under DATA_DIR/redis as a supervised child."""
    if port_in_use(config.redis_port):
        raise StartupError(f"port {config.redis_port} is in use; set DEV_REDIS_PORT to another port (or REDIS_URL)")
    redis = EmbeddedRedis(config.data_dir / "redis", config.redis_port, persistent=True)
    redis.data_dir.mkdir(parents=True, exist_ok=True)
    child = Child("redis", redis.command(), env=env, cwd=redis.data_dir, output=output, policy=policy)
    await child.start()
    await wait_for_port(child, config.redis_port, within=30)
    return child


async def start_redis_cluster(
    config: DevConfig, env: Mapping[str, str], output: Output, policy: RestartPolicy, nodes: list[Child]
) -> LocalRedisCluster:
    """Start DEV_REDIS_CLUSTER masters with one replica each under DATA_DIR/redis-cluster, each node a
    supervised child (`redis-<port> |`); the first run creates the cluster, later runs re-form it from
    every node's nodes.conf. The started children are appended to `nodes` as they start (a start that
    fails halfway must still stop them)."""
    cluster = LocalRedisCluster(
        config.data_dir / "redis-cluster",
        masters=config.redis_cluster,
        base_port=config.redis_cluster_port,
        persistent=True,
    )
    try:
        await asyncio.to_thread(redis7_binaries)
    except ClusterError as exc:
        raise StartupError(str(exc)) from exc
    if taken := [port for node in cluster.ports for port in (node, node + 10000) if port_in_use(port)]:
        raise StartupError(f"port {taken[0]} is in use; set DEV_REDIS_CLUSTER_PORT to another first port")
    reuse = cluster.formed()
    for port in cluster.ports:
        if not reuse:
            shutil.rmtree(cluster.node_dir(port), ignore_errors=True)
        cluster.node_dir(port).mkdir(parents=True, exist_ok=True)
        child = Child(
            f"redis-{port}", cluster.command(port), env=env, cwd=cluster.node_dir(port), output=output, policy=policy
        )
        nodes.append(child)
        await child.start()
    for child, port in zip(nodes, cluster.ports, strict=True):
        await wait_for_port(child, port, within=30)
    try:
        if not reuse:
            output.say(f"creating a Redis Cluster: {config.redis_cluster} masters, one replica each")
            await asyncio.to_thread(cluster.create)
        await asyncio.to_thread(_wait_ok, cluster, 60.0)
    except ClusterError as exc:
        raise StartupError(str(exc)) from exc
    return cluster


def _wait_ok(cluster: LocalRedisCluster, timeout: float) -> None:
    """`LocalRedisCluster.wait_ok` over nodes the supervisor (not the cluster object) started."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if all(cluster._ok(port) for port in cluster.ports):
            return
        time.sleep(0.1)
    states = {port: cluster.cli(port, "cluster", "info").split("\r\n", 1)[0] for port in cluster.ports}
    raise ClusterError(f"the Redis Cluster did not become ready within {timeout:.0f}s: {states}")


async def start_mail(config: DevConfig, env: Mapping[str, str], output: Output, policy: RestartPolicy) -> Child:
    """Start the local mail catcher (SMTP on DEV_SMTP_PORT, `.eml` files in DATA_DIR/mail)."""
    if port_in_use(config.smtp_port):
        raise StartupError(f"port {config.smtp_port} is in use; set DEV_SMTP_PORT to another port (or SMTP_HOST)")
    argv = [sys.executable, "-m", "backend.devtools.mail.catcher", "--dir", str(config.data_dir / "mail")]
    child = Child("mail", [*argv, "--port", str(config.smtp_port)], env=env, cwd=ROOT, output=output, policy=policy)
    await child.start()
    await wait_for_port(child, config.smtp_port, within=30)
    return child


async def wait_for_port(child: Child, port: int, within: float) -> None:
    """Wait up to `within` seconds until `child` listens on `port`; fail fast if it exits first."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while not port_in_use(port):
        if child.process is None or child.process.returncode is not None:
            raise StartupError(f"{child.name} exited during startup (its output is above)")
        if loop.time() > deadline:
            raise StartupError(f"{child.name} did not listen on port {port} within {within:.0f}s")
        await asyncio.sleep(0.05)


async def migrate(env: Mapping[str, str], output: Output) -> None:
    """`piccolo migrations forwards career_copilot`, exactly as `make migrate` runs it."""
    argv = launcher.migrate_command()
    seen: list[bytes] = []
    env = {**env, "PICCOLO_CONF": "piccolo_conf"}
    process, pump = await spawn("migrate", argv, env=env, cwd=ROOT, output=output, new_session=False, tee=seen)
    code = await process.wait()
    await pump
    # Piccolo reports some failures with a ❌ line and exit code 0.
    if code != 0 or "❌".encode() in b"".join(seen):
        raise StartupError("migrations failed (see the 'migrate |' lines above)")


def answers_200(url: str) -> bool:
    """True when a GET of `url` (a loopback http:// URL) answers 200 within 2 s."""
    try:
        with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 - a loopback http:// URL we built
            return bool(response.status == 200)
    except (urllib.error.URLError, OSError):
        return False
