"""`make dev` as a whole (a plugin of the root conftest).

Fixtures:
- `devserver`  the real devserver on the session's Postgres and Redis with DEV_API_PROCESSES=2 behind
               its nginx and DEV_WORKER_PROCESSES=2: (the process, its base URL, its environment).
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from backend.devtools import launcher
from backend.devtools.embedded_services import free_port
from tests import support
from tests.support import settings_env


@pytest.fixture
def devserver(services: support.SessionServices, tmp_path: Path) -> Iterator[tuple[Any, str, dict[str, str]]]:
    port = free_port()
    env = settings_env(
        services,
        DATA_DIR=str(tmp_path / "dev"),
        PORT=str(port),
        PUBLIC_URL=f"http://127.0.0.1:{port}",
        ALLOWED_ORIGINS=f"http://127.0.0.1:{port}",
        DEV_SMTP_PORT=str(free_port()),
        DEV_API_PROCESSES="2",
        DEV_WORKER_PROCESSES="2",
        # 1 s for running tasks on SIGTERM: letters still streaming are cut off and handed back
        DEV_WORKER_COMMAND=f"{sys.executable} -m backend.entrypoints.worker --workers 1 --wait-tasks-timeout 1",
        DEV_PROCESSES="api,worker",
        API_DRAIN_SECONDS="1",
        REALTIME_HISTORY_MAX_EVENTS="100000",  # the whole run stays in history: what was missed, how often parsed
        AI_BUILTIN_TOKEN_DELAY_MS="20",
        REGISTER_MAX_PER_IP="1000",  # the rollout's load signs up every user from 127.0.0.1
        NO_COLOR="1",
    )
    log = tmp_path / "devserver.log"
    process = launcher.Process.start(launcher.module_command("backend.devtools.devserver"), env=env, log=log)
    try:
        process.wait_line(r"^devserver \| ready: ", within=240)
        yield process, f"http://127.0.0.1:{port}", env
    finally:
        process.stop(grace=90)
        print(f"devserver log: {log}")
