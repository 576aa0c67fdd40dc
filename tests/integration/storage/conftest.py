"""Real stores for the storage tests: the moto S3 server of tests/integration/conftest.py and temp directories.

`backend` is parametrized over `local` and `s3`: each test gets a fresh, isolated inner store (its own
directory, or its own key prefix in the shared bucket) plus a way to read the bytes at rest directly,
bypassing the store (from disk, or with a plain boto3 client).
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aioboto3
import pytest
import pytest_asyncio

from backend.platform.storage import LocalStore, ObjectStore
from backend.platform.storage.s3 import S3Store
from backend.settings import StorageSettings
from tests.integration.conftest import BUCKET, CREDENTIALS, raw_client


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
