"""Interview rounds of applications, the reminders sent before them, and the private calendar feeds."""

from __future__ import annotations

from piccolo.columns import UUID, Bytea, ForeignKey, Integer, OnDelete, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from backend.platform.db.engine import DB
from backend.platform.db.tables.accounts import User
from backend.platform.db.tables.applications import Application


class Interview(Table, tablename="interviews", db=DB):
    """One interview round of an application. What could identify people or open a meeting (the
    place or link, the people, the preparation notes) is one envelope blob, `details` (aad
    `interviews.details:<id>`); kind, time, length and outcome stay in clear for the reminder scan
    and the calendar feed's ordering."""

    id = UUID(primary_key=True)
    application = ForeignKey(references=Application, on_delete=OnDelete.cascade, index=True)
    user = ForeignKey(references=User, on_delete=OnDelete.cascade, index=True)
    kind = Varchar(length=20)  # phone_screen | technical | onsite | behavioral | panel | final | other
    starts_at = Timestamptz(index=True)
    duration_minutes = Integer(default=60)
    outcome = Varchar(length=20, default="pending")  # pending | passed | failed | cancelled | no_show
    details = Bytea(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())


class InterviewReminder(Table, tablename="interview_reminders", db=DB):
    """A reminder sent before an interview. The id is derived from (interview, starts_at, minutes
    before), so a second scan's insert conflicts and does nothing: each reminder time of each
    interview time is reminded once; an interview moved to another time is reminded again."""

    id = UUID(primary_key=True)
    interview = ForeignKey(references=Interview, on_delete=OnDelete.cascade, index=True)
    user = ForeignKey(references=User, on_delete=OnDelete.cascade, index=True)
    starts_at = Timestamptz()
    minutes_before = Integer()
    created_at = Timestamptz(default=TimestamptzNow())


class CalendarFeed(Table, tablename="calendar_feeds", db=DB):
    """A user's private iCalendar feed: only the SHA-256 of its URL's token is kept. One per user;
    making a new one replaces the row, so the old URL stops working."""

    user = ForeignKey(references=User, on_delete=OnDelete.cascade, primary_key=True)
    token_hash = Varchar(length=64, unique=True)
    created_at = Timestamptz(default=TimestamptzNow())
    last_used_at = Timestamptz(null=True, default=None)
