"""Indexes of this session's polling queries, so that they stay cheap on large tables:

- the AI sweeper (`backend.domain.ai.sweeper`): letters still queued/streaming and analyses still
  queued/running, partial indexes holding only those;
- the email-log purge (`backend.domain.maintenance`): rows by `sent_at` / `failed_at` (measured on
  200,000 sent rows: 1,795 → 94 buffers for a batch of the purge).
The sweepers' "is its job pending or recently sent?" lookups need no index of their own: Postgres
answers them from `task_outbox_sent_at` and the pending-rows index (3 buffers on 200,000 rows).

Plain CREATE INDEX (the migration runs in a transaction); on a large live table build them
CONCURRENTLY by hand first, and IF NOT EXISTS then does nothing.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.table import Table

ID = "2026-11-26T02:30:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "indexes of the AI sweeper and the email-log purge"

FORWARDS = (
    "CREATE INDEX IF NOT EXISTS cover_letters_unsettled_updated_at_idx"
    " ON cover_letters (updated_at) WHERE status IN ('queued', 'streaming')",
    "CREATE INDEX IF NOT EXISTS analyses_unsettled_created_at_idx"
    " ON analyses (created_at) WHERE status IN ('queued', 'running')",
    "CREATE INDEX IF NOT EXISTS email_outbox_sent_at_idx ON email_outbox (sent_at) WHERE sent_at IS NOT NULL",
    "CREATE INDEX IF NOT EXISTS email_outbox_failed_at_idx ON email_outbox (failed_at) WHERE failed_at IS NOT NULL",
)
BACKWARDS = tuple(
    f"DROP INDEX IF EXISTS {statement.split(' IF NOT EXISTS ')[1].split()[0]}" for statement in FORWARDS
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
