"""One contract, two stores: every test runs against LocalStore (temp dir) and S3Store (moto server)."""

from __future__ import annotations

import asyncio
import os

import pytest

from backend import errors
from backend.platform.storage import InvalidObjectKey, ObjectNotFound
from tests.plugins.storage import Backend

MB = 1024 * 1024


async def test_put_get_exists_delete(backend: Backend) -> None:
    store = backend.store
    assert not await store.exists("users/u1/resumes/r1/v1")
    await store.put("users/u1/resumes/r1/v1", b"%PDF-1.7 hello", "application/pdf")
    assert await store.exists("users/u1/resumes/r1/v1")
    assert await store.get("users/u1/resumes/r1/v1") == b"%PDF-1.7 hello"
    assert backend.read_raw("users/u1/resumes/r1/v1") == b"%PDF-1.7 hello"  # plain stores keep bytes as is
    await store.delete("users/u1/resumes/r1/v1")
    assert not await store.exists("users/u1/resumes/r1/v1")
    await store.delete("users/u1/resumes/r1/v1")  # idempotent
    await store.delete("never/existed")


async def test_missing_object_is_a_not_found_error(backend: Backend) -> None:
    with pytest.raises(ObjectNotFound) as caught:
        await backend.store.get("users/u1/nothing-here")
    assert isinstance(caught.value, errors.NotFound) and caught.value.status == 404
    assert caught.value.key == "users/u1/nothing-here" and "u1" not in caught.value.detail
    await backend.store.put("users/u1/dir/file", b"x")
    with pytest.raises(ObjectNotFound):
        await backend.store.get("users/u1/dir")  # a "directory" is not an object


async def test_overwrite_replaces_the_object(backend: Backend) -> None:
    await backend.store.put("k/v", b"first version, longer")
    await backend.store.put("k/v", b"second")
    assert await backend.store.get("k/v") == b"second"
    await backend.store.put("k/v", b"")
    assert await backend.store.get("k/v") == b"" and await backend.store.exists("k/v")


async def test_delete_prefix_erases_exactly_the_prefix(backend: Backend) -> None:
    keys = ["users/a/1", "users/a/resumes/r/2", "users/a/resumes/r/3", "users/ab/4", "users/b/5", "other"]
    await asyncio.gather(*(backend.store.put(key, key.encode()) for key in keys))
    assert await backend.store.delete_prefix("users/a/") == 3
    assert [await backend.store.exists(key) for key in keys] == [False, False, False, True, True, True]
    assert await backend.store.delete_prefix("users/a/") == 0  # idempotent
    assert await backend.store.delete_prefix("nobody/") == 0
    assert await backend.store.delete_prefix("users/a") == 1  # a plain prefix, as in S3: users/ab/4 too
    for prefix in ("", "/", "../", "users/../"):
        with pytest.raises(InvalidObjectKey):
            await backend.store.delete_prefix(prefix)
    assert await backend.store.get("users/b/5") == b"users/b/5"


async def test_large_object_round_trips(backend: Backend) -> None:
    data = os.urandom(10 * MB)
    await backend.store.put("big/resume.pdf", data, "application/pdf")
    assert await backend.store.get("big/resume.pdf") == data


async def test_concurrent_puts(backend: Backend) -> None:
    payloads = {f"c/{i}": os.urandom(1024 + i) for i in range(50)}
    await asyncio.gather(*(backend.store.put(key, data) for key, data in payloads.items()))
    assert await asyncio.gather(*(backend.store.get(key) for key in payloads)) == list(payloads.values())
    # Racing writers on one key: the survivor is one of them, whole (writes are atomic).
    versions = [bytes([i]) * (256 * 1024) for i in range(20)]
    await asyncio.gather(*(backend.store.put("c/same", data) for data in versions))
    assert await backend.store.get("c/same") in versions


BAD_KEYS = [
    "../../etc/passwd",
    "/etc/passwd",
    "users/../../etc/passwd",
    "users/./x",
    "users//x",
    "users/x/",
    "users/.hidden",
    "users\\x",
    "users/x\x00y",
    "users/x y",
    "users/é",
    "",
    "a" * 513,
]


@pytest.mark.parametrize("key", BAD_KEYS)
async def test_unsafe_keys_are_refused_before_any_io(backend: Backend, key: str) -> None:
    for call in (
        backend.store.put(key, b"x"),
        backend.store.get(key),
        backend.store.delete(key),
        backend.store.exists(key),
        backend.store.presigned_get_url(key, 60, "x.pdf"),
    ):
        with pytest.raises(InvalidObjectKey):
            await call
