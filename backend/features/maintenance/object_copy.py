"""Keep a verified copy of every stored file in a second bucket (another region).

The copy is of the bytes as stored (ciphertext: the copy bucket never sees a plaintext resume), and
each file the database references is read back from the copy through the envelope, so "copied" means
"restorable": present and decryptable with today's keys. Idempotent: a file already in the copy is only
verified. Framework-free: `python -m backend.entrypoints.manage copy-objects` runs it (a CronJob in
Kubernetes); on AWS, S3 Cross-Region Replication of the versioned bucket can do the copying and this
job then proves it.
"""

from __future__ import annotations

import asyncio

import msgspec

from backend.errors import AppError
from backend.features.maintenance import queries
from backend.platform.storage import ObjectNotFound, ObjectStore

CONCURRENCY = 8
REPORTED = 20  # keys named in a report, at most, per kind of problem


class CopyReport(msgspec.Struct, frozen=True):
    referenced: int  # files the database points at
    copied: int  # written to the copy bucket by this run
    verified: int  # read back from the copy and decrypted
    missing_at_source: list[str]  # referenced but not in the primary bucket (at most REPORTED)
    unreadable_copies: list[str]  # in the copy but not decryptable (at most REPORTED)

    @property
    def ok(self) -> bool:
        return not self.missing_at_source and not self.unreadable_copies and self.verified == self.referenced


async def copy_and_verify(source: ObjectStore, copy: ObjectStore, readable_copy: ObjectStore) -> CopyReport:
    """Copy each referenced file missing from `copy` (raw stores), then read it through `readable_copy`."""
    keys = await queries.referenced_object_keys()
    gate = asyncio.Semaphore(CONCURRENCY)
    copied = verified = 0
    missing: list[str] = []
    unreadable: list[str] = []

    async def one(key: str) -> None:
        nonlocal copied, verified
        async with gate:
            if not await copy.exists(key):
                try:
                    data = await source.get(key)
                except ObjectNotFound:
                    missing.append(key)
                    return
                await copy.put(key, data)
                copied += 1
            try:
                await readable_copy.get(key)
            except AppError:  # not found, or does not decrypt
                unreadable.append(key)
                return
            verified += 1

    await asyncio.gather(*(one(key) for key in keys))
    return CopyReport(len(keys), copied, verified, sorted(missing)[:REPORTED], sorted(unreadable)[:REPORTED])
