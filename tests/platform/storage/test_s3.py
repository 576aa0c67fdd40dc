"""S3Store specifics against the moto server: presigned URLs, SSE header, prefix, failures, paging."""

from __future__ import annotations

import asyncio
import time

import aioboto3
import httpx
import pytest

from backend.devtools.embedded_services import free_port
from backend.platform.storage import StorageError, StorageUnavailable
from backend.platform.storage.s3 import S3Store
from tests.plugins.storage import BUCKET, raw_client, s3_settings


async def test_presigned_url_downloads_the_object_with_its_name(s3_store: S3Store) -> None:
    await s3_store.put("users/u1/cv", b"%PDF-1.7 resume bytes", "application/pdf")
    url = await s3_store.presigned_get_url("users/u1/cv", 60, "Zoë résumé.pdf")
    assert url is not None and "X-Amz-Signature=" in url and "X-Amz-Expires=60" in url
    async with httpx.AsyncClient() as http:
        response = await http.get(url)
        assert response.status_code == 200 and response.content == b"%PDF-1.7 resume bytes"
        assert response.headers["content-type"] == "application/pdf"
        disposition = response.headers["content-disposition"]
        assert disposition.startswith('attachment; filename="Zo_ r_sum_.pdf"') and "UTF-8''Zo%C3%AB" in disposition
        await s3_store.delete("users/u1/cv")
        assert (await http.get(url)).status_code in {403, 404}  # S3 says 403 without ListBucket
    with pytest.raises(ValueError, match="expires_in"):
        await s3_store.presigned_get_url("users/u1/cv", 8 * 86400, "cv.pdf")


async def test_keys_live_under_the_prefix_with_the_sse_header(s3_endpoint: str, aws_session: aioboto3.Session) -> None:
    store = S3Store(s3_settings(s3_endpoint, s3_sse="AES256"), aws_session)
    await store.open()
    await store.open()  # idempotent
    try:
        await store.put("users/u1/cv", b"x", "application/pdf")
        head = raw_client(s3_endpoint).head_object(Bucket=BUCKET, Key=store.prefix + "users/u1/cv")
        assert head["ServerSideEncryption"] == "AES256" and head["ContentType"] == "application/pdf"
        listed = raw_client(s3_endpoint).list_objects_v2(Bucket=BUCKET, Prefix=store.prefix)
        assert [item["Key"] for item in listed["Contents"]] == [store.prefix + "users/u1/cv"]
    finally:
        await store.close()
        await store.close()
    with pytest.raises(RuntimeError, match="not open"):
        await store.get("users/u1/cv")


async def test_delete_prefix_pages_through_the_listing(s3_store: S3Store) -> None:
    s3_store.page_size = 10  # 1,000 in production; small here so paging is exercised quickly
    await asyncio.gather(*(s3_store.put(f"users/u1/f{i}", b"x") for i in range(35)))
    await s3_store.put("users/u2/keep", b"y")
    assert await s3_store.delete_prefix("users/u1/") == 35
    assert await s3_store.exists("users/u2/keep")


async def test_unreachable_server_is_unavailable_fast(aws_session: aioboto3.Session) -> None:
    settings = s3_settings(f"http://127.0.0.1:{free_port()}", s3_connect_timeout_seconds=1.0, s3_max_attempts=1)
    store = S3Store(settings, aws_session)
    await store.open()
    try:
        started = time.monotonic()
        with pytest.raises(StorageUnavailable) as caught:
            await store.get("users/u1/cv")
        assert caught.value.status == 503 and time.monotonic() - started < 5
    finally:
        await store.close()


async def test_a_missing_bucket_is_a_storage_error(s3_endpoint: str, aws_session: aioboto3.Session) -> None:
    store = S3Store(s3_settings(s3_endpoint, s3_bucket="no-such-bucket"), aws_session)
    await store.open()
    try:
        with pytest.raises(StorageError, match="NoSuchBucket") as caught:
            await store.put("users/u1/cv", b"x")
        assert caught.value.status == 500
    finally:
        await store.close()
