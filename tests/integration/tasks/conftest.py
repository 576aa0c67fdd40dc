"""Fixtures for the task tests: worker/scheduler subprocesses, a sending broker, polling helpers."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import pytest_asyncio
import redis.asyncio as aioredis
from taskiq import AsyncBroker

from backend.platform.jobs.runtime import build_broker
from backend.settings import Settings
from tests.integration.tasks import probe_tasks
from tests.support import ROOT

PROBE_ARGS = ("--workers", "1", "--tasks-module", probe_tasks.MODULE)


@dataclass
class Process:
    """A `python -m <module>` child in its own process group (so a SIGKILL takes its children too)."""

    popen: subprocess.Popen[bytes]
    log: Path

    @property
    def alive(self) -> bool:
        return self.popen.poll() is None

    def signal_group(self, sig: int) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.popen.pid, sig)

    def terminate(self, timeout: float) -> int:
        """SIGTERM the main process only (as an orchestrator does) and wait for its exit status."""
        self.popen.send_signal(signal.SIGTERM)
        return self.popen.wait(timeout)

    def output(self) -> str:
        return self.log.read_text(errors="replace")


Spawn = Callable[..., Process]


@pytest.fixture
def spawn(tmp_path: Path) -> Iterator[Spawn]:
    """Start `python -m module *args` with `env`; every process group is killed at teardown."""
    started: list[Process] = []

    def start(module: str, env: dict[str, str], *args: str) -> Process:
        log = tmp_path / f"{module}-{len(started)}.log"
        with log.open("wb") as out:
            popen = subprocess.Popen(
                [sys.executable, "-m", module, *args],
                cwd=ROOT,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        started.append(Process(popen, log))
        return started[-1]

    yield start
    for process in started:
        process.signal_group(signal.SIGKILL)
        process.popen.wait(10)


@pytest_asyncio.fixture
async def sender(settings: Settings) -> AsyncIterator[AsyncBroker]:
    """A client-side stream broker of the test session, to send tasks from the test."""
    broker = build_broker(settings)
    await broker.startup()
    yield broker
    await broker.shutdown()


async def eventually(check: Callable[[], Awaitable[object]], within: float, what: str) -> object:
    """Poll `check` until it returns something truthy and return that; fail after `within` seconds."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if result := await check():
            return result
        await asyncio.sleep(0.05)
    pytest.fail(f"timed out after {within}s waiting for {what}")


async def all_acked(redis: aioredis.Redis, settings: Settings) -> bool:
    """No message of the worker queue is delivered and still unacknowledged: every task that
    started has returned (the stream broker acks after the task, failed ones included)."""
    summary = await redis.xpending(settings.worker.queue_name, settings.worker.consumer_group)
    return int(summary["pending"]) == 0
