"""In-app notifications, the follow-up reminders already sent and the ghosting suggestions made."""

from __future__ import annotations

from piccolo.columns import UUID, ForeignKey, OnDelete, Text, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from backend.platform.db.engine import DB
from backend.platform.db.tables.accounts import User
from backend.platform.db.tables.applications import Application


class Notification(Table, tablename="notifications", db=DB):
    """One in-app notification. The list reads `(user, created_at, id)` newest first; the unread list
    has a partial index of its own (migration `notifications`)."""

    id = UUID(primary_key=True)
    user = ForeignKey(references=User, on_delete=OnDelete.cascade, index=True)
    kind = Varchar(length=40)  # follow_up_reminder | status_change | ...
    title = Varchar(length=200)
    body = Text(default="")
    link = Varchar(length=2000, default="")
    read_at = Timestamptz(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())


class FollowUpReminder(Table, tablename="follow_up_reminders", db=DB):
    """A reminder sent for an application's `next_follow_up_at`. The id is derived from
    (application, due_at), so a second scan's insert of the same reminder conflicts and does nothing:
    each follow-up date is reminded once, even with two schedulers or a retried task."""

    id = UUID(primary_key=True)
    application = ForeignKey(references=Application, on_delete=OnDelete.cascade, index=True)
    user = ForeignKey(references=User, on_delete=OnDelete.cascade, index=True)
    due_at = Timestamptz()
    created_at = Timestamptz(default=TimestamptzNow())


class GhostingSuggestion(Table, tablename="ghosting_suggestions", db=DB):
    """An application suggested as ghosted (no answer `ghosted_after_days` after it was applied), or
    decided on: one row per (application, `applied_at`), a unique pair, so each wait is suggested once
    even with two schedulers or a retried task. `applied_at` is when the wait began: the application's
    `applied_at`, or its latest move back to `applied` (a re-application). `suggested_at` and
    `notification` are null for a decision taken before any suggestion; `decision` is null while the
    user has not answered, then `confirmed` (the application moved to `ghosted`) or `dismissed`."""

    id = UUID(primary_key=True)
    application = ForeignKey(references=Application, on_delete=OnDelete.cascade, index=True)
    user = ForeignKey(references=User, on_delete=OnDelete.cascade, index=True)
    applied_at = Timestamptz()
    suggested_at = Timestamptz(null=True, default=None)
    notification = UUID(null=True, default=None)
    decision = Varchar(length=10, null=True, default=None)  # confirmed | dismissed
    decided_at = Timestamptz(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())
