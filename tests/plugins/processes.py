"""Processes under test, started by the project's launcher (backend/devtools/launcher.py): workers and
schedulers (`spawn`), api replicas served by uvicorn (`start_api`, `apis`, `fresh_api`), on the session's
Postgres and Redis."""

from __future__ import annotations

import asyncio
import tempfile
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import pytest
import pytest_asyncio

from backend.devtools import launcher
from backend.devtools.embedded_services import free_port
from backend.devtools.launcher import Process, Processes
from tests.support import SessionServices, settings_env

WORKER_ARGS = ("--workers", "1")
# Test-friendly knobs of the api processes (the defaults are minutes and thousands).
API_ENV = {
    "REALTIME_PING_INTERVAL_SECONDS": "1",
    "REALTIME_SOCKET_QUEUE_SIZE": "64",
    "REALTIME_SEND_TIMEOUT_SECONDS": "2",
    "API_DRAIN_SECONDS": "0.5",
}


Spawn = Callable[..., Process]


@pytest.fixture
def spawn(tmp_path: Path) -> Iterator[Spawn]:
    """Start `python -m module *args` with `env` in its own process group (its log in `tmp_path`);
    every group is killed at teardown."""
    started = Processes()

    def start(module: str, env: dict[str, str], *args: str) -> Process:
        log = tmp_path / f"{module}-{len(started.started)}.log"
        return started.start(launcher.module_command(module, *args), env=env, log=log)

    yield start
    started.kill_all()


class Api(Process):
    """An api process (uvicorn) serving `url`."""

    @property
    def ws_url(self) -> str:
        return self.url.replace("http://", "ws://") + "/api/v1/realtime"


def start_api(services: SessionServices, **extra_env: str) -> Api:
    """An api on a free port with the test-friendly API_ENV; its log in a temporary file."""
    port = free_port()
    log = Path(tempfile.mkstemp(prefix="api-", suffix=".log")[1])
    command = launcher.api_command(port, log_level="warning")
    env = settings_env(services, **{**API_ENV, **extra_env})
    return Api.start(command, env=env, log=log, name="api", own_group=False, url=f"http://127.0.0.1:{port}")


async def wait_ready(api: Api, timeout: float = 30) -> None:
    """Until the api answers /health/ready with 200 (launcher.NotReady with its log if it exits or times out)."""
    await api.wait_url_async(f"{api.url}/health/ready", within=timeout)


def stop_api(api: Api) -> None:
    """SIGTERM, then SIGKILL after 15 s."""
    api.stop(grace=15)


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
