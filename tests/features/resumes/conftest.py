"""The end-to-end parse tests' `stack`, parametrized `local` / `s3`: an api and the environment of its
workers, both on the same object store."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio

from backend.settings import Settings
from tests import support
from tests.plugins.resumes import Stack
from tests.plugins.services import served
from tests.plugins.storage import BUCKET, raw_client, s3_env
from tests.support import settings_env


@pytest.fixture(params=["local", "s3"])
def stack(request: pytest.FixtureRequest, services: support.SessionServices, settings: Settings) -> Stack:
    local_dir = Path(settings.storage.local_dir)
    if request.param == "local":  # the session's api (`app_url`, as `client` uses) and the default store
        return Stack(
            "local",
            request.getfixturevalue("app_url"),
            settings_env(services),
            read_raw=lambda key: local_dir.joinpath(key).read_bytes(),
            local_dir=local_dir,
        )
    endpoint, prefix, api_url = request.getfixturevalue("s3_api")
    client = raw_client(endpoint)
    return Stack(
        "s3",
        api_url,
        settings_env(services, **s3_env(endpoint, prefix)),
        read_raw=lambda key: client.get_object(Bucket=BUCKET, Key=f"{prefix}/{key}")["Body"].read(),
        local_dir=local_dir,
    )


@pytest_asyncio.fixture
async def s3_api(services: support.SessionServices, s3_endpoint: str, db: None) -> AsyncIterator[tuple[str, str, str]]:
    """(endpoint, key prefix, api url): a second api in this process, storing in the moto bucket under
    a prefix of its own. It pings idle sockets every second, so tests meet server pings too."""
    from backend.entrypoints.api import create_app

    prefix = f"e2e-{uuid.uuid4().hex[:12]}"
    env = settings_env(services, **s3_env(s3_endpoint, prefix), REALTIME_PING_INTERVAL_SECONDS="1")
    async with served(create_app(Settings.from_env(env))) as url:
        yield s3_endpoint, prefix, url
