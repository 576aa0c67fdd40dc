"""Objects in an S3 bucket via aioboto3: AWS, MinIO, or any S3-compatible server.

One client per process, opened in `open()` and closed in `close()` (its connection pool is reused by
every call). Timeouts and retries come from botocore's `Config` ("standard" mode: exponential backoff
on throttling, 5xx and connection errors). Failures surface as the storage errors of `base`:
ObjectNotFound, StorageUnavailable (unreachable or still failing after retries, 503) and
StorageError (refused: credentials, bucket or permissions, 500).
"""

from __future__ import annotations

import contextlib
from typing import Any

import aioboto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from backend.platform.storage import base
from backend.settings import StorageSettings

_MISSING = {"NoSuchKey", "404", "NotFound"}
_TRANSIENT = {"500", "502", "503", "504", "InternalError", "ServiceUnavailable", "SlowDown", "RequestTimeout"}
_MAX_PRESIGN_SECONDS = 7 * 86400  # SigV4 limit


class S3Store:
    """ObjectStore on one bucket, under an optional key prefix."""

    page_size = 1000  # keys per listing page = per DeleteObjects call (S3's maximum for both)

    def __init__(self, settings: StorageSettings, session: aioboto3.Session | None = None) -> None:
        """`session` may be shared by several stores (it caches botocore's service models)."""
        if not settings.s3_bucket:
            raise ValueError("S3Store needs a bucket (S3_BUCKET)")
        self.bucket, self.prefix = settings.s3_bucket, settings.s3_prefix
        self._settings = settings
        self._session = session or aioboto3.Session()
        self._stack: contextlib.AsyncExitStack | None = None
        self._client: Any = None

    async def open(self) -> None:
        if self._client is not None:
            return
        s = self._settings
        config = Config(
            region_name=s.s3_region,
            signature_version="s3v4",
            s3={"addressing_style": s.s3_addressing_style},
            connect_timeout=s.s3_connect_timeout_seconds,
            read_timeout=s.s3_read_timeout_seconds,
            retries={"mode": "standard", "max_attempts": s.s3_max_attempts},
            max_pool_connections=s.s3_max_pool_connections,
        )
        stack = contextlib.AsyncExitStack()
        self._client = await stack.enter_async_context(
            self._session.client(
                "s3",
                endpoint_url=s.s3_endpoint_url,
                aws_access_key_id=s.s3_access_key_id,
                aws_secret_access_key=s.s3_secret_access_key,
                config=config,
            )
        )
        self._stack = stack

    async def close(self) -> None:
        stack, self._stack, self._client = self._stack, None, None
        if stack is not None:
            await stack.aclose()

    async def put(self, key: str, data: bytes, content_type: str = "application/octet-stream") -> None:
        extra: dict[str, str] = {}
        if self._settings.s3_sse:
            extra["ServerSideEncryption"] = self._settings.s3_sse
            if self._settings.s3_sse == "aws:kms" and self._settings.s3_sse_kms_key_id:
                extra["SSEKMSKeyId"] = self._settings.s3_sse_kms_key_id
        async with self._call(key):
            await self.client.put_object(
                Bucket=self.bucket, Key=self._key(key), Body=data, ContentType=content_type, **extra
            )

    async def get(self, key: str) -> bytes:
        async with self._call(key):
            response = await self.client.get_object(Bucket=self.bucket, Key=self._key(key))
            async with response["Body"] as body:
                data: bytes = await body.read()
                return data

    async def delete(self, key: str) -> None:
        async with self._call(key):
            await self.client.delete_object(Bucket=self.bucket, Key=self._key(key))

    async def exists(self, key: str) -> bool:
        try:
            async with self._call(key):
                await self.client.head_object(Bucket=self.bucket, Key=self._key(key))
        except base.ObjectNotFound:
            return False
        return True

    async def delete_prefix(self, prefix: str) -> int:
        full_prefix = self.prefix + base.check_prefix(prefix)
        deleted = 0
        async with self._call(prefix):
            pages = self.client.get_paginator("list_objects_v2").paginate(
                Bucket=self.bucket, Prefix=full_prefix, PaginationConfig={"PageSize": self.page_size}
            )
            async for page in pages:
                objects = [{"Key": item["Key"]} for item in page.get("Contents", [])]
                if not objects:
                    continue
                result = await self.client.delete_objects(
                    Bucket=self.bucket, Delete={"Objects": objects, "Quiet": True}
                )
                if failed := result.get("Errors"):
                    raise base.StorageError(f"could not delete {len(failed)} objects: {failed[0].get('Code')}")
                deleted += len(objects)
        return deleted

    async def presigned_get_url(self, key: str, expires_in: int, filename: str) -> str | None:
        if not 0 < expires_in <= _MAX_PRESIGN_SECONDS:
            raise ValueError(f"expires_in must be 1..{_MAX_PRESIGN_SECONDS} seconds")
        params = {
            "Bucket": self.bucket,
            "Key": self._key(key),
            "ResponseContentDisposition": base.content_disposition(filename),
        }
        url: str = await self.client.generate_presigned_url("get_object", Params=params, ExpiresIn=expires_in)
        return url

    @property
    def client(self) -> Any:
        if self._client is None:
            raise RuntimeError("S3Store is not open: call `await store.open()` first")
        return self._client

    def _key(self, key: str) -> str:
        return self.prefix + base.check_key(key)

    @contextlib.asynccontextmanager
    async def _call(self, key: str) -> Any:
        """Translate botocore's errors into the storage errors."""
        try:
            yield
        except ClientError as exc:
            code = str(exc.response.get("Error", {}).get("Code", ""))
            if code in _MISSING:
                raise base.ObjectNotFound(key) from None
            if code in _TRANSIENT:
                raise base.StorageUnavailable(f"object storage is failing ({code})") from exc
            raise base.StorageError(f"object storage refused the request ({code})") from exc
        except BotoCoreError as exc:  # endpoint unreachable, timeouts (after the retries)
            raise base.StorageUnavailable(f"object storage is unreachable ({type(exc).__name__})") from exc
