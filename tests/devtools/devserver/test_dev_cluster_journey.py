"""The whole journey (register → socket → upload with progress → applications with live changes →
analysis → streamed letter → replay → erase) against `make dev` on a local Redis Cluster
(`DEV_REDIS_CLUSTER=3`: 3 primaries with a replica each), unchanged from one Redis."""

from __future__ import annotations

import sys
from pathlib import Path

from backend.devtools import launcher
from backend.devtools.embedded_services import free_port
from backend.devtools.redis_cluster import free_port_run
from tests import support
from tests.plugins.journey import journey
from tests.support import settings_env


async def test_the_journey_passes_unchanged_on_make_dev_with_a_redis_cluster(
    services: support.SessionServices, tmp_path: Path
) -> None:
    port = free_port()
    env = settings_env(
        services,
        DATA_DIR=str(tmp_path / "dev"),
        PORT=str(port),
        PUBLIC_URL=f"http://127.0.0.1:{port}",
        ALLOWED_ORIGINS=f"http://127.0.0.1:{port}",
        DEV_SMTP_PORT=str(free_port()),
        DEV_REDIS_CLUSTER="3",
        DEV_REDIS_CLUSTER_PORT=str(free_port_run(6)),
        DEV_PROCESSES="api,worker",
        DEV_WORKER_COMMAND=f"{sys.executable} -m backend.entrypoints.worker --workers 1",
        AI_BUILTIN_TOKEN_DELAY_MS="20",
        NO_COLOR="1",
    )
    for name in ("REDIS_URL", "REDIS_CLUSTER", "TASK_STREAM_PARTITIONS"):
        env.pop(name, None)  # make dev provides them: its cluster, and two partitions per primary
    log = tmp_path / "devserver.log"
    process = launcher.Process.start(launcher.module_command("backend.devtools.devserver"), env=env, log=log)
    try:
        process.wait_line(r"^devserver \| ready: ", within=240)
        assert "REDIS_CLUSTER=true, 3 masters + 3 replicas" in log.read_text()
        seen = await journey(f"http://127.0.0.1:{port}")
    finally:
        process.stop(grace=60)
    kinds = {event["type"] for event in seen.events}
    assert {"resume.parse.progress", "resume.parsed", "application.changed", "analysis.completed"} <= kinds
    print(f"\njourney on make dev with a Redis Cluster: {len(seen.events)} events, devserver log {log}")
