"""LocalStore specifics: permissions, atomic writes, containment, tidy erasure."""

from __future__ import annotations

import asyncio
import os
import stat
from pathlib import Path

import pytest

from backend.platform.storage import InvalidObjectKey, LocalStore


async def test_files_are_private_and_no_temporary_files_remain(local_store: LocalStore) -> None:
    await asyncio.gather(*(local_store.put("users/u1/same", os.urandom(100_000)) for _ in range(10)))
    path = local_store.root / "users" / "u1" / "same"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(local_store.root.stat().st_mode) == 0o700
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert sorted(p.name for p in path.parent.iterdir()) == ["same"]


async def test_a_leftover_temporary_file_is_never_an_object(local_store: LocalStore) -> None:
    await local_store.put("users/u1/cv", b"x")
    (local_store.root / "users" / "u1" / ".tmp-crashed").write_bytes(b"half")  # a crash mid-write
    with pytest.raises(InvalidObjectKey):
        await local_store.exists("users/u1/.tmp-crashed")
    assert await local_store.delete_prefix("users/u1/") == 1  # erased with the rest, not counted
    assert not (local_store.root / "users" / "u1").exists()


async def test_a_symlink_cannot_lead_out_of_the_store(local_store: LocalStore, tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret").write_bytes(b"do not read")
    (local_store.root / "users").mkdir()
    (local_store.root / "users" / "evil").symlink_to(outside)
    for call in (local_store.get("users/evil/secret"), local_store.put("users/evil/new", b"x")):
        with pytest.raises(InvalidObjectKey, match="outside"):
            await call
    assert await local_store.delete_prefix("users/evil/") == 0
    assert sorted(p.name for p in outside.iterdir()) == ["secret"]


async def test_erasure_leaves_no_empty_directories(local_store: LocalStore) -> None:
    await local_store.put("users/u1/resumes/r1/v1", b"1")
    await local_store.put("users/u1/resumes/r2/v1", b"2")
    await local_store.put("users/u2/resumes/r3/v1", b"3")
    assert await local_store.delete_prefix("users/u1/") == 2
    assert sorted(p.name for p in (local_store.root / "users").iterdir()) == ["u2"]
    await local_store.put("users/u1/resumes/r4/v1", b"4")  # the directories come back on demand
    assert await local_store.get("users/u1/resumes/r4/v1") == b"4"
