"""What the dev supervisor reads from the environment, parsed once into `DevConfig`.

The children get the same environment plus DATABASE_URL / REDIS_URL / PORT / DATA_DIR filled in, and
build their own `Settings` from it; the defaults match `backend.settings` so that `make api` and
friends reach the embedded servers too.
"""

from __future__ import annotations

import shlex
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from backend.devtools import launcher
from backend.settings import DEFAULT_DATABASE_URL, DEFAULT_REDIS_URL, SettingsError

ROOT = launcher.ROOT
PROCESS_NAMES = ("api", "worker", "scheduler")
HOST = "127.0.0.1"


@dataclass(frozen=True)
class DevConfig:
    data_dir: Path
    port: int
    database_url: str | None  # None: provision the embedded PostgreSQL
    redis_url: str | None  # None: provision the embedded Redis
    postgres_port: int
    redis_port: int
    smtp_host: str | None  # None: run the local mail catcher (mail lands in DATA_DIR/mail)
    smtp_port: int
    database_name: str
    redis_db: int
    processes: tuple[str, ...]
    commands: dict[str, list[str]]
    stop_timeout: float
    max_restarts: int
    ready_timeout: float
    backups: bool = False  # archive every WAL segment into DATA_DIR/backups (`make backup`)
    api_processes: int = 0  # DEV_API_PROCESSES: 0 one api on PORT; N: N apis behind the local nginx on PORT
    worker_processes: int = 1  # DEV_WORKER_PROCESSES: worker processes (each runs taskiq's own children)
    redis_cluster: int = 0  # DEV_REDIS_CLUSTER: 0 one embedded Redis; N >= 3: a local cluster of N masters
    redis_cluster_port: int = 47000  # DEV_REDIS_CLUSTER_PORT: the first node's port (2N consecutive ports)

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> DevConfig:
        """Parse the environment; raise SettingsError naming the variable on a bad value."""
        default_db, default_redis = urlsplit(DEFAULT_DATABASE_URL), urlsplit(DEFAULT_REDIS_URL)
        port = _int(env, "PORT", 8000)
        processes = tuple(p.strip() for p in env.get("DEV_PROCESSES", ",".join(PROCESS_NAMES)).split(",") if p.strip())
        if unknown := sorted(set(processes) - set(PROCESS_NAMES)):
            choices = ", ".join(PROCESS_NAMES)
            raise SettingsError(f"DEV_PROCESSES: unknown process {unknown[0]!r} (choose from {choices})")
        reload = env.get("DEV_RELOAD", "").lower() in {"1", "true", "yes", "on"}
        commands = default_commands(port, reload=reload)
        for name in PROCESS_NAMES:
            if override := env.get(f"DEV_{name.upper()}_COMMAND", "").strip():
                commands[name] = shlex.split(override)
        return cls(
            data_dir=Path(env.get("DATA_DIR", "").strip() or ".data").resolve(),
            port=port,
            database_url=env.get("DATABASE_URL", "").strip() or None,
            redis_url=env.get("REDIS_URL", "").strip() or None,
            postgres_port=_int(env, "DEV_POSTGRES_PORT", default_db.port or 55432),
            redis_port=_int(env, "DEV_REDIS_PORT", default_redis.port or 56379),
            smtp_host=env.get("SMTP_HOST", "").strip() or None,
            smtp_port=_int(env, "DEV_SMTP_PORT", 1025),
            database_name=default_db.path.lstrip("/") or "career_copilot",
            redis_db=int(default_redis.path.lstrip("/") or 0),
            processes=processes,
            commands=commands,
            stop_timeout=float(_int(env, "DEV_STOP_TIMEOUT", 30)),
            max_restarts=_int(env, "DEV_MAX_RESTARTS", 5),
            ready_timeout=float(_int(env, "DEV_READY_TIMEOUT", 120)),
            backups=env.get("DEV_BACKUPS", "").lower() in {"1", "true", "yes", "on"},
            api_processes=_count(env, "DEV_API_PROCESSES", 0),
            worker_processes=_count(env, "DEV_WORKER_PROCESSES", 1, least=1),
            **_redis_cluster(env),
        )

    @property
    def api_url(self) -> str:
        return f"http://{HOST}:{self.port}"


def default_commands(port: int, *, reload: bool = False) -> dict[str, list[str]]:
    """The command line of each child; the same ones `make api|worker|scheduler` run."""
    return {
        "api": launcher.api_command(port, host=HOST, reload=reload),
        "worker": launcher.module_command(launcher.WORKER),
        "scheduler": launcher.module_command(launcher.SCHEDULER),
    }


def _redis_cluster(env: Mapping[str, str]) -> dict[str, int]:
    """DEV_REDIS_CLUSTER (0, or 3 to 16 masters with one replica each) and DEV_REDIS_CLUSTER_PORT."""
    masters = _int(env, "DEV_REDIS_CLUSTER", 0)
    if masters != 0 and not 3 <= masters <= 16:
        raise SettingsError(
            f"DEV_REDIS_CLUSTER must be 0 (one Redis) or between 3 and 16 masters, got {masters} "
            "(a Redis Cluster needs at least 3 masters)"
        )
    if masters and env.get("REDIS_URL", "").strip():
        raise SettingsError("DEV_REDIS_CLUSTER starts a local cluster: unset REDIS_URL (or DEV_REDIS_CLUSTER)")
    base = _int(env, "DEV_REDIS_CLUSTER_PORT", 47000)
    last = base + 2 * max(masters, 3) - 1
    if base < 1024 or last + 10000 > 65535:  # each node also listens on its port + 10000 (the cluster bus)
        raise SettingsError(
            f"DEV_REDIS_CLUSTER_PORT must be between 1024 and {65535 - 10000 - 2 * max(masters, 3) + 1}"
        )
    return {"redis_cluster": masters, "redis_cluster_port": base}


def _count(env: Mapping[str, str], name: str, default: int, *, least: int = 0) -> int:
    value = _int(env, name, default)
    if not least <= value <= 16:
        raise SettingsError(f"{name} must be between {least} and 16, got {value}")
    return value


def _int(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError:
        raise SettingsError(f"{name} must be an integer, got {raw!r}") from None
