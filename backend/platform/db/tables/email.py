"""Outgoing email, written in the same transaction as what caused it (transactional outbox).

The worker delivers pending rows (backend/features/notifications/emails.py): a send claims the row for
`claimed_until`, and marks it `sent_at` or, on a permanent failure or after the last attempt,
`failed_at` with `last_error`; a transient failure sets `next_attempt_at` (backoff). Secrets in
`context` (the token and link) are erased once the row is settled.
"""

from __future__ import annotations

from piccolo.columns import JSONB, UUID, ForeignKey, Integer, OnDelete, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from backend.platform.db.engine import DB
from backend.platform.db.tables.accounts import User


class EmailOutbox(Table, tablename="email_outbox", db=DB):
    id = UUID(primary_key=True)
    user = ForeignKey(references=User, on_delete=OnDelete.cascade, index=True, null=True)
    to_address = Varchar(length=320)
    template = Varchar(length=60)  # verify_email | password_reset | ...
    context = JSONB(default={})
    created_at = Timestamptz(default=TimestamptzNow(), index=True)
    sent_at = Timestamptz(null=True, default=None)
    attempts = Integer(default=0)
    claimed_until = Timestamptz(null=True, default=None)
    next_attempt_at = Timestamptz(null=True, default=None)
    failed_at = Timestamptz(null=True, default=None)
    last_error = Varchar(length=300, null=True, default=None)
