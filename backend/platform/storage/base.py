"""The object store interface, its errors and the key rules every implementation enforces.

Keys are chosen by the server (e.g. `users/<uuid>/resumes/<uuid>/v1`), never taken from a request:
`/`-separated segments of letters, digits and `._=-`, no empty, `.`-leading or `..` segment, at most
512 bytes. Anything else raises InvalidObjectKey before any I/O, so `../../etc/passwd` cannot escape.
"""

from __future__ import annotations

import re
from typing import Protocol
from urllib.parse import quote

from backend import errors

MAX_KEY_LENGTH = 512
_SEGMENT = re.compile(r"[A-Za-z0-9_=-][A-Za-z0-9._=-]*")


class ObjectNotFound(errors.NotFound):
    """No object under this key."""

    def __init__(self, key: str) -> None:
        super().__init__("File not found")  # the key stays server-side: it names internal ids
        self.key = key


class InvalidObjectKey(errors.BadRequest):
    """A key or prefix breaks the key rules (path traversal, odd characters, too long)."""


class StorageUnavailable(errors.ServiceUnavailable):
    """The store cannot be reached or keeps failing after retries; retry later."""


class StorageError(errors.AppError):
    """The store refused the request (misconfiguration: credentials, bucket, permissions)."""

    slug, title = "storage-error", "Storage error"


def check_key(key: str) -> str:
    """`key` when it follows the key rules, else InvalidObjectKey."""
    if not isinstance(key, str) or not key or len(key.encode()) > MAX_KEY_LENGTH:
        raise InvalidObjectKey("object key must be 1-512 bytes")
    if not all(_SEGMENT.fullmatch(segment) for segment in key.split("/")):
        raise InvalidObjectKey(f"object key {key!r} is not a safe relative path")
    return key


def check_prefix(prefix: str) -> str:
    """A non-empty prefix of keys (`users/<id>/`): deleting "everything" is never what is meant."""
    check_key(prefix.removesuffix("/"))
    return prefix


def content_disposition(filename: str) -> str:
    """`attachment` with an ASCII fallback and the RFC 6266 / 5987 UTF-8 name."""
    fallback = re.sub(r"[^A-Za-z0-9._ ()-]", "_", filename).strip() or "download"
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"


class ObjectStore(Protocol):
    """Bytes under keys. Implementations: LocalStore, S3Store, EncryptedStore (wraps either)."""

    async def open(self) -> None:
        """Acquire clients (once per process, e.g. in the lifespan or the worker startup hook)."""

    async def close(self) -> None:
        """Release what `open` acquired."""

    async def put(self, key: str, data: bytes, content_type: str = "application/octet-stream") -> None:
        """Store `data` under `key` atomically, replacing any object there."""

    async def get(self, key: str) -> bytes:
        """The object's bytes; ObjectNotFound when there is none."""
        ...

    async def delete(self, key: str) -> None:
        """Remove the object; a missing object is fine (idempotent)."""

    async def exists(self, key: str) -> bool:
        """True when an object is stored under `key`."""
        ...

    async def delete_prefix(self, prefix: str) -> int:
        """Remove every object whose key starts with `prefix` (account erasure); how many went."""
        ...

    async def presigned_get_url(self, key: str, expires_in: int, filename: str) -> str | None:
        """A short-lived URL that downloads the object as `filename`, or None: stream it yourself."""
        ...
