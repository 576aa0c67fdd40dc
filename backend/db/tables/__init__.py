"""Every Piccolo table, in one package (STYLE: one package kills circular imports)."""

from backend.db.tables.accounts import (
    EmailToken,
    NotificationSettings,
    PersonalAccessToken,
    RefreshToken,
    Session,
    User,
)
from backend.db.tables.applications import Application, ApplicationEvent
from backend.db.tables.email import EmailOutbox
from backend.db.tables.idempotency import IdempotencyRecord

ALL_TABLES = (
    User,
    Session,
    RefreshToken,
    EmailToken,
    PersonalAccessToken,
    NotificationSettings,
    EmailOutbox,
    IdempotencyRecord,
    Application,
    ApplicationEvent,
)

__all__ = [
    "ALL_TABLES",
    "EmailOutbox",
    "EmailToken",
    "IdempotencyRecord",
    "NotificationSettings",
    "PersonalAccessToken",
    "RefreshToken",
    "Session",
    "User",
]
