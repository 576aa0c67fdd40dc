"""What a stream entry is worth running, and what a dead-letter record holds (pure, no I/O).

A stream entry is run only if it has a `data` field that taskiq's formatter can parse into a
message naming a task this worker knows, with labels taskiq's receiver accepts. Anything else is
acknowledged and moved to the bounded stream `<queue>:dead` with a reason. (Upstream taskiq-redis
1.2.4's listener crashes on an entry without `data` (KeyError) and dies; taskiq 0.13's receiver acks
an unparseable or unknown message but only logs it, and never acks one whose `ack_type` label it
rejects: that ValueError is raised outside its try block, so the entry stays pending.)

Dead-letter reasons (the `reason` field of a `<queue>:dead` entry):
- `unparseable`         no `data` field, bytes the formatter cannot load, or labels the receiver rejects
- `unknown_task`        the message names a task no imported module registered
- `too_many_deliveries` delivered more than `max_deliveries` times (a message that kills workers)
- `trimmed`             pending, but its body was deleted from the stream (by hand, or by an old
                        version that trimmed by MAXLEN) before it ran
- `receiver_error`      taskiq's receiver raised for this message outside the task (tasks.receiver)
- `retries_exhausted`   the task failed on every attempt (terminal state, see tasks.retry)
- `failed`              the task failed and is not retried (its labels opt out of retries)
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any

import msgspec
from taskiq.abc.formatter import TaskiqFormatter
from taskiq.acks import parse_acknowledge_type
from taskiq.message import TaskiqMessage

UNPARSEABLE = "unparseable"
UNKNOWN_TASK = "unknown_task"
TOO_MANY_DELIVERIES = "too_many_deliveries"
TRIMMED = "trimmed"
RETRIES_EXHAUSTED = "retries_exhausted"
FAILED = "failed"
RECEIVER_ERROR = "receiver_error"

# One stream entry as redis-py returns it: (id, fields); fields are None when the body is gone.
Entry = tuple[bytes, dict[bytes, bytes] | None]

MAX_DETAIL = 500  # a dead-letter record must stay small; the raw message is kept separately


class Verdict(msgspec.Struct, frozen=True):
    """Why an entry cannot run: one of the reasons above plus a short detail."""

    reason: str
    detail: str
    task_name: str = ""
    task_id: str = ""


def classify(
    fields: Mapping[bytes, bytes] | None,
    formatter: TaskiqFormatter,
    find_task: Callable[[str], Any],
) -> TaskiqMessage | Verdict:
    """The parsed message when the entry can run; otherwise why it goes to the dead-letter stream."""
    data = (fields or {}).get(b"data")
    if data is None:
        return Verdict(UNPARSEABLE, "the entry has no 'data' field")
    try:
        message = formatter.loads(data)
    except Exception as exc:
        return Verdict(UNPARSEABLE, f"{type(exc).__name__}: {exc}"[:MAX_DETAIL])
    try:
        message.parse_labels()  # the receiver does this too; bad label types must not crash it
        if (ack_type := message.labels.get("ack_type")) is not None:
            parse_acknowledge_type(ack_type)  # the receiver raises on a bad one without acking
    except Exception as exc:
        detail = f"{type(exc).__name__}: {exc}"[:MAX_DETAIL]
        return Verdict(UNPARSEABLE, detail, message.task_name, message.task_id)
    if find_task(message.task_name) is None:
        return Verdict(UNKNOWN_TASK, "no worker module registers this task", message.task_name, message.task_id)
    return message


def identify(fields: Mapping[bytes, bytes] | None, formatter: TaskiqFormatter) -> tuple[str, str]:
    """(task name, task id) of an entry whose message parses, else ("", ""): for dead-letter records."""
    data = (fields or {}).get(b"data")
    if data is None:
        return "", ""
    try:
        message = formatter.loads(data)
    except Exception:
        return "", ""
    return message.task_name, message.task_id


def dead_letter_fields(
    verdict: Verdict,
    *,
    data: bytes | None,
    source_id: bytes | str = b"",
    consumer: str = "",
    attempts: int = 0,
) -> dict[bytes, bytes]:
    """The fields of one `<queue>:dead` entry; `data` is the raw message, kept for a replay."""
    fields = {
        b"reason": verdict.reason.encode(),
        b"detail": verdict.detail[:MAX_DETAIL].encode(errors="replace"),
        b"task_name": verdict.task_name.encode(),
        b"task_id": verdict.task_id.encode(),
        b"source_id": source_id if isinstance(source_id, bytes) else source_id.encode(),
        b"consumer": consumer.encode(),
        b"attempts": str(attempts).encode(),
        b"dead_at_ms": str(int(time.time() * 1000)).encode(),
    }
    if data is not None:
        fields[b"data"] = data
    return fields
