"""Bookkeeping of in-flight messages: what the keeper renews, and what it lets idle out."""

from __future__ import annotations

import pytest
from redis.asyncio import Redis

from backend.settings import WorkerSettings
from tasks.keeper import Keeper
from tasks.spec import QueueSpec


def _no_redis() -> Redis:
    pytest.fail("the bookkeeping needs no Redis")


def _keeper() -> Keeper:
    return Keeper(QueueSpec.from_settings(WorkerSettings()), consumer="here", connect=_no_redis)


def test_acked_and_released_messages_are_no_longer_renewed() -> None:
    keeper = _keeper()
    keeper.took([b"1-0", b"2-0", b"3-0"])
    keeper.running("task-a", b"1-0")
    keeper.running("task-b", b"2-0")

    keeper.done(b"1-0", "task-a")  # acked
    keeper.release("task-b")  # its retry could not be sent: give it back to the queue

    assert set(keeper.in_flight) == {b"3-0"}
    assert set(keeper.running_ids()) == {b"3-0"}  # what the reclaimer leaves alone
    assert keeper.stream_ids == {}


def test_a_late_ack_of_the_original_keeps_the_retry_of_the_same_task_tracked() -> None:
    keeper = _keeper()
    keeper.took([b"1-0"])
    keeper.running("task-a", b"1-0")
    keeper.took([b"9-0"])
    keeper.running("task-a", b"9-0")  # the retry: same task id, new stream entry

    keeper.done(b"1-0", "task-a")

    assert keeper.stream_ids == {"task-a": b"9-0"}
    keeper.release("task-a")
    assert keeper.in_flight == {}
