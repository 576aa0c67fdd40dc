"""An ObjectStore decorator that encrypts before `put` and decrypts after `get`.

The inner store only ever holds envelope blobs (`backend.platform.crypto.envelope`), bound to their key with the
associated data `object:<key>`: an object copied or renamed to another key does not decrypt. Blobs are
stored as `application/octet-stream`; the real content type belongs in the database row. Presigned
URLs are None because a browser cannot use ciphertext: the api streams downloads, decrypting them.
"""

from __future__ import annotations

import anyio.to_thread

from backend.platform.crypto.envelope import Envelope
from backend.platform.storage import base

_THREAD_THRESHOLD = 256 * 1024  # AES-GCM runs at ~1 GB/s: bigger payloads leave the event loop
STORED_CONTENT_TYPE = "application/octet-stream"


def object_aad(key: str) -> str:
    """The associated data binding an object's blob to its key."""
    return f"object:{key}"


class EncryptedStore:
    """ObjectStore whose bytes at rest are always ciphertext."""

    def __init__(self, inner: base.ObjectStore, envelope: Envelope) -> None:
        self.inner, self.envelope = inner, envelope

    async def open(self) -> None:
        await self.inner.open()

    async def close(self) -> None:
        await self.inner.close()

    async def put(self, key: str, data: bytes, content_type: str = "application/octet-stream") -> None:
        base.check_key(key)
        if len(data) > _THREAD_THRESHOLD:
            blob = await anyio.to_thread.run_sync(self.envelope.encrypt, data, object_aad(key))
        else:
            blob = self.envelope.encrypt(data, object_aad(key))
        await self.inner.put(key, blob, STORED_CONTENT_TYPE)

    async def get(self, key: str) -> bytes:
        blob = await self.inner.get(key)
        if len(blob) > _THREAD_THRESHOLD:
            return await anyio.to_thread.run_sync(self.envelope.decrypt, blob, object_aad(key))
        return self.envelope.decrypt(blob, object_aad(key))

    async def delete(self, key: str) -> None:
        await self.inner.delete(key)

    async def exists(self, key: str) -> bool:
        return await self.inner.exists(key)

    async def delete_prefix(self, prefix: str) -> int:
        return await self.inner.delete_prefix(prefix)

    async def presigned_get_url(self, key: str, expires_in: int, filename: str) -> str | None:
        base.check_key(key)
        return None  # ciphertext is useless to a browser: stream `get()` through the api instead

    async def rewrap(self, key: str) -> bool:
        """Re-wrap the object's data key under the active master key; True when it changed.

        For a rotation sweep over immutable objects (resume versions never change in place): a write
        to the same key between the read and the write back would be lost.
        """
        blob = await self.inner.get(key)
        new_blob = self.envelope.rewrap(blob)
        if new_blob is blob:
            return False
        await self.inner.put(key, new_blob, STORED_CONTENT_TYPE)
        return True
