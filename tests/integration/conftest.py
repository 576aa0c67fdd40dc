"""Shared by the integration tests: a real S3 protocol server (moto) on loopback, and an app served
by uvicorn in the test process.

- `s3_endpoint` (session) the moto server's URL, with the test bucket `BUCKET` created.
- `raw_client(endpoint)` a plain boto3 client, to read or write around the store under test.
- `s3_env(endpoint, prefix)` the S3_* variables of a process (api, worker) that stores under `prefix`.
- `served(app)` serves an app on a free loopback port in this process (real HTTP and websockets).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from typing import Any

import pytest
from litestar import Litestar

from backend.devtools.embedded_services import free_port, wait_for_port

BUCKET = "career-copilot-test"
CREDENTIALS = {"aws_access_key_id": "test", "aws_secret_access_key": "test-secret"}


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[str]:
    """A real S3 protocol server (moto) on a free loopback port, with the test bucket created."""
    from moto.server import ThreadedMotoServer  # only sessions that use S3 pay for importing moto

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        wait_for_port(port, timeout=30)
        url = f"http://127.0.0.1:{port}"
        raw_client(url).create_bucket(Bucket=BUCKET)
        yield url
    finally:
        server.stop()


def raw_client(endpoint: str) -> Any:
    """A plain synchronous boto3 client: reads what the store wrote without going through it."""
    import boto3

    return boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1", **CREDENTIALS)


def s3_env(endpoint: str, prefix: str) -> dict[str, str]:
    """The environment (backend/settings.py StorageSettings) of a process storing in the test bucket
    under `prefix` (keys are `<prefix>/<store key>`)."""
    return {
        "S3_BUCKET": BUCKET,
        "S3_ENDPOINT_URL": endpoint,
        "S3_PREFIX": prefix,
        "S3_ACCESS_KEY_ID": CREDENTIALS["aws_access_key_id"],
        "S3_SECRET_ACCESS_KEY": CREDENTIALS["aws_secret_access_key"],
    }


@asynccontextmanager
async def served(app: Litestar) -> AsyncIterator[str]:
    """Serve `app` with uvicorn on a free loopback port in this process; yields its base URL."""
    import uvicorn

    port = free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()  # raises what stopped it, if anything
            raise RuntimeError("uvicorn stopped before it started serving (see its log above)")
        await asyncio.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task
