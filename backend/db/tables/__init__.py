"""Every Piccolo table, in one package (STYLE: one package kills circular imports)."""

from backend.db.tables.accounts import EmailToken, RefreshToken, Session, User
from backend.db.tables.email import EmailOutbox
from backend.db.tables.idempotency import IdempotencyRecord

ALL_TABLES = (User, Session, RefreshToken, EmailToken, EmailOutbox, IdempotencyRecord)

__all__ = ["ALL_TABLES", "EmailOutbox", "EmailToken", "IdempotencyRecord", "RefreshToken", "Session", "User"]
