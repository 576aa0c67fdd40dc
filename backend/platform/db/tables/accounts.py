"""Users, their sign-in sessions (refresh-token families) and single-use email tokens."""

from __future__ import annotations

from piccolo.columns import (
    JSONB,
    UUID,
    Array,
    Boolean,
    Bytea,
    ForeignKey,
    Integer,
    OnDelete,
    Timestamptz,
    Varchar,
)
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from backend.platform.db.engine import DB


class User(Table, tablename="users", db=DB):
    """An account. The personal details (full name, phone, location, links) are one envelope blob,
    `pii` (backend/platform/crypto/pii.py); the plaintext columns of the earlier releases are kept
    empty ('' and []) until a later release drops them (`manage encrypt-pii` moves old rows)."""

    id = UUID(primary_key=True)
    email = Varchar(length=320, unique=True)  # stored lower-cased; in clear: sign-in looks it up
    password_hash = Varchar(length=256)
    full_name = Varchar(length=200)  # legacy plaintext: '' once `pii` holds it
    headline = Varchar(length=200, default="")
    location = Varchar(length=200, default="")  # legacy plaintext
    phone = Varchar(length=50, default="")  # legacy plaintext
    links = JSONB(default=[])  # legacy plaintext
    pii = Bytea(null=True, default=None)  # envelope blob of the personal details, aad `users.pii:<id>`
    target_roles = Array(base_column=Varchar(length=100), default=[])
    role = Varchar(length=20, default="user")  # user | admin
    is_active = Boolean(default=True)
    email_verified_at = Timestamptz(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())


class Session(Table, tablename="auth_sessions", db=DB):
    """One refresh-token family: a sign-in on one device. Revoking it ends that sign-in."""

    id = UUID(primary_key=True)
    user = ForeignKey(references=User, on_delete=OnDelete.cascade, index=True)
    created_at = Timestamptz(default=TimestamptzNow())
    last_used_at = Timestamptz(default=TimestamptzNow())
    expires_at = Timestamptz()
    revoked_at = Timestamptz(null=True, default=None)
    revoked_reason = Varchar(length=40, null=True, default=None)
    user_agent = Varchar(length=300, default="")


class RefreshToken(Table, tablename="refresh_tokens", db=DB):
    """A refresh token of a session, stored hashed; `used_at` set once it has been rotated."""

    id = UUID(primary_key=True)
    session = ForeignKey(references=Session, on_delete=OnDelete.cascade, index=True)
    token_hash = Varchar(length=64, unique=True)
    created_at = Timestamptz(default=TimestamptzNow())
    expires_at = Timestamptz(index=True)
    used_at = Timestamptz(null=True, default=None)


class EmailToken(Table, tablename="email_tokens", db=DB):
    """A single-use token mailed to the user (verify email, password reset), stored hashed."""

    id = UUID(primary_key=True)
    user = ForeignKey(references=User, on_delete=OnDelete.cascade, index=True)
    purpose = Varchar(length=20)  # verify_email | password_reset
    token_hash = Varchar(length=64, unique=True)
    created_at = Timestamptz(default=TimestamptzNow())
    expires_at = Timestamptz(index=True)
    used_at = Timestamptz(null=True, default=None)


class PersonalAccessToken(Table, tablename="personal_access_tokens", db=DB):
    """A long-lived token for integrations: shown once, stored hashed."""

    id = UUID(primary_key=True)
    user = ForeignKey(references=User, on_delete=OnDelete.cascade, index=True)
    name = Varchar(length=100)
    prefix = Varchar(length=16)  # first characters, shown in lists so a user can tell tokens apart
    token_hash = Varchar(length=64, unique=True)
    scopes = Array(base_column=Varchar(length=10), default=[])
    created_at = Timestamptz(default=TimestamptzNow())
    expires_at = Timestamptz(null=True, default=None)
    last_used_at = Timestamptz(null=True, default=None)
    revoked_at = Timestamptz(null=True, default=None)


class NotificationSettings(Table, tablename="notification_settings", db=DB):
    """Which notifications a user wants; a missing row means the defaults."""

    user = ForeignKey(references=User, on_delete=OnDelete.cascade, primary_key=True)
    in_app = Boolean(default=True)
    email_follow_up_reminders = Boolean(default=True)
    email_status_changes = Boolean(default=False)
    reminder_lead_minutes = Integer(default=0)  # a follow-up reminder comes this long before its time
    ghosted_after_days = Integer(default=21)  # an unanswered application is suggested as ghosted after; 0: never
    email_interview_reminders = Boolean(default=True)
    interview_reminder_minutes = Array(base_column=Integer(), default=[1440, 60])  # before each interview
    time_zone = Varchar(length=64, default="UTC")  # IANA name; dates in emails are shown in it
    updated_at = Timestamptz(default=TimestamptzNow())


class AccountErasure(Table, tablename="account_erasures", db=DB):
    """An erased account whose stored files and realtime history are still being deleted: written in
    the transaction that deletes the user row, deleted once nothing of the user is left
    (backend/features/accounts/erasure.py). No foreign key: the user row is already gone."""

    user_id = UUID(primary_key=True)
    requested_at = Timestamptz(default=TimestamptzNow())
    attempts = Integer(default=0)
    last_attempt_at = Timestamptz(null=True, default=None)
    last_error = Varchar(length=300, null=True, default=None)
