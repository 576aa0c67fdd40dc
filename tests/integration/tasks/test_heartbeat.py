"""The worker and scheduler containers' health check (tasks.heartbeat): live while their loop
turns, not live when it is stuck, and not live before any process of the role has started."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path

from backend.settings import Settings
from tasks import heartbeat
from tests import support
from tests.conftest import settings_env
from tests.integration.tasks.conftest import PROBE_ARGS, Spawn, eventually


def _check(role: str, tmp: Path, max_age: float) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "tasks.heartbeat", role, "--max-age", str(max_age)]
    return subprocess.run(
        command, env={**os.environ, "TMPDIR": str(tmp)}, capture_output=True, text=True, timeout=30, check=False
    )


def _answers(role: str, tmp: Path, max_age: float, code: int) -> Callable[[], Awaitable[bool]]:
    async def check() -> bool:
        return _check(role, tmp, max_age).returncode == code

    return check


def _beating_pids(tmp: Path, role: str) -> list[int]:
    return [int(path.name.rpartition("-")[2]) for path in (tmp / heartbeat.directory().name).glob(f"{role}-*")]


async def test_a_worker_is_live_while_its_loop_turns_and_not_once_it_is_stuck(
    services: support.SessionServices, settings: Settings, spawn: Spawn, tmp_path: Path
) -> None:
    before = _check("worker", tmp_path, 3)
    assert before.returncode == 1 and "no worker process has a heartbeat" in before.stderr

    worker = spawn("tasks.worker", {**settings_env(services), "TMPDIR": str(tmp_path)}, *PROBE_ARGS)
    await eventually(_answers("worker", tmp_path, 3, 0), 30, "the worker to be live")
    (child,) = _beating_pids(tmp_path, "worker")  # the taskiq worker process (one: --workers 1)
    assert child != worker.popen.pid

    os.kill(child, signal.SIGSTOP)  # a wedged event loop: nothing turns
    try:
        await eventually(_answers("worker", tmp_path, 3, 1), 30, "the stuck worker to be reported")
        assert f"pid {child} last beat" in _check("worker", tmp_path, 3).stderr
    finally:
        os.kill(child, signal.SIGCONT)
    await eventually(_answers("worker", tmp_path, 3, 0), 30, "the worker to be live again")


async def test_the_scheduler_is_live_and_a_dead_ones_heartbeat_does_not_count(
    services: support.SessionServices, spawn: Spawn, tmp_path: Path
) -> None:
    scheduler = spawn("tasks.scheduler", {**settings_env(services), "TMPDIR": str(tmp_path)})
    await eventually(_answers("scheduler", tmp_path, 10, 0), 30, "the scheduler to be live")
    scheduler.signal_group(signal.SIGKILL)
    scheduler.popen.wait(10)
    gone = _check("scheduler", tmp_path, 10)
    assert gone.returncode == 1 and "no scheduler process has a heartbeat" in gone.stderr
