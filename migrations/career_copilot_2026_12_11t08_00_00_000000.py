"""Imported resume versions (JSON Resume or a LinkedIn export), which have no file:

- `resume_versions.source`: where the version's data came from, `upload` (a PDF, parsed), `json_resume`
  or `linkedin` (imported, parsed when created). NOT NULL with a default, so the previous release
  keeps writing rows without it and every row it wrote is an upload: an expand-only step.
- `resume_versions.object_key` may be NULL: an imported version has no stored file. The previous
  release never writes NULL; it reads imported rows only through the same columns as before.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.table import Table

ID = "2026-12-11T08:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "resume versions imported without a file: source, nullable object_key"

FORWARDS = (
    "ALTER TABLE resume_versions ADD COLUMN IF NOT EXISTS source varchar(12) NOT NULL DEFAULT 'upload'",
    "ALTER TABLE resume_versions ALTER COLUMN object_key DROP NOT NULL",
)
BACKWARDS = (
    "DELETE FROM resume_versions WHERE object_key IS NULL",
    "ALTER TABLE resume_versions ALTER COLUMN object_key SET NOT NULL",
    "ALTER TABLE resume_versions DROP COLUMN IF EXISTS source",
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
