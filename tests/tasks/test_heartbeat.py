"""The worker and scheduler containers' health check (tasks.heartbeat): live while their loop
turns (also while Redis hangs), not live when it is stuck, not live before any process of the role
has started, and not fooled by a file a previous container left for a pid now reused."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from backend.devtools.embedded_services import EmbeddedRedis, free_port
from backend.settings import Settings
from tasks import heartbeat
from tests import support
from tests.plugins.processes import Spawn
from tests.plugins.tasks import PROBE_ARGS
from tests.support import eventually, settings_env

MAX_AGE = 5.0  # above heartbeat.INTERVAL (2 s), far below a Redis command hung for its socket timeout (11 s)


@dataclass
class Answer:
    returncode: int
    stderr: str


async def _check(role: str, tmp: Path, max_age: float) -> Answer:
    process = await asyncio.create_subprocess_exec(
        *[sys.executable, "-m", "tasks.heartbeat", role, "--max-age", str(max_age)],
        env={**os.environ, "TMPDIR": str(tmp)},
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    _, stderr = await asyncio.wait_for(process.communicate(), 30)
    assert process.returncode is not None
    return Answer(process.returncode, stderr.decode())


def _answers(role: str, tmp: Path, max_age: float, code: int) -> Callable[[], Awaitable[bool]]:
    async def check() -> bool:
        return (await _check(role, tmp, max_age)).returncode == code

    return check


def _beating_pids(tmp: Path, role: str) -> list[int]:
    return [int(path.name.rpartition("-")[2]) for path in (tmp / heartbeat.directory().name).glob(f"{role}-*")]


async def test_a_worker_is_live_while_its_loop_turns_and_not_once_it_is_stuck(
    services: support.SessionServices, settings: Settings, spawn: Spawn, tmp_path: Path
) -> None:
    before = await _check("worker", tmp_path, MAX_AGE)
    assert before.returncode == 1 and "no worker process has a heartbeat" in before.stderr

    worker = spawn("backend.entrypoints.worker", {**settings_env(services), "TMPDIR": str(tmp_path)}, *PROBE_ARGS)
    await eventually(_answers("worker", tmp_path, MAX_AGE, 0), 30, "the worker to be live")
    (child,) = _beating_pids(tmp_path, "worker")  # the taskiq worker process (one: --workers 1)
    assert child != worker.popen.pid

    os.kill(child, signal.SIGSTOP)  # a wedged event loop: nothing turns
    try:
        await eventually(_answers("worker", tmp_path, MAX_AGE, 1), 30, "the stuck worker to be reported")
        assert f"pid {child} last beat" in (await _check("worker", tmp_path, MAX_AGE)).stderr
    finally:
        os.kill(child, signal.SIGCONT)
    await eventually(_answers("worker", tmp_path, MAX_AGE, 0), 30, "the worker to be live again")


async def test_the_scheduler_is_live_and_a_dead_ones_heartbeat_does_not_count(
    services: support.SessionServices, spawn: Spawn, tmp_path: Path
) -> None:
    scheduler = spawn("backend.entrypoints.scheduler", {**settings_env(services), "TMPDIR": str(tmp_path)})
    await eventually(_answers("scheduler", tmp_path, 10, 0), 30, "the scheduler to be live")
    scheduler.signal_group(signal.SIGKILL)
    scheduler.popen.wait(10)
    gone = await _check("scheduler", tmp_path, 10)
    assert gone.returncode == 1 and "no scheduler process has a heartbeat" in gone.stderr


async def test_a_worker_waiting_on_a_hung_redis_stays_live(
    services: support.SessionServices, spawn: Spawn, tmp_path: Path
) -> None:
    """Redis stops answering without refusing connections (SIGSTOP): each command blocks for the
    socket timeout, with retries over a minute. The loop still turns, so the worker stays live."""
    server = EmbeddedRedis(tmp_path / "redis", free_port(), persistent=False)
    server.start()
    assert server.process is not None
    try:
        env = {**settings_env(services, REDIS_URL=server.url(0)), "TMPDIR": str(tmp_path)}
        spawn("backend.entrypoints.worker", env, *PROBE_ARGS)
        await eventually(_answers("worker", tmp_path, MAX_AGE, 0), 30, "the worker to be live")
        server.process.send_signal(signal.SIGSTOP)
        try:
            hung_until = time.monotonic() + 11 + 2 * MAX_AGE  # past one whole socket timeout
            while time.monotonic() < hung_until:  # a condition that must hold throughout, polled
                answer = await _check("worker", tmp_path, MAX_AGE)
                assert answer.returncode == 0, answer.stderr
                await asyncio.sleep(0.5)
        finally:
            server.process.send_signal(signal.SIGCONT)
    finally:
        server.stop()


async def test_a_file_left_for_a_reused_pid_is_removed_and_does_not_fail_the_check(
    services: support.SessionServices, spawn: Spawn, tmp_path: Path
) -> None:
    """After a container restart, `worker-<pid>` of the old container may name a live process of the
    new one (here: this test process) that never beats: its recorded start time gives it away."""
    worker = spawn("backend.entrypoints.worker", {**settings_env(services), "TMPDIR": str(tmp_path)}, *PROBE_ARGS)
    await eventually(_answers("worker", tmp_path, MAX_AGE, 0), 30, "the worker to be live")
    stale = tmp_path / heartbeat.directory().name / f"worker-{os.getpid()}"
    stale.write_text("1")  # started one tick after boot: not this process
    old = time.time() - 3600
    os.utime(stale, (old, old))

    answer = await _check("worker", tmp_path, MAX_AGE)
    assert answer.returncode == 0, answer.stderr
    assert not stale.exists()
    assert worker.alive


def _own_start_time() -> str:
    stat = Path(f"/proc/{os.getpid()}/stat")
    return stat.read_text().rpartition(")")[2].split()[19] if stat.exists() else ""


async def test_a_process_beats_with_its_start_time(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The file holds /proc/<pid>/stat field 22 of the process, so the check can tell it from a
    process that reuses its pid; where /proc is missing the file is empty and the pid decides."""
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))  # this process's heartbeat directory
    beating = asyncio.create_task(heartbeat.run("scheduler", interval=0.05))
    path = heartbeat.directory() / f"scheduler-{os.getpid()}"
    try:
        await eventually(lambda: asyncio.sleep(0, path.exists()), 10, "the first beat")
        first = path.stat().st_mtime_ns
        await eventually(lambda: asyncio.sleep(0, path.stat().st_mtime_ns > first), 10, "a later beat")
        assert path.read_text() == _own_start_time()
        assert heartbeat.problem("scheduler", 60) is None
    finally:
        beating.cancel()
        path.unlink(missing_ok=True)
