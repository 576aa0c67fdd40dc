"""Ghosting suggestions:

- `notification_settings.ghosted_after_days`: how many days after it was applied an application
  without an answer is suggested as ghosted (0: never). NOT NULL with a default, so rows written by
  the previous release get 21 and it keeps writing rows without it: an expand-only step.
- `ghosting_suggestions`: one row per (application, the moment its wait began), unique, so a wait is
  suggested once; the user's decision (`confirmed` or `dismissed`) is kept on it. Cascades with the
  application and the user.

The `ghosted` status itself needs nothing here: `applications.status` is a varchar with no check.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.table import Table

ID = "2026-12-10T10:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "ghosting suggestions and the ghosted_after_days setting"

FORWARDS = (
    "ALTER TABLE notification_settings ADD COLUMN IF NOT EXISTS ghosted_after_days integer NOT NULL DEFAULT 21",
    "CREATE TABLE IF NOT EXISTS ghosting_suggestions ("
    " id uuid PRIMARY KEY DEFAULT gen_random_uuid(),"
    ' application uuid NOT NULL REFERENCES applications (id) ON DELETE CASCADE,'
    ' "user" uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,'
    " applied_at timestamptz NOT NULL,"
    " suggested_at timestamptz NULL,"
    " notification uuid NULL,"
    " decision varchar(10) NULL,"
    " decided_at timestamptz NULL,"
    " created_at timestamptz NOT NULL DEFAULT now())",
    "CREATE UNIQUE INDEX IF NOT EXISTS ghosting_suggestions_application_applied_at"
    " ON ghosting_suggestions (application, applied_at)",
    'CREATE INDEX IF NOT EXISTS ghosting_suggestions_user ON ghosting_suggestions ("user")',
)
BACKWARDS = (
    "DROP TABLE IF EXISTS ghosting_suggestions",
    "ALTER TABLE notification_settings DROP COLUMN IF EXISTS ghosted_after_days",
)


class RawTable(Table):
    pass


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="career_copilot", description=DESCRIPTION)

    async def run():
        for statement in FORWARDS:
            await RawTable.raw(statement)

    async def run_backwards():
        for statement in BACKWARDS:
            await RawTable.raw(statement)

    manager.add_raw(run)
    manager.add_raw_backwards(run_backwards)
    return manager
