"""Bookkeeping of in-flight messages: what the keeper renews, and what it lets idle out."""

from __future__ import annotations

from backend.platform.jobs.runtime import build_broker
from backend.settings import Settings
from tasks.broker import HardenedStreamBroker


def _broker() -> HardenedStreamBroker:
    broker = build_broker(Settings.from_env({"REDIS_URL": "redis://127.0.0.1:1/0"}))
    assert isinstance(broker, HardenedStreamBroker)
    return broker


def test_acked_and_released_messages_are_no_longer_renewed() -> None:
    keeper = _broker().keeper
    keeper.took([b"1-0", b"2-0", b"3-0"])
    keeper.running("task-a", b"1-0")
    keeper.running("task-b", b"2-0")

    keeper.done(b"1-0", "task-a")  # acked
    keeper.release("task-b")  # its retry could not be sent: give it back to the queue

    assert set(keeper.in_flight) == {b"3-0"}
    assert keeper.stream_ids == {}


def test_a_late_ack_of_the_original_keeps_the_retry_of_the_same_task_tracked() -> None:
    keeper = _broker().keeper
    keeper.took([b"1-0"])
    keeper.running("task-a", b"1-0")
    keeper.took([b"9-0"])
    keeper.running("task-a", b"9-0")  # the retry: same task id, new stream entry

    keeper.done(b"1-0", "task-a")

    assert keeper.stream_ids == {"task-a": b"9-0"}
    keeper.release("task-a")
    assert keeper.in_flight == {}
