"""Resumes, their versions (one uploaded PDF each, or data imported without a file), and the parsed result.

Extracted text and parsed JSON are PII: stored encrypted (`backend.platform.crypto.envelope`, aad
`resume_versions.<column>:<version id>`); the file itself lives in the object store, encrypted too.
"""

from __future__ import annotations

from piccolo.columns import UUID, Boolean, Bytea, ForeignKey, Integer, OnDelete, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from backend.platform.db.engine import DB
from backend.platform.db.tables.accounts import User


class Resume(Table, tablename="resumes", db=DB):
    id = UUID(primary_key=True)
    user = ForeignKey(references=User, on_delete=OnDelete.cascade, index=True)
    title = Varchar(length=200)
    is_default = Boolean(default=False)
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())


class ResumeVersion(Table, tablename="resume_versions", db=DB):
    id = UUID(primary_key=True)
    resume = ForeignKey(references=Resume, on_delete=OnDelete.cascade, index=True)
    user = ForeignKey(references=User, on_delete=OnDelete.cascade, index=True)
    number = Integer()
    status = Varchar(length=10, default="queued")  # queued | parsing | parsed | failed
    filename = Varchar(length=255)
    size = Integer()
    content_type = Varchar(length=100, default="application/pdf")
    sha256 = Varchar(length=64, index=True)  # of the bytes uploaded
    # of the normalized text and page count (the duplicate check); None: no text layer, or uploaded before
    content_sha256 = Varchar(length=64, null=True, default=None, index=True)
    # where the data came from: upload (a PDF, parsed by the worker) | json_resume | linkedin (imported: no file)
    source = Varchar(length=12, default="upload")
    object_key = Varchar(length=512, null=True, default=None)  # the stored file; None: imported, there is none
    object_kid = Varchar(length=255, null=True, default=None)  # master key wrapping the file (NULL: not recorded)
    pages = Integer(default=0)
    parsed = Bytea(null=True, default=None)  # encrypted JSON Resume
    text = Bytea(null=True, default=None)  # encrypted extracted text
    error = Varchar(length=500, null=True, default=None)
    error_code = Varchar(length=40, null=True, default=None)
    attempts = Integer(default=0)
    created_at = Timestamptz(default=TimestamptzNow())
    parsed_at = Timestamptz(null=True, default=None)
