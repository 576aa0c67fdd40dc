"""Wire types of the notification endpoints (msgspec Structs; never derived from tables)."""

from __future__ import annotations

import uuid
from datetime import datetime

import msgspec


class NotificationOut(msgspec.Struct, kw_only=True):
    id: uuid.UUID
    kind: str
    title: str
    body: str
    link: str
    read_at: datetime | None
    created_at: datetime


class NotificationPage(msgspec.Struct, kw_only=True):
    """A page of notifications, newest first."""

    items: list[NotificationOut]
    next_cursor: str | None
    unread_count: int


class ReadAllResult(msgspec.Struct, kw_only=True):
    marked: int  # how many notifications were unread and are read now
