"""Reminders before interviews: a scheduled scan finds pending interviews whose reminder time has
come (each user chooses how long before: `interview_reminder_minutes`, by default 1 day and 1 hour)
and for each one, once, creates an in-app notification and queues an email, as the owner's
notification settings allow.

Once per interview, interview time and reminder time, even with two schedulers or a retried task:
each reminder is an `interview_reminders` row whose id is derived from (interview, starts_at,
minutes before), inserted with `ON CONFLICT DO NOTHING RETURNING` in the transaction that writes its
notification and email (as follow-up reminders, `reminders.py`). The insert also checks that the
interview is still pending at that time, so an interview cancelled or moved since the scan read it
is not reminded by that scan. A moved interview is a new interview time: its reminders come again
before the new time. Cancelled, passed, failed and no-show interviews, interviews of applications
that ended, past interviews and disabled accounts get none; email goes to verified addresses only.
Only the latest reminder time that has come is sent (one scheduled 30 minutes ahead does not get
its 1-day reminder late).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import msgspec
import structlog

from backend.features.notifications import emails, templates
from backend.features.notifications import queries as repo
from backend.features.notifications import service as notification_services
from backend.features.notifications.schemas import NotificationOut
from backend.platform.crypto import pii
from backend.platform.crypto.envelope import Envelope
from backend.platform.db import replicas
from backend.platform.db.engine import DB
from backend.platform.realtime.publisher import Publisher

log = structlog.get_logger("career_copilot.interview_reminders")

KIND = "interview_reminder"
TEMPLATE = "interview_reminder"
_NAMESPACE = uuid.UUID("0d7c3a52-5f0e-4c4f-8f57-2b8f6d1e9a44")
KINDS = {
    "phone_screen": "phone screen",
    "technical": "technical interview",
    "onsite": "onsite interview",
    "behavioral": "behavioral interview",
    "panel": "panel interview",
    "final": "final interview",
    "other": "interview",
}


class ScanReport(msgspec.Struct, frozen=True):
    reminded: int  # reminders this scan created (another scan's are not counted)
    notified: int
    emailed: int


def reminder_id(interview_id: uuid.UUID, starts_at: datetime, minutes_before: int) -> uuid.UUID:
    return uuid.uuid5(_NAMESPACE, f"{interview_id}:{starts_at.timestamp():.6f}:{minutes_before}")


def in_words(minutes: float) -> str:
    """How far ahead, roughly: `in 45 minutes`, `in 2 hours`, `in 1 day`."""
    minutes = max(1, round(minutes))
    if minutes < 90:
        return f"in {minutes} minute{'s' if minutes != 1 else ''}"
    hours = round(minutes / 60)
    if hours < 36:
        return f"in {hours} hours"
    days = round(minutes / 1440)
    return f"in {days} day{'s' if days != 1 else ''}"


async def scan(
    now: datetime, publisher: Publisher, public_url: str, envelope: Envelope, *, batch: int = 500
) -> ScanReport:
    """Send every reminder that is due and not sent yet (see the module docstring)."""
    rows = await repo.due_interview_reminders(now, batch)
    reminded = notified = emailed = 0
    for row in rows:
        done = await _remind(row, now, public_url, envelope)
        if done is None:
            continue  # another scan reminded it first, or it moved or ended meanwhile
        reminded += 1
        notification, mailed = done
        emailed += mailed
        if notification is not None:
            notified += 1
            await notification_services.announce(publisher, row["user_id"], notification)
    if reminded:
        log.info("interview_reminders", reminded=reminded, notified=notified, emailed=emailed)
    return ScanReport(reminded, notified, emailed)


async def _remind(
    row: dict[str, Any], now: datetime, public_url: str, envelope: Envelope
) -> tuple[NotificationOut | None, bool] | None:
    """Claim and write one reminder in one transaction; None when it was not claimed."""
    interview_id, starts_at, minutes_before = row["id"], row["starts_at"], int(row["minutes_before"])
    link = f"/applications/{row['application_id']}"
    what = KINDS.get(row["kind"], "interview")
    notification: NotificationOut | None = None
    mailed = False
    replicas.act_as(row["user_id"])  # the notification is the user's write (read replicas)
    async with DB.transaction():
        claimed = await repo.claim_interview_reminder(
            reminder_id(interview_id, starts_at, minutes_before), interview_id, starts_at, minutes_before
        )
        if not claimed:
            return None
        when = templates.local_time(starts_at.isoformat(), row["time_zone"])
        soon = in_words((starts_at - now).total_seconds() / 60)
        if row["in_app"]:
            notification = await notification_services.create(
                row["user_id"],
                KIND,
                f"Interview {soon}: {row['company']}"[:200],
                f"Your {what} for {row['role']} at {row['company']} starts {when} ({row['duration_minutes']} min).",
                link,
            )
        if row["email_on"] and row["verified"]:
            context = {
                "full_name": pii.read(envelope, {**row, "id": row["user_id"]}).full_name,
                "company": row["company"],
                "role": row["role"],
                "what": what,
                "soon": soon,
                "starts_at": starts_at.isoformat(),
                "duration_minutes": row["duration_minutes"],
                "time_zone": row["time_zone"],
                "link": f"{public_url}{link}",
            }
            await emails.queue(row["user_id"], row["email"], TEMPLATE, context)
            mailed = True
    return notification, mailed
