"""Personal details encrypted at rest, master-key bookkeeping for rotations, and the erasure record.

Expand only (the previous release keeps running beside it):
- `users.pii`: the envelope blob of full name, phone, location and links. The new release writes it
  and leaves the plaintext columns empty; `python -m backend.entrypoints.manage encrypt-pii` moves
  the rows written before (resumable). Dropping the plaintext columns is a later release's contract
  step, once no running release reads them.
- `envelope_kid(bytea)`: the master key id in an envelope blob's header (NULL for anything else),
  and an index of it on every encrypted column, so that the stored blobs per master key are counted
  from the index (the start-up check, `manage rewrap`) instead of reading every row.
- `resume_versions.object_kid`: the master key wrapping the stored file's data key (NULL: written by
  an earlier release; `manage rewrap` fills it in), indexed likewise.
- `account_erasures`: an account deleted whose files and realtime history are still to be deleted.

Plain CREATE INDEX (the migration runs in a transaction); on large live tables build them
CONCURRENTLY by hand first, and IF NOT EXISTS then does nothing.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.table import Table

ID = "2026-12-04T16:05:17:000517"
VERSION = "1.38.0"
DESCRIPTION = "encrypted personal details, master key ids of stored blobs, account erasures"

# Every encrypted column: (table, column). backend/platform/crypto/key_usage.py lists the same.
ENCRYPTED = (
    ("users", "pii"),
    ("cover_letters", "content"),
    ("idempotency_records", "response_body"),
    ("resume_versions", "parsed"),
    ("resume_versions", "text"),
)

FORWARDS = (
    'ALTER TABLE users ADD COLUMN IF NOT EXISTS "pii" bytea NULL',
    "ALTER TABLE resume_versions ADD COLUMN IF NOT EXISTS object_kid varchar(255) NULL",
    # version byte 1, then the key id's length and the key id (backend/platform/crypto/envelope.py)
    "CREATE OR REPLACE FUNCTION envelope_kid(blob bytea) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$"
    " SELECT CASE WHEN length(blob) > 2 AND get_byte(blob, 0) = 1"
    " THEN encode(substring(blob from 3 for get_byte(blob, 1)), 'escape') END $$",
    *(
        f"CREATE INDEX IF NOT EXISTS {table}_{column}_kid_idx ON {table} (envelope_kid(\"{column}\"))"
        f" WHERE envelope_kid(\"{column}\") IS NOT NULL"
        for table, column in ENCRYPTED
    ),
    "CREATE INDEX IF NOT EXISTS resume_versions_object_kid_idx ON resume_versions (object_kid)",
    "CREATE TABLE IF NOT EXISTS account_erasures ("
    " user_id uuid PRIMARY KEY,"
    " requested_at timestamptz NOT NULL DEFAULT now(),"
    " attempts integer NOT NULL DEFAULT 0,"
    " last_attempt_at timestamptz NULL,"
    " last_error varchar(300) NULL)",
)
BACKWARDS = (
    "DROP TABLE IF EXISTS account_erasures",
    "DROP INDEX IF EXISTS resume_versions_object_kid_idx",
    *(f"DROP INDEX IF EXISTS {table}_{column}_kid_idx" for table, column in ENCRYPTED),
    "DROP FUNCTION IF EXISTS envelope_kid(bytea)",
    "ALTER TABLE resume_versions DROP COLUMN IF EXISTS object_kid",
    'ALTER TABLE users DROP COLUMN IF EXISTS "pii"',
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
