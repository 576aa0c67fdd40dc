"""Job postings imported from their URL keep the page they were read from:

- `application_snapshots`: one row per imported page (the application, its owner, the URL and where
  redirects ended, whether the api fetched it or the browser sent it, size, SHA-256, where each field
  came from); the HTML itself is in the object store, encrypted, under `object_key`, and
  `object_kid` names the master key wrapping it (`manage rewrap`, `manage key-usage`). Deleting the
  application or the account deletes the rows (cascade).

A new table only: an expand step.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.table import Table

ID = "2026-12-10T09:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "snapshots of imported job posting pages"

FORWARDS = (
    "CREATE TABLE IF NOT EXISTS application_snapshots ("
    " id uuid PRIMARY KEY DEFAULT gen_random_uuid(),"
    " application uuid NOT NULL REFERENCES applications (id) ON DELETE CASCADE,"
    ' "user" uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,'
    " url varchar(2000) NOT NULL,"
    " final_url varchar(2000) NOT NULL DEFAULT '',"
    " origin varchar(10) NOT NULL,"
    " size integer NOT NULL,"
    " sha256 varchar(64) NOT NULL,"
    " object_key varchar(512) NOT NULL,"
    " object_kid varchar(255) NULL,"
    " method varchar(20) NOT NULL,"
    " sources jsonb NOT NULL DEFAULT jsonb_build_object(),"
    " created_at timestamptz NOT NULL DEFAULT now())",
    "CREATE INDEX IF NOT EXISTS application_snapshots_application ON application_snapshots (application)",
    'CREATE INDEX IF NOT EXISTS application_snapshots_user ON application_snapshots ("user")',
    "CREATE INDEX IF NOT EXISTS application_snapshots_object_kid ON application_snapshots (object_kid)",
)
BACKWARDS = ("DROP TABLE IF EXISTS application_snapshots",)


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
