"""Resume versions get a content fingerprint for the duplicate check:

- `resume_versions.content_sha256`: SHA-256 of the PDF's normalized text and page count, computed
  by the api's bounded inspection child at upload (null for a PDF without a text layer, and for
  versions uploaded before this release: those keep only the exact-bytes check). Indexed, the
  upload looks it up per user. Nullable, nothing to backfill: an expand-only step.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Varchar
from piccolo.columns.indexes import IndexMethod

ID = "2026-12-04T16:30:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "content fingerprint of resume versions (duplicate check)"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="career_copilot", description=DESCRIPTION)
    manager.add_column(
        table_class_name="ResumeVersion",
        tablename="resume_versions",
        column_name="content_sha256",
        db_column_name="content_sha256",
        column_class_name="Varchar",
        column_class=Varchar,
        params={
            "length": 64,
            "default": None,
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
