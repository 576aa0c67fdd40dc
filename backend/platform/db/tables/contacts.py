"""The people a user meets while applying (recruiters, hiring managers, referrers) and which
applications each one is linked to."""

from __future__ import annotations

from piccolo.columns import UUID, Bytea, ForeignKey, OnDelete, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from backend.platform.db.engine import DB
from backend.platform.db.tables.accounts import User
from backend.platform.db.tables.applications import Application


class Contact(Table, tablename="contacts", db=DB):
    """A contact. Name, email, phone, LinkedIn URL and notes are one envelope blob, `details` (aad
    `contacts.details:<id>`): another person's contact data is never stored in clear. Role and
    company (the professional context) stay in clear."""

    id = UUID(primary_key=True)
    user = ForeignKey(references=User, on_delete=OnDelete.cascade, index=True)
    role = Varchar(length=200, default="")
    company = Varchar(length=200, default="")
    details = Bytea()
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())


class ContactApplication(Table, tablename="contact_applications", db=DB):
    """A contact linked to an application (unique per pair: migration `contacts`)."""

    id = UUID(primary_key=True)
    contact = ForeignKey(references=Contact, on_delete=OnDelete.cascade, index=True)
    application = ForeignKey(references=Application, on_delete=OnDelete.cascade, index=True)
    user = ForeignKey(references=User, on_delete=OnDelete.cascade, index=True)
    created_at = Timestamptz(default=TimestamptzNow())
