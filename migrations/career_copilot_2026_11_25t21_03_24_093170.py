"""Partial indexes for the two polling queries that look for a few rows among many.

- The parse sweeper (`backend.domain.resumes.parsing._STUCK`): versions still queued/parsing,
  `WHERE status IN ('queued', 'parsing') AND created_at < … ORDER BY created_at`. Nearly every
  version is parsed or failed, so the index holds only the unsettled ones.
- The outbox relay (`tasks.outbox_relay._CLAIM`): pending rows, `WHERE sent_at IS NULL
  ORDER BY created_at, id`. Sent rows are kept a day before the purge; the index holds the pending ones.

Piccolo cannot declare partial indexes on columns, hence raw SQL. Plain CREATE INDEX (not
CONCURRENTLY) because the migration runs in a transaction; on a large live table build them
CONCURRENTLY by hand first, and this migration's IF NOT EXISTS then does nothing.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.table import Table

ID = "2026-11-25T21:03:24:093170"
VERSION = "1.38.0"
DESCRIPTION = "partial indexes of the parse sweeper and the outbox relay"

FORWARDS = (
    "CREATE INDEX IF NOT EXISTS resume_versions_unsettled_created_at_idx"
    " ON resume_versions (created_at) WHERE status IN ('queued', 'parsing')",
    "CREATE INDEX IF NOT EXISTS task_outbox_pending_created_at_idx"
    " ON task_outbox (created_at, id) WHERE sent_at IS NULL",
)
BACKWARDS = (
    "DROP INDEX IF EXISTS resume_versions_unsettled_created_at_idx",
    "DROP INDEX IF EXISTS task_outbox_pending_created_at_idx",
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
