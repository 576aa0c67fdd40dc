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
from backend.platform.db.tables import User

TEMPLATE = "status_change"

_RECIPIENT = """
SELECT u.email, u.full_name, COALESCE(s.time_zone, 'UTC') AS time_zone
FROM users u LEFT JOIN notification_settings s ON s."user" = u.id
WHERE u.id = {} AND u.is_active AND u.email_verified_at IS NOT NULL AND COALESCE(s.email_status_changes, false)
"""


async def queue_if_wanted(
    user_id: uuid.UUID, application: dict[str, Any], new_status: str, changed_at: datetime, public_url: str
) -> bool:
    """In the caller's transaction: queue the notice of `application` (its row before the change)
    moving to `new_status`, if its owner wants it. True when queued."""
    rows = await User.raw(_RECIPIENT, user_id)
    if not rows:
        return False
    recipient = rows[0]
    context = {
        "full_name": recipient["full_name"],
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
