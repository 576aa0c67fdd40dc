"""Follow-up reminders: a scheduled scan finds applications whose `next_follow_up_at` has
come (less the owner's lead time), and for each one, once, creates an in-app notification and queues
an email, as the owner's notification settings allow.

Once, even with two schedulers or a retried task: each reminder is a `follow_up_reminders` row whose
id is derived from (application, due_at), inserted with `ON CONFLICT DO NOTHING RETURNING` in the
transaction that writes its notification and email. Of two scans racing for one application, the
second's insert waits for the first's commit and then returns nothing, so it writes nothing. A new
follow-up date is a new reminder. Applications that ended (accepted, rejected, ghosted, withdrawn) and
disabled accounts get none; email goes to verified addresses only.
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

log = structlog.get_logger("career_copilot.reminders")

KIND = "follow_up_reminder"
_NAMESPACE = uuid.UUID("6f1c9f3e-3d4b-4a8e-9a53-0c7c2b1f9d21")


class ScanReport(msgspec.Struct, frozen=True):
    reminded: int  # reminders this scan created (another scan's are not counted)
    notified: int
    emailed: int


def reminder_id(application_id: uuid.UUID, due_at: datetime) -> uuid.UUID:
    return uuid.uuid5(_NAMESPACE, f"{application_id}:{due_at.timestamp():.6f}")


async def scan(
    now: datetime, publisher: Publisher, public_url: str, envelope: Envelope, *, batch: int = 500
) -> ScanReport:
    """Remind every due follow-up not reminded yet (see the module docstring)."""
    rows = await repo.due_reminders(now, batch)
    reminded = notified = emailed = 0
    for row in rows:
        done = await _remind(row, public_url, envelope)
        if done is None:
            continue  # another scan reminded it first
        reminded += 1
        notification, mailed = done
        emailed += mailed
        if notification is not None:
            notified += 1
            await notification_services.announce(publisher, row["user_id"], notification)
    if reminded:
        log.info("follow_up_reminders", reminded=reminded, notified=notified, emailed=emailed)
    return ScanReport(reminded, notified, emailed)


async def _remind(
    row: dict[str, Any], public_url: str, envelope: Envelope
) -> tuple[NotificationOut | None, bool] | None:
    """Claim and write one reminder in one transaction; None when it was already claimed."""
    app_id, due_at = row["id"], row["due_at"]
    link = f"/applications/{app_id}"
    notification: NotificationOut | None = None
    mailed = False
    replicas.act_as(row["user_id"])  # the notification is the user's write (read replicas)
    async with DB.transaction():
        if not await repo.claim_reminder(reminder_id(app_id, due_at), app_id, row["user_id"], due_at):
            return None
        when = templates.local_time(due_at.isoformat(), row["time_zone"])
        if row["in_app"]:
            notification = await notification_services.create(
                row["user_id"],
                KIND,
                f"Follow up with {row['company']}"[:200],
                f"Your follow-up on {row['role']} at {row['company']} is due {when}.",
                link,
            )
        if row["email_on"] and row["verified"]:
            context = {
                "full_name": pii.read(envelope, {**row, "id": row["user_id"]}).full_name,
                "company": row["company"],
                "role": row["role"],
                "due_at": due_at.isoformat(),
                "time_zone": row["time_zone"],
                "link": f"{public_url}{link}",
            }
            await emails.queue(row["user_id"], row["email"], "follow_up_reminder", context)
            mailed = True
    return notification, mailed
