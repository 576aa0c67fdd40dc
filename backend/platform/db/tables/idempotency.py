"""Stored answers of create requests sent with an `Idempotency-Key`."""

from __future__ import annotations

from piccolo.columns import JSONB, UUID, Bytea, ForeignKey, Integer, OnDelete, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from backend.platform.db.engine import DB
from backend.platform.db.tables.accounts import User


class IdempotencyRecord(Table, tablename="idempotency_records", db=DB):
    id = UUID(primary_key=True)
    scoped_key = Varchar(length=400, unique=True)  # "<caller>:<method> <path>:<key>"
    # the signed-in caller: erasing the account erases its stored answers; null for anonymous callers
    user = ForeignKey(references=User, on_delete=OnDelete.cascade, null=True, index=True)
    request_hash = Varchar(length=64)
    status_code = Integer(null=True, default=None)  # null while the first request runs
    response_headers = JSONB(default=[])
    response_body = Bytea(default=b"")  # an envelope blob (backend.platform.crypto.envelope), aad `body_aad(id)`
    created_at = Timestamptz(default=TimestamptzNow(), index=True)
