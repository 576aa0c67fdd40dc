"""The optional status-change email: when an application moves to another status and its
owner has `email_status_changes` on (off by default) and a verified address, an email is queued in
the transaction of the change, so it goes once the change commits and never for one rolled back.
Useful when an integration (a personal access token) moves applications; no in-app notification:
the dashboard already shows the move live. Framework-free."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from backend.features.notifications import emails
from backend.features.notifications import queries as repo
from backend.platform.crypto import pii
from backend.platform.crypto.envelope import Envelope

TEMPLATE = "status_change"


async def queue_if_wanted(
    user_id: uuid.UUID,
    application: dict[str, Any],
    new_status: str,
    changed_at: datetime,
    public_url: str,
    envelope: Envelope,
) -> bool:
    """In the caller's transaction: queue the notice of `application` (its row before the change)
    moving to `new_status`, if its owner wants it. True when queued."""
    recipient = await repo.status_notice_recipient(user_id)
    if recipient is None:
        return False
    context = {
        "full_name": pii.read(envelope, recipient).full_name,
        "company": application["company"],
        "role": application["role"],
        "old_status": application["status"],
        "new_status": new_status,
        "changed_at": changed_at.isoformat(),
        "time_zone": recipient["time_zone"],
        "link": f"{public_url}/applications/{application['id']}",
    }
    await emails.queue(user_id, recipient["email"], TEMPLATE, context)
    return True
