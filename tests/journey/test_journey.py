"""The whole journey over the public API against real api and worker processes, on whatever Redis
the session runs on (one Redis, or the local cluster with TEST_REDIS_CLUSTER=3)."""

from __future__ import annotations

from typing import Any

from tests.plugins.journey import journey
from tests.plugins.processes import WORKER_ARGS, start_api, stop_api, wait_ready
from tests.support import SessionServices, settings_env


async def test_the_whole_journey_over_http_and_the_socket(services: SessionServices, db: None, spawn: Any) -> None:
    spawn("backend.entrypoints.worker", settings_env(services, AI_BUILTIN_TOKEN_DELAY_MS="20"), *WORKER_ARGS)
    api = start_api(services)
    try:
        await wait_ready(api)
        seen = await journey(api.url)
    finally:
        stop_api(api)
    kinds = [event["type"] for event in seen.events]
    for kind in ("resume.parse.progress", "resume.parsed", "application.changed", "analysis.completed"):
        assert kind in kinds
    print(f"\njourney: {len(kinds)} events, upload to parsed {seen.timings['upload_to_parsed_s']:.1f} s")
