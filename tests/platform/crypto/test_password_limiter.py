"""argon2 work is bounded per process: `concurrency` jobs run at once, `queue` more wait, and any
caller beyond that is refused at once (a 429 problem with Retry-After) instead of piling up
19 MiB jobs."""

import asyncio
import os
import threading
from collections.abc import Iterator

import pytest

from backend import errors
from backend.platform.crypto import passwords


@pytest.fixture
def limiter() -> Iterator[None]:
    saved = passwords._limiter
    yield
    passwords._limiter = saved


async def test_callers_past_the_slots_and_the_queue_are_refused_at_once(limiter: None) -> None:
    passwords.configure(concurrency=1, queue=2)
    results = await asyncio.gather(
        *(passwords.hash_password(f"password number {index}") for index in range(8)), return_exceptions=True
    )
    refused = [result for result in results if isinstance(result, passwords.Saturated)]
    hashed = [result for result in results if isinstance(result, str)]
    assert len(hashed) == 3 and len(refused) == 5
    assert all(isinstance(result, errors.TooManyRequests) and result.retry_after == 1 for result in refused)
    # Once the burst is over, the slots are free again.
    assert await passwords.verify_password(hashed[0], "password number 0")


async def test_at_most_the_configured_number_of_hashes_run_at_once(
    limiter: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    passwords.configure(concurrency=2, queue=10)
    running, peak = 0, 0
    lock = threading.Lock()
    real = passwords._hash

    def counted(password: str) -> str:
        nonlocal running, peak
        with lock:
            running += 1
            peak = max(peak, running)
        try:
            return real(password)
        finally:
            with lock:
                running -= 1

    monkeypatch.setattr(passwords, "_hash", counted)
    await asyncio.gather(*(passwords.hash_password(f"password number {index}") for index in range(8)))
    assert peak == 2


def test_the_default_concurrency_is_the_number_of_cpus(limiter: None) -> None:
    passwords.configure(concurrency=0, queue=4)
    assert passwords._limiter.concurrency == (os.cpu_count() or 1)
