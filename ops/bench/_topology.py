"""The real topology of `make dev` for `capacity_bench.py --topology full`: the dev supervisor with 2
api processes behind nginx, 2 workers, a streaming replica, and one Redis or a local Redis Cluster
(`--redis-cluster 3`), started as a developer starts it; and the meters of the limiting resource:
CPU per process class from /proc, Redis commands/s per node (INFO), PostgreSQL transactions/s
(pg_stat_database) on the primary and the replica.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import os
import re
import shutil
import signal
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import asyncpg
import redis

from backend.devtools import launcher
from backend.devtools.embedded_services import free_port
from backend.devtools.redis_cluster import free_port_run

STARTED = re.compile(r"^devserver \| started ([\w.-]+) \(pid (\d+)\)$", re.MULTILINE)
DATABASE = "career_copilot"


@dataclass
class DevStack:
    """One `make dev` run with the production-like process layout, in its own DATA_DIR."""

    redis_cluster: int = 0
    api_processes: int = 2
    worker_processes: int = 2
    replicas: int = 1
    extra_env: dict[str, str] = field(default_factory=dict)  # applied last
    tmp: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="cc-bench-full-")))
    env: dict[str, str] = field(default_factory=dict)
    supervisor: launcher.Process | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.env['PORT']}"

    @property
    def log(self) -> Path:
        return self.tmp / "devserver.log"

    def redis_ports(self) -> list[int]:
        if not self.redis_cluster:
            return [int(self.env["DEV_REDIS_PORT"])]
        base = int(self.env["DEV_REDIS_CLUSTER_PORT"])
        return list(range(base, base + 2 * self.redis_cluster))

    def postgres_ports(self) -> dict[str, int]:
        ports = {"primary": int(self.env["DEV_POSTGRES_PORT"]), "replica": int(self.env["DEV_REPLICA_PORT"])}
        return ports if self.replicas else {"primary": ports["primary"]}

    def start(self) -> None:
        env = {k: v for k, v in os.environ.items() if not k.endswith(("DATABASE_URL", "REDIS_URL"))}
        ports = free_port_run(16) if self.redis_cluster else 0
        env.update(
            DATA_DIR=str(self.tmp / "data"), PORT=str(free_port()), DEV_POSTGRES_PORT=str(free_port()),
            DEV_REPLICA_PORT=str(free_port()), DEV_REDIS_PORT=str(free_port()), DEV_SMTP_PORT=str(free_port()),
            DEV_REDIS_CLUSTER=str(self.redis_cluster), DEV_REDIS_CLUSTER_PORT=str(ports or 47000),
            DEV_API_PROCESSES=str(self.api_processes), DEV_WORKER_PROCESSES=str(self.worker_processes),
            DEV_REPLICAS=str(self.replicas), DEV_STOP_TIMEOUT="10", NO_COLOR="1", APP_ENV="test", LOG_LEVEL="WARNING",
            REGISTER_MAX_PER_IP="1000000",
        )  # fmt: skip
        env.update({"ACCESS_TOKEN_TTL_SECONDS": "3600", "AI_BUILTIN_TOKEN_DELAY_MS": "5"})
        env.update({"AI_REQUESTS_PER_MINUTE": "100000", "AI_REQUESTS_PER_DAY": "100000"})  # load, not abuse
        env.update(self.extra_env)
        self.env = env
        self.supervisor = launcher.Process.start(
            launcher.module_command("backend.devtools.devserver"), env=env, log=self.log, name="devserver",
            own_group=True,
        )  # fmt: skip
        self.supervisor.wait_line(r"^devserver \| ready: ", within=240)

    def stop(self) -> None:
        if self.supervisor is not None and self.supervisor.alive:
            self.supervisor.signal(signal.SIGTERM)
            try:
                self.supervisor.popen.wait(60)
            except Exception:
                self.supervisor.kill()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def process_classes(self) -> dict[str, list[int]]:
        """Process class (api, worker, nginx, scheduler, redis, mail, postgres, replica) -> root pids."""
        classes: dict[str, list[int]] = collections.defaultdict(list)
        latest: dict[str, int] = {}
        for name, pid in STARTED.findall(self.log.read_text(errors="replace")):
            latest[name] = int(pid)
        for name, pid in latest.items():
            kind = "redis" if name.startswith("redis") else re.split(r"[-.\d]", name, maxsplit=1)[0]
            classes[kind].append(pid)
        data = Path(self.env["DATA_DIR"])
        for kind, pid_file in (("postgres", data / "postgres"), ("replica", data / "postgres-replica-0")):
            with contextlib.suppress(FileNotFoundError, ValueError):
                classes[kind].append(int((pid_file / "postmaster.pid").read_text().split()[0]))
        return dict(classes)


def tree_cpu(pid: int) -> float:
    """CPU seconds of `pid` and its descendants, ended children included (utime+stime+cutime+cstime)."""
    total, todo = 0, [pid]
    while todo:
        current = todo.pop()
        try:
            fields = Path(f"/proc/{current}/stat").read_text().rsplit(")", 1)[1].split()
            total += sum(int(x) for x in fields[11:15])
            for task in Path(f"/proc/{current}/task").iterdir():
                todo += [int(child) for child in (task / "children").read_text().split()]
        except (FileNotFoundError, ProcessLookupError):
            continue
    return total / os.sysconf("SC_CLK_TCK")


def class_cpu(classes: dict[str, list[int]]) -> dict[str, float]:
    return {kind: sum(tree_cpu(pid) for pid in pids) for kind, pids in classes.items()}


def redis_commands(ports: list[int]) -> dict[int, float]:
    """port -> total_commands_processed (INFO stats) of each Redis node."""
    counts = {}
    for port in ports:
        with redis.Redis(port=port, socket_timeout=5) as client:
            counts[port] = float(client.info("stats")["total_commands_processed"])
    return counts


def database_bytes(port: int) -> int:
    """pg_database_size of the app's database on the server at `port`."""

    async def size() -> int:
        connection = await asyncpg.connect(f"postgresql://postgres@127.0.0.1:{port}/{DATABASE}")
        try:
            return int(await connection.fetchval("SELECT pg_database_size($1)", DATABASE))
        finally:
            await connection.close()

    return asyncio.run(size())


def postgres_transactions(ports: dict[str, int]) -> dict[str, float]:
    """server -> xact_commit + xact_rollback of the app's database (pg_stat_database)."""

    async def one(port: int) -> float:
        connection = await asyncpg.connect(f"postgresql://postgres@127.0.0.1:{port}/{DATABASE}")
        try:
            query = "SELECT xact_commit + xact_rollback FROM pg_stat_database WHERE datname = $1"
            return float(await connection.fetchval(query, DATABASE))
        finally:
            await connection.close()

    async def every() -> dict[str, float]:
        return {name: await one(port) for name, port in ports.items()}

    return asyncio.run(every())
