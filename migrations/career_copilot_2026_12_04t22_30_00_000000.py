"""Interviews, contacts, the wider application timeline and private calendar feeds:

- `interviews`: the rounds of an application (kind, time, length, outcome in clear; place or link,
  people and preparation notes in the envelope blob `details`).
- `interview_reminders`: one row per reminder sent before an interview, keyed by (interview, its
  time, minutes before), so a reminder is sent once and a moved interview is reminded again.
- `contacts` (details in an envelope blob) and `contact_applications` (a contact linked to an
  application, unique per pair).
- `application_activity`: timeline entries other than status changes (interviews, contacts), with
  their snapshot in an envelope blob.
- `calendar_feeds`: the SHA-256 of each user's calendar feed token.
- `envelope_kid` indexes on the three new encrypted columns (backend/platform/crypto/key_usage.py).

Only new tables: an expand-only step. Every foreign key is indexed and cascades like the others.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.table import Table

ID = "2026-12-04T22:30:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "interviews, contacts, timeline activity, interview reminders, calendar feeds"

_FK = "ON UPDATE CASCADE ON DELETE CASCADE"
ENCRYPTED = (("interviews", "details"), ("contacts", "details"), ("application_activity", "detail"))

FORWARDS = (
    "CREATE TABLE IF NOT EXISTS interviews ("
    " id uuid PRIMARY KEY DEFAULT gen_random_uuid(),"
    f" application uuid NOT NULL REFERENCES applications (id) {_FK},"
    f' "user" uuid NOT NULL REFERENCES users (id) {_FK},'
    " kind varchar(20) NOT NULL,"
    " starts_at timestamptz NOT NULL,"
    " duration_minutes integer NOT NULL DEFAULT 60,"
    " outcome varchar(20) NOT NULL DEFAULT 'pending',"
    " details bytea NULL,"
    " created_at timestamptz NOT NULL DEFAULT now(),"
    " updated_at timestamptz NOT NULL DEFAULT now())",
    "CREATE INDEX IF NOT EXISTS interviews_application ON interviews (application)",
    'CREATE INDEX IF NOT EXISTS interviews_user ON interviews ("user")',
    "CREATE INDEX IF NOT EXISTS interviews_starts_at ON interviews (starts_at)",
    # the reminder scan: pending interviews by time
    "CREATE INDEX IF NOT EXISTS interviews_pending_starts_at_idx ON interviews (starts_at)"
    " WHERE outcome = 'pending'",
    "CREATE TABLE IF NOT EXISTS interview_reminders ("
    " id uuid PRIMARY KEY,"
    f" interview uuid NOT NULL REFERENCES interviews (id) {_FK},"
    f' "user" uuid NOT NULL REFERENCES users (id) {_FK},'
    " starts_at timestamptz NOT NULL,"
    " minutes_before integer NOT NULL,"
    " created_at timestamptz NOT NULL DEFAULT now())",
    "CREATE INDEX IF NOT EXISTS interview_reminders_interview ON interview_reminders (interview)",
    'CREATE INDEX IF NOT EXISTS interview_reminders_user ON interview_reminders ("user")',
    "CREATE TABLE IF NOT EXISTS contacts ("
    " id uuid PRIMARY KEY DEFAULT gen_random_uuid(),"
    f' "user" uuid NOT NULL REFERENCES users (id) {_FK},'
    " role varchar(200) NOT NULL DEFAULT '',"
    " company varchar(200) NOT NULL DEFAULT '',"
    " details bytea NOT NULL,"
    " created_at timestamptz NOT NULL DEFAULT now(),"
    " updated_at timestamptz NOT NULL DEFAULT now())",
    'CREATE INDEX IF NOT EXISTS contacts_user ON contacts ("user")',
    'CREATE INDEX IF NOT EXISTS contacts_user_created_at_idx ON contacts ("user", created_at DESC, id DESC)',
    "CREATE TABLE IF NOT EXISTS contact_applications ("
    " id uuid PRIMARY KEY DEFAULT gen_random_uuid(),"
    f" contact uuid NOT NULL REFERENCES contacts (id) {_FK},"
    f" application uuid NOT NULL REFERENCES applications (id) {_FK},"
    f' "user" uuid NOT NULL REFERENCES users (id) {_FK},'
    " created_at timestamptz NOT NULL DEFAULT now())",
    "CREATE UNIQUE INDEX IF NOT EXISTS contact_applications_pair_idx ON contact_applications (contact, application)",
    "CREATE INDEX IF NOT EXISTS contact_applications_contact ON contact_applications (contact)",
    "CREATE INDEX IF NOT EXISTS contact_applications_application ON contact_applications (application)",
    'CREATE INDEX IF NOT EXISTS contact_applications_user ON contact_applications ("user")',
    "CREATE TABLE IF NOT EXISTS application_activity ("
    " id uuid PRIMARY KEY DEFAULT gen_random_uuid(),"
    f" application uuid NOT NULL REFERENCES applications (id) {_FK},"
    " at timestamptz NOT NULL DEFAULT now(),"
    " kind varchar(30) NOT NULL,"
    " subject_id uuid NULL,"
    " detail bytea NOT NULL)",
    "CREATE INDEX IF NOT EXISTS application_activity_application ON application_activity (application)",
    "CREATE TABLE IF NOT EXISTS calendar_feeds ("
    f' "user" uuid PRIMARY KEY REFERENCES users (id) {_FK},'
    " token_hash varchar(64) NOT NULL UNIQUE,"
    " created_at timestamptz NOT NULL DEFAULT now(),"
    " last_used_at timestamptz NULL)",
    *(
        f"CREATE INDEX IF NOT EXISTS {table}_{column}_kid_idx ON {table} (envelope_kid(\"{column}\"))"
        f" WHERE envelope_kid(\"{column}\") IS NOT NULL"
        for table, column in ENCRYPTED
    ),
)
BACKWARDS = (
    "DROP TABLE IF EXISTS calendar_feeds",
    "DROP TABLE IF EXISTS application_activity",
    "DROP TABLE IF EXISTS contact_applications",
    "DROP TABLE IF EXISTS contacts",
    "DROP TABLE IF EXISTS interview_reminders",
    "DROP TABLE IF EXISTS interviews",
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
