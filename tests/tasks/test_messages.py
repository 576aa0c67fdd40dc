"""Which stream entries may run, and what a dead-letter record holds (tasks.messages)."""

from __future__ import annotations

import json

import pytest
from taskiq import InMemoryBroker, TaskiqMessage

from backend.features.maintenance import jobs as maintenance
from tasks import messages as msgs

BROKER = InMemoryBroker()  # only for its formatter; never started


def _data(task_name: str, **extra: object) -> bytes:
    message = {"task_id": "t1", "task_name": task_name, "labels": {}, "args": [], "kwargs": {}, **extra}
    return json.dumps(message).encode()


def _classify(fields: dict[bytes, bytes] | None) -> TaskiqMessage | msgs.Verdict:
    return msgs.classify(fields, BROKER.formatter, BROKER.find_task)


def test_a_message_of_a_known_task_may_run() -> None:
    outcome = _classify({b"data": _data(maintenance.PURGE_EXPIRED)})
    assert isinstance(outcome, TaskiqMessage) and outcome.task_id == "t1"


@pytest.mark.parametrize(
    ("fields", "detail"),
    [
        (None, "no 'data' field"),
        ({b"payload": b"x"}, "no 'data' field"),
        ({b"data": b"\xff garbage"}, "Error"),
        ({b"data": b'{"task_name": "x"}'}, "ValidationError"),
        ({b"data": _data(maintenance.PURGE_EXPIRED, labels={"a": "1"}, labels_types={"a": 99})}, "ValueError"),
    ],
)
def test_entries_without_a_readable_message_are_unparseable(fields: dict[bytes, bytes] | None, detail: str) -> None:
    outcome = _classify(fields)
    assert isinstance(outcome, msgs.Verdict)
    assert outcome.reason == msgs.UNPARSEABLE and detail in outcome.detail


@pytest.mark.parametrize("ack_type", ["bogus", 7])
def test_a_message_whose_ack_type_the_receiver_rejects_is_unparseable_with_its_names(ack_type: object) -> None:
    outcome = _classify({b"data": _data(maintenance.PURGE_EXPIRED, labels={"ack_type": ack_type})})
    assert isinstance(outcome, msgs.Verdict) and outcome.reason == msgs.UNPARSEABLE
    assert (outcome.task_name, outcome.task_id) == (maintenance.PURGE_EXPIRED, "t1")
    assert "acknowledge type" in outcome.detail


def test_a_valid_ack_type_label_may_run() -> None:
    outcome = _classify({b"data": _data(maintenance.PURGE_EXPIRED, labels={"ack_type": "when_received"})})
    assert isinstance(outcome, TaskiqMessage)


def test_the_names_of_a_parsable_entry_are_known_for_its_dead_letter_record() -> None:
    assert msgs.identify({b"data": _data("any.task")}, BROKER.formatter) == ("any.task", "t1")
    assert msgs.identify({b"data": b"\xff"}, BROKER.formatter) == ("", "")
    assert msgs.identify(None, BROKER.formatter) == ("", "")


def test_a_message_naming_no_registered_task_is_unknown() -> None:
    outcome = _classify({b"data": _data("nobody.knows")})
    assert outcome == msgs.Verdict(msgs.UNKNOWN_TASK, "no worker module registers this task", "nobody.knows", "t1")


def test_dead_letter_fields_keep_the_raw_message_and_a_bounded_detail() -> None:
    verdict = msgs.Verdict(msgs.RETRIES_EXHAUSTED, "x" * 5_000, "a.task", "t9")
    fields = msgs.dead_letter_fields(verdict, data=b"raw", source_id=b"1-0", consumer="c", attempts=4)
    assert fields[b"reason"] == b"retries_exhausted" and fields[b"data"] == b"raw"
    assert len(fields[b"detail"]) == msgs.MAX_DETAIL
    assert (fields[b"task_name"], fields[b"task_id"], fields[b"source_id"]) == (b"a.task", b"t9", b"1-0")
    assert fields[b"attempts"] == b"4" and int(fields[b"dead_at_ms"]) > 0
    assert b"data" not in msgs.dead_letter_fields(verdict, data=None)
