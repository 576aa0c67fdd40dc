"""`python -m backend.devtools.devserver` run as a developer runs `make dev` (embedded default).

Each test starts the real supervisor as a subprocess with its own DATA_DIR and free ports: it
provisions embedded Postgres and Redis, migrates, starts api, worker and scheduler, and must stop
all of them (and their process groups) on SIGINT, keeping the data for the next start.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import asyncpg
import httpx
import pytest
import redis

from backend.devtools import launcher
from backend.devtools.embedded_services import free_port

STARTED = re.compile(r"^devserver \| started (\w+) \(pid (\d+)\)$", re.MULTILINE)
PREFIXED = re.compile(r"^(devserver|api|worker|scheduler|migrate|postgres|redis|mail) \| ")
STOP_BOUND = 25.0  # seconds from SIGINT until every process is gone (DEV_STOP_TIMEOUT=5 below)


@dataclass
class DevServer:
    """One run of the supervisor; its combined output goes to `log` (appended to across runs)."""

    env: dict[str, str]
    log: Path
    supervisor: launcher.Process | None = None
    pids: dict[str, int] = field(default_factory=dict)

    @property
    def process(self) -> subprocess.Popen[bytes] | None:
        return None if self.supervisor is None else self.supervisor.popen

    @property
    def data_dir(self) -> Path:
        return Path(self.env["DATA_DIR"])

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def start(self) -> None:
        argv = launcher.module_command("backend.devtools.devserver")
        # In this process's group, as a terminal runs `make dev`; the supervisor gives each child its own.
        self.supervisor = launcher.Process.start(
            argv, env=self.env, log=self.log, name="devserver", own_group=False, append=True
        )

    def wait_for(self, pattern: str, timeout: float) -> None:
        assert self.supervisor is not None
        try:
            self.supervisor.wait_line(pattern, within=timeout)
        except launcher.NotReady as exc:
            pytest.fail(str(exc))

    def record_pids(self) -> None:
        """The pids of this run's children (from the log) and of the postmaster (from its pid file)."""
        self.pids = {name: int(pid) for name, pid in STARTED.findall(self.output())}
        with contextlib.suppress(FileNotFoundError):
            self.pids["postgres"] = int((self.data_dir / "postgres" / "postmaster.pid").read_text().split()[0])

    def stop(self, sig: signal.Signals = signal.SIGINT) -> int:
        """Signal the supervisor and return its exit code, failing if it takes longer than STOP_BOUND."""
        assert self.supervisor is not None
        self.supervisor.signal(sig)
        try:
            return self.supervisor.popen.wait(STOP_BOUND)
        except subprocess.TimeoutExpired:
            pytest.fail(f"devserver still running {STOP_BOUND:.0f}s after {sig.name}:\n{self.output()}")

    def kill_leftovers(self) -> None:
        """Teardown after a failure: leave no process of this test behind."""
        if self.supervisor is not None and self.supervisor.alive:
            self.supervisor.kill()
        self.record_pids()
        for name, pid in self.pids.items():
            # SIGQUIT is PostgreSQL's immediate shutdown; the others lead their own process group.
            sig, kill = (signal.SIGQUIT, os.kill) if name == "postgres" else (signal.SIGKILL, os.killpg)
            with contextlib.suppress(ProcessLookupError, PermissionError):
                kill(pid, sig)


def _alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"  # a zombie has exited already


def _group_members(pgids: set[int]) -> list[str]:
    """Live processes whose process group is one of `pgids` (grandchildren of the supervisor)."""
    found = []
    for stat_file in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat_file.read_text().rsplit(")", 1)[1].split()
        except (FileNotFoundError, ProcessLookupError, IndexError):
            continue
        if fields[0] != "Z" and int(fields[2]) in pgids:
            found.append(stat_file.parent.name)
    return found


