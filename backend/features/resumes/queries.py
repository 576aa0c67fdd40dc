"""Queries of the resumes area (its raw SQL): the per-user lock and the sums behind the upload budgets."""

from __future__ import annotations

import uuid

from backend.platform.db.tables import ResumeVersion


async def lock_user_uploads(user_id: uuid.UUID) -> None:
    """Serialize the user's uploads until the end of the transaction (a transaction-scoped advisory
    lock on the user id): the quota sum and the insert that follows it cannot interleave with another
    upload of the same user, and nothing else waits on it."""
    await ResumeVersion.raw("SELECT pg_advisory_xact_lock(hashtextextended({}, 7))", str(user_id))


async def stored_bytes(user_id: uuid.UUID) -> int:
    """Bytes of every file the user keeps (the uploaded sizes of all their versions; index on `user`)."""
    rows = await ResumeVersion.raw(
        'SELECT coalesce(sum(size), 0)::bigint AS n FROM resume_versions WHERE "user" = {}', user_id
    )
    return int(rows[0]["n"])


async def version_count(resume_id: uuid.UUID) -> int:
    rows = await ResumeVersion.raw("SELECT count(*) AS n FROM resume_versions WHERE resume = {}", resume_id)
    return int(rows[0]["n"])
