"""Queries of the notifications area; each is scoped to its owner (other users' rows: 404)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from backend.platform.db.tables import Notification

_COLUMNS = "id, kind, title, body, link, read_at, created_at"


async def page(
    user_id: uuid.UUID, *, unread: bool, after: tuple[datetime, uuid.UUID] | None, limit: int
) -> list[dict[str, Any]]:
    """Up to `limit` notifications, newest first, after the keyset position `after`."""
    clauses, args = ['"user" = {}'], [user_id]
    if unread:
        clauses.append("read_at IS NULL")
    if after is not None:
        clauses.append("(created_at, id) < ({}, {})")
        args += [after[0], after[1]]  # type: ignore[list-item]
    sql = (
        f"SELECT {_COLUMNS} FROM notifications WHERE {' AND '.join(clauses)} "  # noqa: S608 - no input in the SQL
        f"ORDER BY created_at DESC, id DESC LIMIT {int(limit)}"
    )
    return list(await Notification.raw(sql, *args))


async def all_of(user_id: uuid.UUID) -> list[dict[str, Any]]:
    query = Notification.select(*(getattr(Notification, c) for c in _COLUMNS.split(", ")))
    return list(await query.where(Notification.user == user_id).order_by(Notification.created_at, ascending=False))


async def unread_count(user_id: uuid.UUID) -> int:
    return int(await Notification.count().where(Notification.user == user_id).where(Notification.read_at.is_null()))


async def mark_read(user_id: uuid.UUID, notification_id: uuid.UUID, now: datetime) -> dict[str, Any] | None:
    """The notification after marking it read (a read one keeps its first `read_at`); None if not theirs."""
    rows = await Notification.raw(
        """
        UPDATE notifications SET read_at = COALESCE(read_at, {})
        WHERE id = {} AND "user" = {}
        RETURNING id, kind, title, body, link, read_at, created_at
        """,
        now,
        notification_id,
        user_id,
    )
    return rows[0] if rows else None


async def mark_all_read(user_id: uuid.UUID, now: datetime) -> int:
    rows = await Notification.raw(
        'UPDATE notifications SET read_at = {} WHERE "user" = {} AND read_at IS NULL RETURNING id', now, user_id
    )
    return len(rows)


async def insert(user_id: uuid.UUID, kind: str, title: str, body: str, link: str) -> dict[str, Any]:
    rows = await Notification.raw(
        """
        INSERT INTO notifications (id, "user", kind, title, body, link, read_at, created_at)
        VALUES ({}, {}, {}, {}, {}, {}, NULL, now())
        RETURNING id, kind, title, body, link, read_at, created_at
        """,
        uuid.uuid4(),
        user_id,
        kind,
        title[:200],
        body,
        link[:2000],
    )
    return dict(rows[0])
