"""What the HTTP benchmarks (applications_bench, capacity_bench) share: the whole system on local
embedded services, api processes, wrk, CPU readings from /proc, and users seeded through the API."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from backend.devtools import launcher  # noqa: E402
from backend.devtools.embedded_services import (  # noqa: E402
    EmbeddedPostgres,
    EmbeddedRedis,
    EmbeddedReplica,
    free_port,
)

PASSWORD = "benchmark passphrase 1"  # noqa: S105 - throwaway local accounts


@dataclass
class LocalServices:
    """The embedded servers of a benchmark: the environment of its api and workers, a temporary
    directory, the primary PostgreSQL and, once `start_replica` made it, a streaming replica of it."""

    env: dict[str, str]
    tmp: Path
    postgres: EmbeddedPostgres
    replica: EmbeddedReplica | None = None

    def start_replica(self) -> EmbeddedReplica:
        """A streaming replica of the primary (`pg_basebackup -R` of it as it is now), stopped with the
        primary; its DSN for `DATABASE_REPLICA_URLS` is `replica.url(DATABASE)`."""
        if self.replica is None:
            self.replica = EmbeddedReplica(self.postgres, self.tmp / "pg-replica", free_port())
            self.replica.start()
        return self.replica


DATABASE = "bench"


@contextmanager
def local_stack(prefix: str) -> Iterator[LocalServices]:
    """A fresh embedded PostgreSQL (migrated) and Redis, and the environment of the api and workers on
    them, removed afterwards (a replica first). Exits with a message when wrk is missing."""
    if not shutil.which("wrk"):
        sys.exit("wrk is needed: apt-get install -y wrk")
    tmp = Path(tempfile.mkdtemp(prefix=prefix))
    pg, redis = EmbeddedPostgres(tmp / "pg", free_port()), EmbeddedRedis(tmp / "redis", free_port(), persistent=False)
    stack: LocalServices | None = None
    pg.start()
    redis.start()
    try:
        pg.create_database(DATABASE)
        env = {**os.environ, "APP_ENV": "test", "DATABASE_URL": pg.url(DATABASE), "REDIS_URL": redis.url(),
               "LOG_LEVEL": "WARNING", "ACCESS_TOKEN_TTL_SECONDS": "3600",
               "REGISTER_MAX_PER_IP": "1000000"}  # fmt: skip  # every seeded user signs up from 127.0.0.1
        subprocess.run(launcher.migrate_command(), cwd=ROOT, env=env, check=True, capture_output=True)  # noqa: S603
        stack = LocalServices(env, tmp, pg)
        yield stack
    finally:
        if stack is not None and stack.replica is not None:
            stack.replica.stop()
        redis.stop()
        pg.stop()
        shutil.rmtree(tmp, ignore_errors=True)


@contextmanager
def local_services(prefix: str) -> Iterator[tuple[dict[str, str], Path]]:
    """(environment of the api and workers, a temporary directory) of `local_stack`."""
    with local_stack(prefix) as stack:
        yield stack.env, stack.tmp


def start_api(env: dict[str, str], port: int, processes: int = 1) -> launcher.Process:
    """An api on `port` (`processes` uvicorn workers), its stdout discarded; `stop(grace=20)` ends it."""
    command = launcher.api_command(port, log_level="warning", access_log=False, processes=processes)
    return launcher.Process.start(command, env=env, name="api", own_group=False, url=f"http://127.0.0.1:{port}")


def start_worker(env: dict[str, str]) -> launcher.Process:
    """One worker process, its stdout discarded."""
    command = launcher.module_command(launcher.WORKER, "--workers", "1")
    return launcher.Process.start(command, env=env, name="worker", own_group=False)


def wait_ready(api: launcher.Process) -> None:
    """Until the api answers /health/ready with 200 (launcher.NotReady after 20 s or if it exits)."""
    api.wait_url(f"{api.url}/health/ready", within=20)


def process_tree(pid: int) -> list[int]:
    """`pid` and its descendants (uvicorn --workers: the supervisor and its worker processes)."""
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        for task in Path(f"/proc/{current}/task").iterdir():
            todo += [int(child) for child in (task / "children").read_text().split()]
    return found


def cpu_seconds(pids: list[int]) -> float:
    total = 0
    for pid in pids:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def server_cpu_seconds(server: EmbeddedPostgres) -> float:
    """CPU time of a PostgreSQL server so far: its postmaster and every process under it (backends,
    WAL sender or receiver, startup, checkpointer...), those that ended included (their time is in
    their parent's cutime/cstime once reaped). Backends come and go: the tree is walked each time."""
    postmaster = int((server.data_dir / "postmaster.pid").read_text().split()[0])
    total, todo = 0, [postmaster]
    while todo:
        pid = todo.pop()
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            for task in Path(f"/proc/{pid}/task").iterdir():
                todo += [int(child) for child in (task / "children").read_text().split()]
        except (FileNotFoundError, ProcessLookupError):
            continue  # ended between the listing and the reading: counted in its parent once reaped
        total += sum(int(field) for field in fields[11:15])  # utime, stime, cutime, cstime
    return total / os.sysconf("SC_CLK_TCK")


def machine_busy() -> float:
    user, nice, system, _idle, _iowait, irq, softirq = (int(x) for x in Path("/proc/stat").read_text().split()[1:8])
    return (user + nice + system + irq + softirq) / os.sysconf("SC_CLK_TCK")


def wrk(
    url: str, seconds: int, connections: int, *, token: str | None = None, script: Path | None = None
) -> dict[str, float]:
    """wrk -t2: requests (in all and per second), p50 and p99 (ms), and the answers that were not 2xx/3xx
    or failed."""
    command = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", "--timeout", "5s", url]
    if token:
        command[1:1] = ["-H", f"Authorization: Bearer {token}"]
    if script is not None:
        command[1:1] = ["-s", str(script)]
    out = subprocess.run(command, capture_output=True, text=True, check=True).stdout  # noqa: S603

    def ms(label: str) -> float:
        value, unit = re.search(rf"{label}\s+([\d.]+)(us|ms|s)\b", out).groups()  # type: ignore[union-attr]
        return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]

    bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    failed = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    return {
        "requests": float(re.search(r"(\d+) requests in", out).group(1)),  # type: ignore[union-attr]
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),  # type: ignore[union-attr]
        "p50": ms("50%"),
        "p99": ms("99%"),
        "errors": float(bad.group(1) if bad else 0) + float(sum(int(n) for n in failed.groups()) if failed else 0),
    }


