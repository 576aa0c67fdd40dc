"""Indexes of the notifications issue that Piccolo cannot declare (partial and multi-column):

- the notification list, newest first per user (`WHERE "user" = … ORDER BY created_at DESC, id DESC`),
  and the unread list, a partial index holding unread rows only;
- email delivery: pending rows (the sweeper's `WHERE sent_at IS NULL AND failed_at IS NULL`).

Plain CREATE INDEX (the migration runs in a transaction); on a large live table build them
CONCURRENTLY by hand first, and IF NOT EXISTS then does nothing.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.table import Table

ID = "2026-11-25T21:20:24:000000"
VERSION = "1.38.0"
DESCRIPTION = "indexes of the notification lists and of pending emails"

FORWARDS = (
    'CREATE INDEX IF NOT EXISTS notifications_user_created_idx ON notifications ("user", created_at DESC, id DESC)',
    "CREATE INDEX IF NOT EXISTS notifications_unread_idx"
    ' ON notifications ("user", created_at DESC, id DESC) WHERE read_at IS NULL',
    "CREATE INDEX IF NOT EXISTS email_outbox_pending_idx"
    " ON email_outbox (created_at) WHERE sent_at IS NULL AND failed_at IS NULL",
    "CREATE INDEX IF NOT EXISTS follow_up_reminders_application_due_idx ON follow_up_reminders (application, due_at)",
)
BACKWARDS = (
    "DROP INDEX IF EXISTS notifications_user_created_idx",
    "DROP INDEX IF EXISTS notifications_unread_idx",
    "DROP INDEX IF EXISTS email_outbox_pending_idx",
    "DROP INDEX IF EXISTS follow_up_reminders_application_due_idx",
)


class RawTable(Table):
    pass


async def forwards():
    manager = MigrationManager(
        migration_id=ID, app_name="career_copilot", description=DESCRIPTION
    )

    async def run():
        for statement in FORWARDS:
            await RawTable.raw(statement)

    async def run_backwards():
        for statement in BACKWARDS:
            await RawTable.raw(statement)

    manager.add_raw(run)
    manager.add_raw_backwards(run_backwards)

    return manager
