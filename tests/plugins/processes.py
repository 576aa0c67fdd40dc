"""Processes under test: workers and schedulers (`spawn`), api replicas served by uvicorn (`start_api`,
`apis`, `fresh_api`), on the session's Postgres and Redis."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import tempfile
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import pytest_asyncio

from backend.devtools.embedded_services import free_port
from tests.support import ROOT, SessionServices, settings_env

WORKER_ARGS = ("--workers", "1")
# Test-friendly knobs of the api processes (the defaults are minutes and thousands).
API_ENV = {
    "REALTIME_PING_INTERVAL_SECONDS": "1",
    "REALTIME_SOCKET_QUEUE_SIZE": "64",
    "REALTIME_SEND_TIMEOUT_SECONDS": "2",
}


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


@dataclass
class Api:
    url: str
    process: subprocess.Popen[bytes]
    log: Path

    @property
    def ws_url(self) -> str:
        return self.url.replace("http://", "ws://") + "/api/v1/realtime"

    def output(self) -> str:
        return self.log.read_text(errors="replace")


def start_api(services: SessionServices, **extra_env: str) -> Api:
    port = free_port()
    log = Path(tempfile.mkstemp(prefix="api-", suffix=".log")[1])
    command = [sys.executable, "-m", "uvicorn", "--factory", "backend.entrypoints.api:app_from_env"]
    command += ["--host", "127.0.0.1", "--port", str(port), "--ws", "websockets-sansio"]
    command += ["--ws-per-message-deflate", "false", "--log-level", "warning"]
    with log.open("wb") as out:
        process = subprocess.Popen(
            command, cwd=ROOT, env=settings_env(services, **API_ENV, **extra_env), stdout=out, stderr=out
        )
    return Api(f"http://127.0.0.1:{port}", process, log)


async def wait_ready(api: Api, timeout: float = 30) -> None:
    async with httpx.AsyncClient(base_url=api.url) as http:
        for _ in range(int(timeout * 20)):
            if api.process.poll() is not None:
                raise RuntimeError(f"api exited:\n{api.output()}")
            with contextlib.suppress(httpx.HTTPError):
                if (await http.get("/health/ready")).status_code == 200:
                    return
            await asyncio.sleep(0.05)
    raise TimeoutError(f"api not ready:\n{api.output()}")


def stop_api(api: Api) -> None:
    if api.process.poll() is None:
        api.process.send_signal(signal.SIGTERM)
        try:
            api.process.wait(15)
        except subprocess.TimeoutExpired:
            api.process.kill()
            api.process.wait()


@pytest_asyncio.fixture(scope="module")
async def apis(services: SessionServices, db: None) -> AsyncIterator[tuple[Api, Api]]:
    """Two api replicas sharing the test Postgres and Redis."""
    pair = (start_api(services), start_api(services))
    try:
        await asyncio.gather(*(wait_ready(api) for api in pair))
        yield pair
    finally:
        for api in pair:
            stop_api(api)


@pytest.fixture
def fresh_api(services: SessionServices, db: None) -> Iterator[Api]:
    """An api process started by the test itself (cold: no subscription yet)."""
    api = start_api(services)
    try:
        yield api
    finally:
        stop_api(api)
