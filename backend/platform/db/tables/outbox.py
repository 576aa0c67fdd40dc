"""Tasks to enqueue, written in the same transaction as the rows they are about (the upload
flow): a crash or a Redis outage between commit and enqueue cannot lose them. A relay in the worker
sends pending rows to the broker and marks them sent; tasks are idempotent, so a resend is harmless.
"""

from __future__ import annotations

from piccolo.columns import JSONB, UUID, Integer, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from backend.platform.db.engine import DB


class TaskOutbox(Table, tablename="task_outbox", db=DB):
    id = UUID(primary_key=True)
    task_name = Varchar(length=100)
    kwargs = JSONB(default={})
    created_at = Timestamptz(default=TimestamptzNow(), index=True)
    sent_at = Timestamptz(null=True, default=None, index=True)
    attempts = Integer(default=0)
    last_error = Varchar(length=300, null=True, default=None)
