"""Ghosting suggestions: a scheduled scan finds applications still `applied` with no answer
`ghosted_after_days` (a notification setting, default 21, 0 = never) after their wait began, and
suggests each one once as ghosted, with an in-app notification (`ghosting_suggested`, linked to the
application) that the user confirms or dismisses. Nothing changes an application's status but the
user's confirmation (`POST /applications/{id}/ghosting/confirm`, applications' service).

The wait begins at the application's `applied_at`, or at its latest move back to `applied` from an
end (accepted, rejected, ghosted, withdrawn): a re-application waits afresh. An answer is any move
to screening, interview, offer, accepted or rejected after the wait began. Each wait gets one
`ghosting_suggestions` row, unique on (application, wait start), inserted `ON CONFLICT DO NOTHING`
in the transaction of its notification: two schedulers or a retried task suggest once, and a
decision (confirm or dismiss, also one taken before any suggestion) ends that wait's suggestions.
Users with in-app notifications off, and disabled accounts, get none.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

import msgspec
import structlog

from backend.features.notifications import queries as repo
from backend.features.notifications import service as notification_services
from backend.features.notifications.schemas import NotificationOut
from backend.platform.db import replicas
from backend.platform.db.engine import DB
from backend.platform.realtime.publisher import Publisher

log = structlog.get_logger("career_copilot.ghosting")

KIND = "ghosting_suggested"
DEFAULT_AFTER_DAYS = 21  # a user without a settings row
MAX_AFTER_DAYS = 365
Decision = Literal["confirmed", "dismissed"]


class ScanReport(msgspec.Struct, frozen=True):
    suggested: int  # suggestions this scan made (another scan's are not counted)
    batches: int  # due lists read


async def scan(now: datetime, publisher: Publisher, *, batch: int = 500, max_batches: int = 20) -> ScanReport:
    """Suggest every due application once (see the module docstring): batches of `batch`, until a
    batch comes back short or `max_batches` were read (the next scan goes on)."""
    suggested = batches = 0
    while batches < max_batches:
        rows = await repo.due_ghosting(now, DEFAULT_AFTER_DAYS, batch)
        batches += 1
        for row in rows:
            notification = await _suggest(row, now)
            if notification is not None:
                suggested += 1
                await notification_services.announce(publisher, row["user_id"], notification)
        if len(rows) < batch:
            break
    if suggested:
        log.info("ghosting_suggested", suggested=suggested, batches=batches)
    return ScanReport(suggested, batches)


async def _suggest(row: dict[str, Any], now: datetime) -> NotificationOut | None:
    """Claim the wait and write its notification in one transaction; None when it was claimed or
    decided already, or the application has moved on."""
    app_id = row["id"]
    replicas.act_as(row["user_id"])  # the notification is the user's write (read replicas)
    async with DB.transaction():
        suggestion_id = await repo.claim_ghosting(app_id, row["wait_start"], now)
        if suggestion_id is None:
            return None
        days = max(int(row["after_days"]), (now - row["wait_start"]).days)
        notification = await notification_services.create(
            row["user_id"],
            KIND,
            f"No answer from {row['company']}?"[:200],
            f"You applied for {row['role']} at {row['company']} {days} days ago and have had no answer since. "
            "Mark it as ghosted, or dismiss this suggestion to keep waiting.",
            f"/applications/{app_id}",
        )
        await repo.attach_ghosting_notification(suggestion_id, notification.id)
    return notification


async def decide(user_id: uuid.UUID, application_id: uuid.UUID, decision: Decision, now: datetime) -> datetime | None:
    """In the caller's transaction (the application locked, still `applied`): record `decision` on
    the current wait and mark its suggestion read. The wait's start, or None when that wait had
    this decision already."""
    row = await repo.decide_ghosting(user_id, application_id, decision, now)
    if row is None:
        return None
    if row["notification"] is not None:
        await repo.mark_read(user_id, row["notification"], now)
    started: datetime = row["applied_at"]
    return started