def routed_reads(url: str) -> dict[str, float]:
    """`career_copilot_db_reads_total` of the api at `url` by target: one process's, or all of them when
    they write to a shared PROMETHEUS_MULTIPROC_DIR (prometheus_client's multiprocess mode)."""
    text = httpx.get(f"{url}/metrics", timeout=10).text
    found = re.findall(r'^career_copilot_db_reads_total\{target="(\w+)"\} (\S+)$', text, re.MULTILINE)
    counts = {"primary": 0.0, "replica": 0.0}
    counts.update({target: float(value) for target, value in found})
    return counts


def wait_replicas_ok(api: launcher.Process, within: float = 30) -> None:
    """Until /health/ready reports every replica `ok` on several answers in a row (each on a new
    connection, so every api process is likely asked: an api starts with its replicas down)."""
    deadline, in_a_row = time.monotonic() + within, 0
    while in_a_row < 6:
        if time.monotonic() > deadline:
            raise TimeoutError(f"the api's replicas are not ok after {within:.0f} s")
        states = httpx.get(f"{api.url}/health/ready", timeout=10).json().get("replicas", [])
        in_a_row = in_a_row + 1 if states and all(state["state"] == "ok" for state in states) else 0
        time.sleep(0.2)


async def seed_user(http: httpx.AsyncClient, email: str, applications: int) -> tuple[str, list[str]]:
    """Register and sign in `email`, then create `applications` applications through the API:
    (access token, application ids)."""
    body = {"email": email, "password": PASSWORD, "full_name": "Bench User"}
    (await http.post("/api/v1/auth/register", json=body)).raise_for_status()
    login = await http.post("/api/v1/auth/login", json={"email": email, "password": PASSWORD})
    login.raise_for_status()
    token = str(login.json()["access_token"])
    headers = {"Authorization": f"Bearer {token}"}
    ids = []
    for number in range(applications):
        app = {"company": f"Company {number}", "role": "Engineer", "tags": ["bench"], "notes": "x" * 200}
        made = await http.post("/api/v1/applications", json=app, headers=headers)
        made.raise_for_status()
        ids.append(str(made.json()["id"]))
    return token, ids
