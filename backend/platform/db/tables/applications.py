"""Job applications, their status timeline and its other entries, and the posting pages they were imported from."""

from __future__ import annotations

from piccolo.columns import (
    UUID,
    Array,
    Bytea,
    ForeignKey,
    Integer,
    OnDelete,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.columns.column_types import JSONB
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from backend.platform.db.engine import DB
from backend.platform.db.tables.accounts import User


class Application(Table, tablename="applications", db=DB):
    id = UUID(primary_key=True)
    user = ForeignKey(references=User, on_delete=OnDelete.cascade, index=True)
    company = Varchar(length=200)
    role = Varchar(length=200)
    status = Varchar(length=20, default="wishlist", index=True)
    location = Varchar(length=200, default="")
    remote = Varchar(length=10, null=True, default=None)  # onsite | hybrid | remote
    salary_min = Integer(null=True, default=None)
    salary_max = Integer(null=True, default=None)
    currency = Varchar(length=3, null=True, default=None)
    job_url = Varchar(length=2000, default="")
    job_description = Text(default="")
    source = Varchar(length=100, default="")
    applied_at = Timestamptz(null=True, default=None)
    next_follow_up_at = Timestamptz(null=True, default=None, index=True)
    notes = Text(default="")
    tags = Array(base_column=Varchar(length=40), default=[])
    resume_version_id = UUID(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow(), index=True)
    updated_at = Timestamptz(default=TimestamptzNow(), index=True)


class ApplicationEvent(Table, tablename="application_events", db=DB):
    """One status change: when, from what, to what, and an optional note."""

    id = UUID(primary_key=True)
    application = ForeignKey(references=Application, on_delete=OnDelete.cascade, index=True)
    at = Timestamptz(default=TimestamptzNow())
    from_status = Varchar(length=20, null=True, default=None)
    to_status = Varchar(length=20)
    note = Varchar(length=1000, default="")


class ApplicationSnapshot(Table, tablename="application_snapshots", db=DB):
    """The job posting page an application was imported from, as it was then. The HTML itself is in
    the object store under `object_key`, encrypted (`EncryptedStore`); this row says where and what."""

    id = UUID(primary_key=True)
    application = ForeignKey(references=Application, on_delete=OnDelete.cascade, index=True)
    user = ForeignKey(references=User, on_delete=OnDelete.cascade, index=True)
    url = Varchar(length=2000)  # the URL imported
    final_url = Varchar(length=2000, default="")  # after redirects; "" for a page the browser sent
    origin = Varchar(length=10)  # fetched | browser (the page came in the request's `html`)
    size = Integer()  # bytes of the stored page (UTF-8)
    sha256 = Varchar(length=64)
    object_key = Varchar(length=512)
    object_kid = Varchar(length=255, null=True, default=None, index=True)  # master key wrapping the file
    method = Varchar(length=20)  # where the role came from: json-ld, microdata, board, text
    sources = JSONB(default={})  # field -> where it came from
    created_at = Timestamptz(default=TimestamptzNow())


class ApplicationActivity(Table, tablename="application_activity", db=DB):
    """An entry of the timeline other than a status change: an interview scheduled, moved, given an
    outcome or removed, a contact linked or unlinked. `subject_id` is the interview or contact (no
    foreign key: the entry outlives it); `detail` is an envelope blob of what the entry shows (aad
    `application_activity.detail:<id>`), a snapshot taken when it happened."""

    id = UUID(primary_key=True)
    application = ForeignKey(references=Application, on_delete=OnDelete.cascade, index=True)
    at = Timestamptz(default=TimestamptzNow())
    kind = Varchar(length=30)
    subject_id = UUID(null=True, default=None)
    detail = Bytea()
