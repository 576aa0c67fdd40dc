"""Timeline entries other than status changes: interviews (scheduled, moved, given an outcome,
removed) and contacts (linked, unlinked), written by those features in the transaction of the
change, read back by the application's timeline (`ApplicationService.timeline`) in time order with
the status changes.

Each entry keeps a snapshot of what it shows (the interview's kind and time, the contact's name) as
an envelope blob bound to the entry's id, so a contact's name is never stored in clear and the entry
still reads after the interview or contact is gone. No Litestar import."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

import msgspec

from backend.platform import clock
from backend.platform.crypto.envelope import Envelope
from backend.platform.db.tables import ApplicationActivity

Kind = Literal[
    "interview_scheduled",
    "interview_rescheduled",
    "interview_outcome",
    "interview_removed",
    "contact_linked",
    "contact_unlinked",
]


class Snapshot(msgspec.Struct, kw_only=True, omit_defaults=True):
    """What an entry shows, as it was then."""

    interview_kind: str | None = None
    starts_at: datetime | None = None
    previous_starts_at: datetime | None = None
    outcome: str | None = None
    previous_outcome: str | None = None
    contact_name: str | None = None


def aad(activity_id: uuid.UUID | str) -> str:
    return f"application_activity.detail:{activity_id}"


async def record(
    envelope: Envelope,
    application_id: uuid.UUID,
    kind: Kind,
    subject_id: uuid.UUID,
    snapshot: Snapshot,
    *,
    at: datetime | None = None,
) -> None:
    """Add an entry (in the caller's transaction, if one is open)."""
    activity_id = uuid.uuid4()
    await ApplicationActivity(
        id=activity_id,
        application=application_id,
        at=at or clock.now(),
        kind=kind,
        subject_id=subject_id,
        detail=envelope.encrypt_json(snapshot, aad(activity_id)),
    ).save()


async def entries(envelope: Envelope, application_id: uuid.UUID) -> list[tuple[dict[str, Any], Snapshot]]:
    """Every entry of the application, oldest first, with its snapshot."""
    rows = await ApplicationActivity.raw(
        "SELECT id, at, kind, subject_id, detail FROM application_activity WHERE application = {} ORDER BY at, id",
        application_id,
    )
    return [(row, envelope.decrypt_json(bytes(row["detail"]), aad(row["id"]), Snapshot)) for row in rows]
