"""EncryptedStore over both stores: bytes at rest are ciphertext, bound to their key, and rotate."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from backend.platform import storage
from backend.platform.crypto.envelope import DecryptionError, Envelope, UnknownKeyError
from backend.platform.storage import EncryptedStore, LocalStore
from backend.platform.storage.s3 import S3Store
from backend.settings import Settings
from tests.plugins.storage import BUCKET, CREDENTIALS, Backend, raw_client

K1, K2 = os.urandom(32), os.urandom(32)
RESUME = b"%PDF-1.7\nJane Doe\njane.doe@example.com\n+1 555 0100\nSenior Engineer at Initech\n"


def encrypted(backend: Backend, keys: dict[str, bytes], active: str) -> EncryptedStore:
    return EncryptedStore(backend.store, Envelope(keys, active))


async def test_bytes_at_rest_are_ciphertext_and_round_trip(backend: Backend) -> None:
    store = encrypted(backend, {"k1": K1}, "k1")
    await store.put("users/u1/resumes/r1/v1", RESUME, "application/pdf")
    raw = backend.read_raw("users/u1/resumes/r1/v1")
    for needle in (b"Jane", b"jane.doe@example.com", b"555 0100", b"%PDF", b"Initech"):
        assert needle not in raw
    assert Envelope.key_id(raw) == "k1" and len(raw) == len(RESUME) + 72
    assert await store.get("users/u1/resumes/r1/v1") == RESUME
    assert await store.exists("users/u1/resumes/r1/v1")
    assert await store.presigned_get_url("users/u1/resumes/r1/v1", 60, "cv.pdf") is None
    assert await store.delete_prefix("users/u1/") == 1
    assert not await store.exists("users/u1/resumes/r1/v1")


async def test_large_object_is_encrypted_off_the_loop_and_round_trips(backend: Backend) -> None:
    store = encrypted(backend, {"k1": K1}, "k1")
    data = os.urandom(10 * 1024 * 1024)
    await store.put("big/v1", data)
    assert backend.read_raw("big/v1")[-len(data) :] != data[-1000:]
    assert await store.get("big/v1") == data


async def test_tampered_moved_or_plaintext_objects_do_not_decrypt(backend: Backend) -> None:
    store = encrypted(backend, {"k1": K1}, "k1")
    await store.put("users/u1/a", RESUME)
    blob = bytearray(backend.read_raw("users/u1/a"))
    blob[-30] ^= 0x80
    backend.write_raw("users/u1/a", bytes(blob))
    with pytest.raises(DecryptionError):
        await store.get("users/u1/a")
    await store.put("users/u1/b", RESUME)
    backend.write_raw("users/u2/b", backend.read_raw("users/u1/b"))  # another user's key: aad differs
    with pytest.raises(DecryptionError, match="another record"):
        await store.get("users/u2/b")
    backend.write_raw("users/u1/plain", RESUME)  # never returned as if it had been encrypted
    with pytest.raises(DecryptionError):
        await store.get("users/u1/plain")


async def test_rotation_old_objects_stay_readable_and_rewrap_moves_them(backend: Backend) -> None:
    await encrypted(backend, {"k1": K1}, "k1").put("users/u1/old", RESUME)
    rotated = encrypted(backend, {"k1": K1, "k2": K2}, "k2")
    assert await rotated.get("users/u1/old") == RESUME  # read old with the new key list
    await rotated.put("users/u1/new", b"new")
    assert Envelope.key_id(backend.read_raw("users/u1/new")) == "k2"
    body_before = backend.read_raw("users/u1/old")[2 + 2 + 40 :]
    assert await rotated.rewrap("users/u1/old") is True
    raw = backend.read_raw("users/u1/old")
    assert Envelope.key_id(raw) == "k2" and raw[2 + 2 + 40 :] == body_before  # ciphertext untouched
    assert await rotated.rewrap("users/u1/old") is False
    only_k2 = encrypted(backend, {"k2": K2}, "k2")  # k1 retired
    assert await only_k2.get("users/u1/old") == RESUME
    with pytest.raises(UnknownKeyError, match="'k2'"):
        await encrypted(backend, {"k1": K1}, "k1").get("users/u1/old")


async def test_build_store_picks_s3_when_a_bucket_is_set_and_encrypts(s3_endpoint: str, tmp_path: Path) -> None:
    env = {
        "DATA_DIR": str(tmp_path),
        "S3_BUCKET": BUCKET,
        "S3_ENDPOINT_URL": s3_endpoint,
        "S3_PREFIX": "factory-test",
        "S3_ACCESS_KEY_ID": CREDENTIALS["aws_access_key_id"],
        "S3_SECRET_ACCESS_KEY": CREDENTIALS["aws_secret_access_key"],
    }
    store = storage.build_store(Settings.from_env(env))
    assert isinstance(store, EncryptedStore) and isinstance(store.inner, S3Store)
    await store.open()
    try:
        await store.put("users/u9/cv", RESUME)
        raw = raw_client(s3_endpoint).get_object(Bucket=BUCKET, Key="factory-test/users/u9/cv")["Body"].read()
        assert b"Jane" not in raw and Envelope.key_id(raw) == "dev"
        assert await store.get("users/u9/cv") == RESUME
        assert await store.delete_prefix("users/u9/") == 1
    finally:
        await store.close()

    local = storage.build_store(Settings.from_env({"DATA_DIR": str(tmp_path)}))
    assert isinstance(local, EncryptedStore) and isinstance(local.inner, LocalStore)
    await local.open()
    await local.put("users/u9/cv", RESUME)
    assert b"Jane" not in (tmp_path / "objects" / "users" / "u9" / "cv").read_bytes()
    plain = storage.build_store(Settings.from_env({"DATA_DIR": str(tmp_path)}), encrypted=False)
    assert isinstance(plain, LocalStore) and await plain.get("users/u9/cv") != RESUME
