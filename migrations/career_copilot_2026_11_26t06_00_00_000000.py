"""Idempotency records get their owner, and stored answers are encrypted from now on:

- `idempotency_records.user`: the signed-in caller (null for anonymous ones), ON DELETE CASCADE, so
  erasing an account (DELETE /me) erases the answers stored for it; indexed (Piccolo adds no index
  to a foreign key unless asked).
- The rows stored so far hold their answers in clear (personal access token secrets, PII) and would
  not decrypt: they are deleted. They live 24 h at most; a retry of one of those keys runs again.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.base import OnDelete, OnUpdate
from piccolo.columns.column_types import UUID, ForeignKey
from piccolo.columns.defaults.uuid import UUID4
from piccolo.columns.indexes import IndexMethod
from piccolo.table import Table


class User(Table, tablename="users", schema=None):
    id = UUID(
        default=UUID4(),
        null=False,
        primary_key=True,
        unique=False,
        index=False,
        index_method=IndexMethod.btree,
        choices=None,
        db_column_name=None,
        secret=False,
    )


class RawTable(Table):
    pass


ID = "2026-11-26T06:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "owner of idempotency records; drop the answers stored in clear"


async def forwards():
    manager = MigrationManager(
        migration_id=ID, app_name="career_copilot", description=DESCRIPTION
    )

    async def drop_cleartext_answers():
        await RawTable.raw("DELETE FROM idempotency_records")

    manager.add_raw(drop_cleartext_answers)

    manager.add_column(
        table_class_name="IdempotencyRecord",
        tablename="idempotency_records",
        column_name="user",
        db_column_name="user",
        column_class_name="ForeignKey",
        column_class=ForeignKey,
        params={
            "references": User,
            "on_delete": OnDelete.cascade,
            "on_update": OnUpdate.cascade,
            "target_column": None,
            "null": True,
            "primary_key": False,
            "unique": False,
            "index": True,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema=None,
    )

    return manager
