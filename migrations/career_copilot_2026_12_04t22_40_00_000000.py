"""Reminders before interviews, in the notification settings:

- `notification_settings.email_interview_reminders` (default true): the reminders go by email too.
- `notification_settings.interview_reminder_minutes` (default {1440, 60}): how long before each
  interview a reminder comes; empty: none.

Columns added with defaults: an expand-only step (the previous release ignores them).
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.table import Table

ID = "2026-12-04T22:40:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "interview reminder settings"

FORWARDS = (
    "ALTER TABLE notification_settings ADD COLUMN IF NOT EXISTS email_interview_reminders boolean NOT NULL"
    " DEFAULT true",
    "ALTER TABLE notification_settings ADD COLUMN IF NOT EXISTS interview_reminder_minutes integer[] NOT NULL"
    " DEFAULT ARRAY[1440, 60]",
)


class RawTable(Table):
    pass


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="career_copilot", description=DESCRIPTION)

    async def run():
        for statement in FORWARDS:
            await RawTable.raw(statement)

    manager.add_raw(run)
    return manager
