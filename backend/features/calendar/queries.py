"""Queries of the calendar feed: the feed row (by owner, or by its token's hash) and what it shows."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from backend.platform.db.tables import Application, CalendarFeed


async def replace(user_id: uuid.UUID, token_hash: str, now: datetime) -> None:
    """The user's one feed, now with this token (the previous token stops working)."""
    await CalendarFeed.raw(
        """
        INSERT INTO calendar_feeds ("user", token_hash, created_at, last_used_at) VALUES ({}, {}, {}, NULL)
        ON CONFLICT ("user") DO UPDATE SET token_hash = EXCLUDED.token_hash, created_at = EXCLUDED.created_at,
            last_used_at = NULL
        """,
        user_id,
        token_hash,
        now,
    )


async def remove(user_id: uuid.UUID) -> None:
    await CalendarFeed.delete().where(CalendarFeed.user == user_id)


async def of_user(user_id: uuid.UUID) -> dict[str, Any] | None:
    rows = await CalendarFeed.raw('SELECT created_at, last_used_at FROM calendar_feeds WHERE "user" = {}', user_id)
    return dict(rows[0]) if rows else None


async def owner_of(token_hash: str, now: datetime) -> uuid.UUID | None:
    """The active user whose feed has this token's hash (its use recorded at most once a minute)."""
    rows = await CalendarFeed.raw(
        """
        UPDATE calendar_feeds f SET last_used_at = {}
        FROM users u
        WHERE f.token_hash = {} AND u.id = f."user" AND u.is_active
          AND (f.last_used_at IS NULL OR f.last_used_at < {}::timestamptz - interval '1 minute')
        RETURNING f."user"
        """,
        now,
        token_hash,
        now,
    )
    if rows:
        return uuid.UUID(str(rows[0]["user"]))
    found = await CalendarFeed.raw(
        'SELECT f."user" FROM calendar_feeds f JOIN users u ON u.id = f."user" WHERE f.token_hash = {} AND u.is_active',
        token_hash,
    )
    return uuid.UUID(str(found[0]["user"])) if found else None


async def follow_ups(user_id: uuid.UUID, since: datetime) -> list[dict[str, Any]]:
    """Open applications with a follow-up date from `since` on."""
    return list(
        await Application.raw(
            """
            SELECT id, company, role, status, next_follow_up_at, updated_at FROM applications
            WHERE "user" = {} AND next_follow_up_at IS NOT NULL AND next_follow_up_at >= {}
              AND status NOT IN ('accepted', 'rejected', 'withdrawn')
            ORDER BY next_follow_up_at, id
            """,
            user_id,
            since,
        )
    )
