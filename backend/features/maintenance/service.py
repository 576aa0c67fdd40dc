"""Purge rows that have outlived their use. Framework-free: the `maintenance.purge_expired` task
(backend.features.maintenance.jobs) is a thin wrapper, and any process may call it.

What goes, given `now`:
- refresh tokens and email tokens that expired more than `TOKEN_GRACE` (1 day) ago: the grace keeps
  a just-expired token recognisable, so reusing it still answers like a spent token;
- sessions (refresh-token families) that have expired (their refresh tokens go with them, cascade);
- idempotency records created more than `IDEMPOTENCY_TTL` (24 h) ago;
- task outbox rows sent more than `OUTBOX_TTL` (24 h) ago (pending rows always stay: tasks.outbox_relay);
- email rows settled (sent, or failed for good) more than `EMAIL_LOG_TTL` (90 days) ago: the log of
  what was mailed to a user (in their export) is kept that long; unsettled rows always stay.

Idempotent: a second run with the same `now` deletes nothing. Deletes go in batches, so a large
backlog never holds long locks or one huge transaction.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import msgspec
from piccolo.columns import Timestamptz
from piccolo.table import Table

from backend.platform.db.tables import EmailOutbox, EmailToken, IdempotencyRecord, RefreshToken, Session, TaskOutbox

TOKEN_GRACE = timedelta(days=1)
IDEMPOTENCY_TTL = timedelta(hours=24)
OUTBOX_TTL = timedelta(hours=24)
EMAIL_LOG_TTL = timedelta(days=90)
BATCH = 5_000


class PurgeReport(msgspec.Struct, frozen=True):
    """How many rows of each kind one run deleted (cascaded rows not counted)."""

    refresh_tokens: int
    email_tokens: int
    sessions: int
    idempotency_records: int
    task_outbox: int
    emails: int


async def purge_expired(now: datetime, *, batch: int = BATCH) -> PurgeReport:
    """Delete every row that expired before the cutoffs above; `now` must be timezone-aware."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    return PurgeReport(
        refresh_tokens=await _delete_before(RefreshToken, RefreshToken.expires_at, now - TOKEN_GRACE, batch),
        email_tokens=await _delete_before(EmailToken, EmailToken.expires_at, now - TOKEN_GRACE, batch),
        sessions=await _delete_before(Session, Session.expires_at, now, batch),
        idempotency_records=await _delete_before(
            IdempotencyRecord, IdempotencyRecord.created_at, now - IDEMPOTENCY_TTL, batch
        ),
        # `sent_at < cutoff` is never true for a pending row (NULL).
        task_outbox=await _delete_before(TaskOutbox, TaskOutbox.sent_at, now - OUTBOX_TTL, batch),
        emails=await _delete_before(EmailOutbox, EmailOutbox.sent_at, now - EMAIL_LOG_TTL, batch)
        + await _delete_before(EmailOutbox, EmailOutbox.failed_at, now - EMAIL_LOG_TTL, batch),
    )


async def _delete_before(table: type[Table], column: Timestamptz, cutoff: datetime, batch: int) -> int:
    """Delete rows of `table` whose `column` is before `cutoff`, `batch` rows per statement."""
    pk = table._meta.primary_key
    total = 0
    while True:
        doomed = table.select(pk).where(column < cutoff).limit(batch)
        deleted = await table.delete().where(pk.is_in(doomed)).returning(pk)
        total += len(deleted)
        if len(deleted) < batch:
            return total
