"""Object storage for resume files: one interface, local disk or S3, encrypted at rest.

    store = storage.build_store(settings)   # EncryptedStore over S3Store (S3_BUCKET set) or LocalStore
    await store.open()                      # once per process (lifespan / worker startup hook)
    await store.put(key, data, "application/pdf")
    data = await store.get(key)             # plaintext; ObjectNotFound when missing
    await store.close()

Errors (all in backend.errors' tree):

    ObjectNotFound      404   no object under the key
    InvalidObjectKey    400   the key breaks the key rules (path traversal, odd characters)
    StorageUnavailable  503   the store is unreachable or keeps failing; retry later
    StorageError        500   the store refused the request (credentials, bucket, permissions)
    DecryptionError     500   (backend.platform.crypto.envelope) a stored blob was altered or its key is gone
"""

from __future__ import annotations

from pathlib import Path

from backend.platform.crypto.envelope import Envelope
from backend.platform.storage.base import (
    InvalidObjectKey,
    ObjectNotFound,
    ObjectStore,
    StorageError,
    StorageUnavailable,
    check_key,
    check_prefix,
)
from backend.platform.storage.encrypted import EncryptedStore
from backend.platform.storage.local import LocalStore
from backend.settings import Settings

__all__ = [
    "EncryptedStore",
    "InvalidObjectKey",
    "LocalStore",
    "ObjectNotFound",
    "ObjectStore",
    "StorageError",
    "StorageUnavailable",
    "build_copy_stores",
    "build_store",
    "check_key",
    "check_prefix",
]


def build_store(settings: Settings, *, encrypted: bool = True) -> ObjectStore:
    """S3 when S3_BUCKET is set, else files under DATA_DIR/objects; encrypted unless told otherwise.

    Not opened: the caller opens it once per process and closes it on shutdown.
    """
    inner: ObjectStore
    if settings.storage.uses_s3:
        from backend.platform.storage.s3 import S3Store  # aioboto3 is imported only when S3 is used

        inner = S3Store(settings.storage)
    else:
        inner = LocalStore(Path(settings.storage.local_dir))
    return EncryptedStore(inner, Envelope.from_settings(settings.encryption)) if encrypted else inner


def build_copy_stores(settings: Settings) -> tuple[ObjectStore, ObjectStore, ObjectStore] | None:
    """(the primary bucket raw, the copy bucket raw, the copy bucket decrypting) when S3_BUCKET and
    S3_COPY_BUCKET are set, else None. Files are copied as stored (ciphertext) and read back through
    the envelope to prove they decrypt. Not opened."""
    target = settings.storage.copy_target()
    if not settings.storage.uses_s3 or target is None:
        return None
    from backend.platform.storage.s3 import S3Store

    copy = S3Store(target)
    return S3Store(settings.storage), copy, EncryptedStore(S3Store(target), Envelope.from_settings(settings.encryption))
