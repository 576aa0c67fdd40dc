"""argon2id password hashing, always off the event loop (≈18 ms per hash on the build machines)."""

from __future__ import annotations

import anyio.to_thread
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

# OWASP 2023 minimum for argon2id: 19 MiB, t=2, p=1.
_HASHER = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)
# Verified when the email is unknown, so a miss costs as much time as a hit (no user enumeration).
_DUMMY_HASH = _HASHER.hash("not-a-real-password-only-for-timing")

MIN_LENGTH = 10
MAX_LENGTH = 256


async def hash_password(password: str) -> str:
    return await anyio.to_thread.run_sync(_HASHER.hash, password)


def _verify(hashed: str | None, password: str) -> bool:
    try:
        return _HASHER.verify(hashed or _DUMMY_HASH, password) and hashed is not None
    except (VerificationError, InvalidHashError):
        return False


async def verify_password(hashed: str | None, password: str) -> bool:
    """True when `password` matches `hashed`; a None hash costs the same time and is False."""
    return await anyio.to_thread.run_sync(_verify, hashed, password)


def password_problem(password: str) -> str | None:
    """Why `password` is not acceptable, or None."""
    if len(password) < MIN_LENGTH:
        return f"must be at least {MIN_LENGTH} characters"
    if len(password) > MAX_LENGTH:
        return f"must be at most {MAX_LENGTH} characters"
    if password.strip() == "" or len(set(password)) < 4:
        return "is too simple"
    return None