def _listening(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


@pytest.fixture
def devserver() -> Iterator[DevServer]:
    # Not pytest's tmp_path: a pytest session started meanwhile makes /tmp/pytest-of-<user> private
    # again, which locks the unprivileged postgres user (root runs) out of its data directory.
    tmp_path = Path(tempfile.mkdtemp(prefix="cc-devserver-"))
    env = {k: v for k, v in os.environ.items() if not k.endswith(("DATABASE_URL", "REDIS_URL")) and k != "APP_ENV"}
    env.update(
        DATA_DIR=str(tmp_path / "data"),
        PORT=str(free_port()),
        DEV_POSTGRES_PORT=str(free_port()),
        DEV_REDIS_PORT=str(free_port()),
        DEV_SMTP_PORT=str(free_port()),
        DEV_STOP_TIMEOUT="5",
        NO_COLOR="1",
    )
    server = DevServer(env=env, log=tmp_path / "devserver.log")
    yield server
    server.kill_leftovers()
    shutil.rmtree(tmp_path, ignore_errors=True)


def _assert_all_stopped(server: DevServer) -> None:
    still = {name: pid for name, pid in server.pids.items() if _alive(pid)}
    assert not still, f"still running after the supervisor exited: {still}\n{server.output()}"
    members = _group_members({pid for name, pid in server.pids.items() if name != "postgres"})
    assert not members, f"grandchildren left behind: {members}\n{server.output()}"
    ports = [int(server.env[name]) for name in ("PORT", "DEV_POSTGRES_PORT", "DEV_REDIS_PORT", "DEV_SMTP_PORT")]
    assert not [port for port in ports if _listening(port)], server.output()


async def _write_probe_row(url: str) -> None:
    conn = await asyncpg.connect(url)
    try:
        await conn.execute("CREATE TABLE devserver_probe (note text)")
        await conn.execute("INSERT INTO devserver_probe VALUES ('kept across restarts')")
    finally:
        await conn.close()


async def _read_probe_rows(url: str) -> list[str]:
    conn = await asyncpg.connect(url)
    try:
        return [row["note"] for row in await conn.fetch("SELECT note FROM devserver_probe")]
    finally:
        await conn.close()


def _mail_lands_in_the_local_mailbox(api: str, data_dir: Path) -> None:
    """A registration's verification email goes through the worker to the mail catcher."""
    body = {"email": "dev-mail@example.com", "password": "correct horse battery", "full_name": "Dev Mail"}
    assert httpx.post(f"{api}/api/v1/auth/register", json=body, timeout=30).status_code == 202
    deadline = time.monotonic() + 30
    while not list((data_dir / "mail").glob("*.eml")) and time.monotonic() < deadline:
        time.sleep(0.2)
    [eml] = list((data_dir / "mail").glob("*.eml"))
    assert b"To: dev-mail@example.com" in eml.read_bytes()
    [entry] = httpx.get(f"{api}/api/v1/dev/mailbox", timeout=10).json()
    assert (
        entry["subject"] == "Finish signing up: confirm your email address" and "/verify-email?token=" in entry["text"]
    )


def test_starts_everything_stops_cleanly_and_keeps_data(devserver: DevServer) -> None:
    env = devserver.env
    api = f"http://127.0.0.1:{env['PORT']}"
    database_url = f"postgresql://postgres@127.0.0.1:{env['DEV_POSTGRES_PORT']}/career_copilot"
    redis_url = f"redis://127.0.0.1:{env['DEV_REDIS_PORT']}/0"

    devserver.start()
    devserver.wait_for(r"^devserver \| ready: ", timeout=90)
    assert httpx.get(f"{api}/health/ready").json()["checks"] == {"postgres": "ok", "redis": "ok"}
    devserver.record_pids()
    assert set(devserver.pids) == {"redis", "mail", "api", "worker", "scheduler", "postgres"}
    text = devserver.output()
    for prefix in ("api", "migrate", "postgres", "redis"):
        assert re.search(rf"^{prefix} \| \S", text, re.MULTILINE), f"no '{prefix} |' lines:\n{text}"
    assert f"{api}/schema" in text
    unprefixed = [line for line in text.splitlines() if not PREFIXED.match(line)]
    assert not unprefixed, f"lines without a prefix: {unprefixed}"
    _mail_lands_in_the_local_mailbox(api, devserver.data_dir)

    asyncio.run(_write_probe_row(database_url))
    with redis.Redis.from_url(redis_url) as client:
        client.set("devserver:probe", "kept too")

    started = time.monotonic()
    assert devserver.stop(signal.SIGINT) == 0
    assert time.monotonic() - started < STOP_BOUND
    _assert_all_stopped(devserver)
    assert "devserver | all stopped" in devserver.output()

    # Same DATA_DIR again: the row and the key are still there; SIGTERM stops it just as cleanly.
    devserver.start()
    devserver.wait_for(r"ready: .*\n(.*\n)*.*ready: ", timeout=60)
    devserver.record_pids()
    assert asyncio.run(_read_probe_rows(database_url)) == ["kept across restarts"]
    with redis.Redis.from_url(redis_url) as client:
        assert client.get("devserver:probe") == b"kept too"
    assert devserver.stop(signal.SIGTERM) == 0
    _assert_all_stopped(devserver)


def test_gives_up_on_a_child_that_keeps_crashing(devserver: DevServer) -> None:
    devserver.env.update(
        DEV_PROCESSES="worker",
        DEV_WORKER_COMMAND=f"{sys.executable} -c \"print('boom'); raise SystemExit(3)\"",
        DEV_MAX_RESTARTS="2",
    )
    devserver.start()
    assert devserver.process is not None
    assert devserver.process.wait(60) == 1
    text = devserver.output()
    assert text.count("worker | boom") == 3, text
    assert "worker exited with code 3; restarting in 0.5s (restart 1 of 2)" in text
    assert "worker exited with code 3; restarting in 1.0s (restart 2 of 2)" in text
    assert "devserver | error: worker exited with code 3 and has crashed 3 times in a row; giving up" in text
    devserver.record_pids()
    _assert_all_stopped(devserver)


def test_a_taken_port_is_named_before_anything_starts(devserver: DevServer) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", int(devserver.env["PORT"])))
        taken.listen()
        devserver.start()
        assert devserver.process is not None
        assert devserver.process.wait(30) == 1
    text = devserver.output()
    assert f"devserver | error: port {devserver.env['PORT']} is in use; set PORT to another port" in text
    assert not (devserver.data_dir / "postgres").exists(), text
