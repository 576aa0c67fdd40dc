"""In-app notifications: created by tasks (reminders) or services, stored in Postgres,
pushed live as `notification.created` on the owner's channel, listed newest first with an
unread filter and keyset cursors, marked read one by one or all at once. No Litestar import.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import msgspec
import structlog

from backend import errors
from backend.features.notifications import queries as repo
from backend.features.notifications import schemas
from backend.platform import clock
from backend.platform.db.replicas import routed_reads
from backend.platform.http import pagination
from backend.platform.realtime import events
from backend.platform.realtime.publisher import Publisher
from backend.platform.realtime.sink import publish_best_effort

log = structlog.get_logger("career_copilot.notifications")


def to_out(row: dict[str, Any]) -> schemas.NotificationOut:
    return msgspec.convert(dict(row), schemas.NotificationOut)


async def create(user_id: uuid.UUID, kind: str, title: str, body: str = "", link: str = "") -> schemas.NotificationOut:
    """Insert a notification (in the caller's transaction if one is open); announce it with `announce`
    once that transaction has committed."""
    return to_out(await repo.insert(user_id, kind, title, body, link))


async def announce(publisher: Publisher, user_id: uuid.UUID, notification: schemas.NotificationOut) -> None:
    """Push `notification.created` to the owner's sockets. Best effort: the row is the truth, and a
    client that missed the event refetches the list."""
    payload = msgspec.convert(msgspec.structs.asdict(notification), events.Notification)
    data = events.NotificationCreatedData(notification=payload)
    await publish_best_effort(
        publisher, user_id, events.NotificationCreated(data=data), log=log, lost="notification_not_published"
    )


async def list_page(user_id: uuid.UUID, *, unread: bool, limit: int, cursor: str | None) -> schemas.NotificationPage:
    pagination.check_limit(limit)
    scope = f"notifications:{user_id}"
    key = pagination.decode_cursor(cursor, scope)
    after: tuple[datetime, uuid.UUID] | None = None
    if key is not None:
        try:
            after = (datetime.fromisoformat(key[0]), uuid.UUID(key[1]))
        except (ValueError, IndexError, TypeError, AttributeError):
            raise errors.BadRequest("The cursor is not valid", slug="invalid-cursor") from None
        if after[0].tzinfo is None:
            raise errors.BadRequest("The cursor is not valid", slug="invalid-cursor")
    with routed_reads(user_id):
        rows = await repo.page(user_id, unread=unread, after=after, limit=limit + 1)
        unread_count = await repo.unread_count(user_id)
    more, rows = len(rows) > limit, rows[:limit]
    next_cursor = (
        pagination.encode_cursor([rows[-1]["created_at"].isoformat(), str(rows[-1]["id"])], scope) if more else None
    )
    return schemas.NotificationPage(items=[to_out(r) for r in rows], next_cursor=next_cursor, unread_count=unread_count)


async def all_of(user_id: uuid.UUID) -> list[schemas.NotificationOut]:
    """Every notification of the user, newest first (the account export)."""
    return [to_out(row) for row in await repo.all_of(user_id)]


async def mark_read(user_id: uuid.UUID, notification_id: uuid.UUID) -> schemas.NotificationOut:
    row = await repo.mark_read(user_id, notification_id, clock.now())
    if row is None:
        raise errors.NotFound("No such notification")
    return to_out(row)


async def mark_all_read(user_id: uuid.UUID) -> schemas.ReadAllResult:
    return schemas.ReadAllResult(marked=await repo.mark_all_read(user_id, clock.now()))
