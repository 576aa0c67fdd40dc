"""argon2id password hashing, always off the event loop (≈18 ms per hash on the build machines).

Each hash or check takes 19 MiB and a core for ~18 ms, so a process runs at most `concurrency` of
them at once and lets at most `queue` more wait: past that a caller is refused at once
(`Saturated`, a 429 problem with `Retry-After: 1`) instead of piling up threads and memory. `configure` sets
both from the settings when the api starts; `stats` counts the work done (tests and benchmarks)."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

import anyio.to_thread
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from backend import errors

# OWASP 2023 minimum for argon2id: 19 MiB, t=2, p=1.
_HASHER = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)
# Verified when the email is unknown, so a miss costs as much time as a hit (no user enumeration).
_DUMMY_HASH = _HASHER.hash("not-a-real-password-only-for-timing")

MIN_LENGTH = 10
MAX_LENGTH = 256


_T = TypeVar("_T")


class Saturated(errors.TooManyRequests):
    """Every argon2 slot of this process is busy and the wait queue is full: a 429 problem with
    `Retry-After: 1`, answered at once (no error log: a flood is not a server fault)."""

    slug = "busy"

    def __init__(self) -> None:
        super().__init__("The server is busy checking passwords; try again in a moment", retry_after=1)


@dataclass
class Stats:
    hashes: int = 0  # argon2 hashes computed (new passwords)
    verifications: int = 0  # argon2 checks (sign-in, re-authentication, and the dummy check)
    refused: int = 0  # callers turned away with `Saturated`


class _Limiter:
    """At most `concurrency` jobs running and `queue` waiting, in this process. The semaphore is made
    per event loop (tests run several loops in one process)."""

    def __init__(self, concurrency: int, queue: int) -> None:
        self.concurrency = concurrency or os.cpu_count() or 1
        self.queue = queue
        self.admitted = 0  # running + waiting
        self._semaphore: asyncio.Semaphore | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    async def run(self, work: Callable[..., _T], *args: object) -> _T:
        loop = asyncio.get_running_loop()
        if self._semaphore is None or self._loop is not loop:
            self._semaphore, self._loop, self.admitted = asyncio.Semaphore(self.concurrency), loop, 0
        if self.admitted >= self.concurrency + self.queue:
            stats.refused += 1
            raise Saturated
        self.admitted += 1
        try:
            async with self._semaphore:
                return await anyio.to_thread.run_sync(work, *args)
        finally:
            self.admitted -= 1


stats = Stats()
_limiter = _Limiter(0, 32)


def configure(concurrency: int, queue: int) -> None:
    """Size the process' argon2 slots (`0` concurrency: the number of CPUs) and its wait queue."""
    global _limiter
    _limiter = _Limiter(concurrency, queue)


def _hash(password: str) -> str:
    stats.hashes += 1
    return _HASHER.hash(password)


async def hash_password(password: str) -> str:
    return await _limiter.run(_hash, password)


def _verify(hashed: str | None, password: str) -> bool:
    stats.verifications += 1
    try:
        return _HASHER.verify(hashed or _DUMMY_HASH, password) and hashed is not None
    except (VerificationError, InvalidHashError):
        return False


async def verify_password(hashed: str | None, password: str) -> bool:
    """True when `password` matches `hashed`; a None hash costs the same time and is False."""
    return await _limiter.run(_verify, hashed, password)


def password_problem(password: str) -> str | None:
    """Why `password` is not acceptable, or None."""
    if len(password) < MIN_LENGTH:
        return f"must be at least {MIN_LENGTH} characters"
    if len(password) > MAX_LENGTH:
        return f"must be at most {MAX_LENGTH} characters"
    if password.strip() == "" or len(set(password)) < 4:
        return "is too simple"
    return None
