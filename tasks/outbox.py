"""Enqueue a background task through the transactional outbox.

Call `enqueue` inside the transaction that writes the rows the task is about: the row commits with
them or not at all. The worker's relay (`tasks/outbox_relay.py`) sends pending rows to the broker
and marks them sent, so a crash or a Redis outage right after commit delays the task, never loses it.
A `NOTIFY task_outbox` in the same transaction (delivered by Postgres at commit) wakes the relays at
once instead of at their next poll; a lost notification only costs that poll interval.
"""

from __future__ import annotations

from typing import Any

from backend.platform.db.tables import TaskOutbox

CHANNEL = "task_outbox"  # LISTENed to by the relays (tasks/outbox_relay.py)


async def enqueue(task_name: str, **kwargs: Any) -> None:
    """Record that `task_name(**kwargs)` must run (kwargs must be JSON: ids, not objects)."""
    await TaskOutbox(task_name=task_name, kwargs=kwargs).save()
    await TaskOutbox.raw("SELECT pg_notify({}, '')", CHANNEL)
