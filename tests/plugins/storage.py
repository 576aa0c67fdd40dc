"""Real stores: a real S3 protocol server (moto) on loopback, and temp directories.

- `s3_endpoint` (session) the moto server's URL, with the test bucket `BUCKET` created.
- `raw_client(endpoint)` a plain boto3 client, to read or write around the store under test.
- `s3_env(endpoint, prefix)` the S3_* variables of a process (api, worker) that stores under `prefix`.

`backend` is parametrized over `local` and `s3`: each test gets a fresh, isolated inner store (its own
directory, or its own key prefix in the shared bucket) plus a way to read the bytes at rest directly,
bypassing the store (from disk, or with a plain boto3 client).
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
import pytest_asyncio

from backend.devtools.embedded_services import free_port, wait_for_port
from backend.platform.storage import LocalStore, ObjectStore
from backend.platform.storage.s3 import S3Store
from backend.settings import StorageSettings

if TYPE_CHECKING:
    import aioboto3

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


@dataclass
class Backend:
    name: str
    store: ObjectStore  # opened
    read_raw: Callable[[str], bytes]  # the bytes at rest under a key, read around the store
    write_raw: Callable[[str, bytes], None]


def s3_settings(endpoint: str, **overrides: Any) -> StorageSettings:
    options: dict[str, Any] = {
        "s3_bucket": BUCKET,
        "s3_prefix": f"t-{uuid.uuid4().hex[:12]}/",
        "s3_endpoint_url": endpoint,
        "s3_access_key_id": CREDENTIALS["aws_access_key_id"],
        "s3_secret_access_key": CREDENTIALS["aws_secret_access_key"],
        "s3_addressing_style": "path",
        **overrides,
    }
    return StorageSettings(**options)


@pytest.fixture(scope="session")
def aws_session() -> aioboto3.Session:
    """Shared by the tests' stores: loading botocore's S3 model once saves ~0.3 s per test."""
    import aioboto3  # only sessions that use S3 pay for importing it

    return aioboto3.Session()


@pytest_asyncio.fixture
async def s3_store(s3_endpoint: str, aws_session: aioboto3.Session) -> AsyncIterator[S3Store]:
    store = S3Store(s3_settings(s3_endpoint), aws_session)
    await store.open()
    yield store
    await store.close()


@pytest_asyncio.fixture
async def local_store(tmp_path: Path) -> AsyncIterator[LocalStore]:
    store = LocalStore(tmp_path / "objects")
    await store.open()
    yield store
    await store.close()


def _write_file(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


@pytest.fixture(params=["local", "s3"])
def backend(request: pytest.FixtureRequest) -> Backend:
    if request.param == "local":
        local: LocalStore = request.getfixturevalue("local_store")
        return Backend(
            "local",
            local,
            read_raw=lambda key: local.root.joinpath(key).read_bytes(),
            write_raw=lambda key, data: _write_file(local.root.joinpath(key), data),
        )
    s3: S3Store = request.getfixturevalue("s3_store")
    client = raw_client(request.getfixturevalue("s3_endpoint"))
    return Backend(
        "s3",
        s3,
        read_raw=lambda key: client.get_object(Bucket=BUCKET, Key=s3.prefix + key)["Body"].read(),
        write_raw=lambda key, data: client.put_object(Bucket=BUCKET, Key=s3.prefix + key, Body=data),
    )
