"""Queries of the notifications area (its raw SQL): notifications, each scoped to its owner (other
users' rows: 404); the email outbox; follow-up reminders; the recipient of a status-change notice."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from backend.platform.db.tables import (
    EmailOutbox,
    FollowUpReminder,
    GhostingSuggestion,
    InterviewReminder,
    Notification,
    User,
)

_COLUMNS = "id, kind, title, body, link, read_at, created_at"


async def page(
    user_id: uuid.UUID, *, unread: bool, after: tuple[datetime, uuid.UUID] | None, limit: int
) -> list[dict[str, Any]]:
    """Up to `limit` notifications, newest first, after the keyset position `after`."""
    clauses, args = ['"user" = {}'], [user_id]
    if unread:
        clauses.append("read_at IS NULL")
    if after is not None:
        clauses.append("(created_at, id) < ({}, {})")
        args += [after[0], after[1]]  # type: ignore[list-item]
    sql = (
        f"SELECT {_COLUMNS} FROM notifications WHERE {' AND '.join(clauses)} "  # noqa: S608 - no input in the SQL
        f"ORDER BY created_at DESC, id DESC LIMIT {int(limit)}"
    )
    return list(await Notification.raw(sql, *args))


async def all_of(user_id: uuid.UUID) -> list[dict[str, Any]]:
    query = Notification.select(*(getattr(Notification, c) for c in _COLUMNS.split(", ")))
    return list(await query.where(Notification.user == user_id).order_by(Notification.created_at, ascending=False))


async def unread_count(user_id: uuid.UUID) -> int:
    return int(await Notification.count().where(Notification.user == user_id).where(Notification.read_at.is_null()))


async def mark_read(user_id: uuid.UUID, notification_id: uuid.UUID, now: datetime) -> dict[str, Any] | None:
    """The notification after marking it read (a read one keeps its first `read_at`); None if not theirs."""
    rows = await Notification.raw(
        """
        UPDATE notifications SET read_at = COALESCE(read_at, {})
        WHERE id = {} AND "user" = {}
        RETURNING id, kind, title, body, link, read_at, created_at
        """,
        now,
        notification_id,
        user_id,
    )
    return rows[0] if rows else None


async def mark_all_read(user_id: uuid.UUID, now: datetime) -> int:
    rows = await Notification.raw(
        'UPDATE notifications SET read_at = {} WHERE "user" = {} AND read_at IS NULL RETURNING id', now, user_id
    )
    return len(rows)


async def insert(user_id: uuid.UUID, kind: str, title: str, body: str, link: str) -> dict[str, Any]:
    rows = await Notification.raw(
        """
        INSERT INTO notifications (id, "user", kind, title, body, link, read_at, created_at)
        VALUES ({}, {}, {}, {}, {}, {}, NULL, now())
        RETURNING id, kind, title, body, link, read_at, created_at
        """,
        uuid.uuid4(),
        user_id,
        kind,
        title[:200],
        body,
        link[:2000],
    )
    return dict(rows[0])


# -- the email outbox (backend.features.notifications.emails) ------------------------------------------
_EMAIL_CLAIM = """
UPDATE email_outbox SET claimed_until = now() + {}::interval, attempts = attempts + 1
WHERE id = {} AND sent_at IS NULL AND failed_at IS NULL AND (claimed_until IS NULL OR claimed_until < now())
RETURNING id, to_address, template, context, attempts
"""
_EMAIL_SENT = """
UPDATE email_outbox SET sent_at = now(), claimed_until = NULL, next_attempt_at = NULL, last_error = NULL,
    context = context - 'token' - 'link'
WHERE id = {}
"""
_EMAIL_FAILED = """
UPDATE email_outbox SET failed_at = now(), claimed_until = NULL, next_attempt_at = NULL, last_error = {},
    context = context - 'token' - 'link'
WHERE id = {}
"""
_EMAIL_RETRY_LATER = """
UPDATE email_outbox SET claimed_until = NULL, next_attempt_at = now() + {}::interval, last_error = {}
WHERE id = {}
"""
_EMAILS_DUE = """
UPDATE email_outbox SET next_attempt_at = now() + {}::interval
WHERE id IN (
    SELECT id FROM email_outbox
    WHERE sent_at IS NULL AND failed_at IS NULL
      AND (claimed_until IS NULL OR claimed_until < now())
      AND COALESCE(next_attempt_at, created_at + {}::interval) <= now()
    ORDER BY created_at
    LIMIT {}
    FOR UPDATE SKIP LOCKED
)
RETURNING id
"""


async def claim_email(email_id: uuid.UUID, lease: timedelta) -> dict[str, Any] | None:
    """Claim a pending, unclaimed (or lapsed) email for `lease`, counting the attempt; None when it is
    settled, claimed elsewhere or gone."""
    rows = await EmailOutbox.raw(_EMAIL_CLAIM, lease, email_id)
    return rows[0] if rows else None


async def email_sent(email_id: uuid.UUID) -> None:
    """Settle the email sent; its secrets (`token`, `link`) are erased from the context."""
    await EmailOutbox.raw(_EMAIL_SENT, email_id)


async def email_failed(email_id: uuid.UUID, error: str) -> None:
    """Settle the email failed with `error`; its secrets are erased from the context."""
    await EmailOutbox.raw(_EMAIL_FAILED, error, email_id)


async def email_retry_later(email_id: uuid.UUID, wait: timedelta, error: str) -> None:
    """Release the claim; the email is due again in `wait`."""
    await EmailOutbox.raw(_EMAIL_RETRY_LATER, wait, error, email_id)


async def due_emails(lease: timedelta, fresh_grace: timedelta, batch: int) -> list[dict[str, Any]]:
    """Pending, unclaimed emails whose (re)try time has come (a never-tried one `fresh_grace` after its
    creation), oldest first, up to `batch`; each is not due again for `lease`. Returns their ids."""
    return list(await EmailOutbox.raw(_EMAILS_DUE, lease, fresh_grace, batch))


# -- follow-up reminders (backend.features.notifications.reminders) -----------------------------------
_REMINDERS_DUE = """
SELECT a.id, a."user" AS user_id, a.company, a.role, a.next_follow_up_at AS due_at,
       u.email, u.full_name, u.pii, u.email_verified_at IS NOT NULL AS verified,
       COALESCE(s.in_app, true) AS in_app,
       COALESCE(s.email_follow_up_reminders, true) AS email_on,
       COALESCE(s.time_zone, 'UTC') AS time_zone
FROM applications a
JOIN users u ON u.id = a."user"
LEFT JOIN notification_settings s ON s."user" = a."user"
WHERE a.next_follow_up_at IS NOT NULL
  AND a.next_follow_up_at <= {}::timestamptz + interval '10080 minutes'
  AND a.next_follow_up_at <= {}::timestamptz + make_interval(mins => COALESCE(s.reminder_lead_minutes, 0))
  AND a.status NOT IN ('accepted', 'rejected', 'ghosted', 'withdrawn')
  AND u.is_active
  AND NOT EXISTS (
      SELECT 1 FROM follow_up_reminders r WHERE r.application = a.id AND r.due_at = a.next_follow_up_at
  )
ORDER BY a.next_follow_up_at
LIMIT {}
"""
_REMINDER_CLAIM = """
INSERT INTO follow_up_reminders (id, application, "user", due_at, created_at)
VALUES ({}, {}, {}, {}, now())
ON CONFLICT (id) DO NOTHING
RETURNING id
"""


async def due_reminders(now: datetime, batch: int) -> list[dict[str, Any]]:
    """Open applications of active users whose follow-up (less the owner's lead time) has come at `now`
    and is not reminded yet, with what the reminder needs; soonest first, up to `batch`."""
    return list(await FollowUpReminder.raw(_REMINDERS_DUE, now, now, batch))


async def claim_reminder(
    reminder_id: uuid.UUID, application_id: uuid.UUID, user_id: uuid.UUID, due_at: datetime
) -> bool:
    """Insert the reminder row; False when it exists (another scan reminded it first)."""
    return bool(await FollowUpReminder.raw(_REMINDER_CLAIM, reminder_id, application_id, user_id, due_at))


# -- status-change notices (backend.features.notifications.status_notices) ----------------------------
_STATUS_NOTICE_RECIPIENT = """
SELECT u.id, u.email, u.full_name, u.pii, COALESCE(s.time_zone, 'UTC') AS time_zone
FROM users u LEFT JOIN notification_settings s ON s."user" = u.id
WHERE u.id = {} AND u.is_active AND u.email_verified_at IS NOT NULL AND COALESCE(s.email_status_changes, false)
"""


async def status_notice_recipient(user_id: uuid.UUID) -> dict[str, Any] | None:
    """The user's address, name and time zone if they are active, verified and want status-change
    emails; else None."""
    rows = await User.raw(_STATUS_NOTICE_RECIPIENT, user_id)
    return rows[0] if rows else None


# -- ghosting suggestions (backend.features.notifications.ghosting) ------------------------------------
# When an application's wait for an answer began: its `applied_at`, or its latest move back to
# `applied` from an end (a re-application) when that is later; without `applied_at`, its latest move
# to `applied`. Reads the application as `a`.
WAIT_START = """COALESCE(
    GREATEST(a.applied_at, (SELECT max(e.at) FROM application_events e WHERE e.application = a.id
        AND e.to_status = 'applied' AND e.from_status IN ('accepted', 'rejected', 'ghosted', 'withdrawn'))),
    (SELECT max(e.at) FROM application_events e WHERE e.application = a.id AND e.to_status = 'applied'))"""
_RESPONSES = "('screening', 'interview', 'offer', 'accepted', 'rejected')"  # applications.schemas.RESPONSE_STATUSES
_GHOSTING_DUE = f"""
WITH waiting AS (
    SELECT a.id, a."user" AS user_id, a.company, a.role, {WAIT_START} AS wait_start,
           COALESCE(s.ghosted_after_days, {{}}) AS after_days
    FROM applications a
    JOIN users u ON u.id = a."user"
    LEFT JOIN notification_settings s ON s."user" = a."user"
    WHERE a.status = 'applied'
      AND u.is_active
      AND COALESCE(s.in_app, true)
      AND COALESCE(s.ghosted_after_days, {{}}) > 0
      -- a wait begins at `applied_at` or later: a cheap first cut before the timeline is read
      AND (a.applied_at IS NULL
           OR a.applied_at <= {{}}::timestamptz - make_interval(days => COALESCE(s.ghosted_after_days, {{}})))
)
SELECT w.id, w.user_id, w.company, w.role, w.wait_start, w.after_days
FROM waiting w
WHERE w.wait_start IS NOT NULL
  AND w.wait_start <= {{}}::timestamptz - make_interval(days => w.after_days)
  AND NOT EXISTS (
      SELECT 1 FROM application_events e
      WHERE e.application = w.id AND e.at >= w.wait_start AND e.to_status IN {_RESPONSES}
  )
  AND NOT EXISTS (SELECT 1 FROM ghosting_suggestions g WHERE g.application = w.id AND g.applied_at = w.wait_start)
ORDER BY w.wait_start, w.id
LIMIT {{}}
"""  # noqa: S608 - constants only
_GHOSTING_CLAIM = """
INSERT INTO ghosting_suggestions (id, application, "user", applied_at, suggested_at, created_at)
SELECT {}, a.id, a."user", {}, {}, now() FROM applications a WHERE a.id = {} AND a.status = 'applied'
ON CONFLICT (application, applied_at) DO NOTHING
RETURNING id
"""
_GHOSTING_DECIDE = f"""
INSERT INTO ghosting_suggestions (id, application, "user", applied_at, decision, decided_at, created_at)
SELECT {{}}, a.id, a."user", {WAIT_START}, {{}}, {{}}, {{}}
FROM applications a WHERE a.id = {{}} AND a."user" = {{}} AND {WAIT_START} IS NOT NULL
ON CONFLICT (application, applied_at) DO UPDATE SET decision = EXCLUDED.decision, decided_at = EXCLUDED.decided_at
    WHERE ghosting_suggestions.decision IS DISTINCT FROM EXCLUDED.decision
RETURNING applied_at, notification
"""  # noqa: S608 - constants only


async def due_ghosting(now: datetime, default_days: int, batch: int) -> list[dict[str, Any]]:
    """Applications of active users still `applied` with no answer since their wait began
    (`wait_start`), for the owner's `ghosted_after_days` (`after_days`, `default_days` without a
    settings row; 0: never) or longer at `now`, and not suggested or decided on for that wait; the
    longest waiting first, up to `batch`. Users with in-app notifications off get none."""
    return list(await GhostingSuggestion.raw(_GHOSTING_DUE, default_days, default_days, now, default_days, now, batch))


async def claim_ghosting(application_id: uuid.UUID, wait_start: datetime, now: datetime) -> uuid.UUID | None:
    """Record the suggestion for this wait; None when there is one (another scan's, or a decision) or
    the application left `applied` meanwhile."""
    rows = await GhostingSuggestion.raw(_GHOSTING_CLAIM, uuid.uuid4(), wait_start, now, application_id)
    return rows[0]["id"] if rows else None


async def attach_ghosting_notification(suggestion_id: uuid.UUID, notification_id: uuid.UUID) -> None:
    await GhostingSuggestion.raw(
        "UPDATE ghosting_suggestions SET notification = {} WHERE id = {}", notification_id, suggestion_id
    )


async def decide_ghosting(
    user_id: uuid.UUID, application_id: uuid.UUID, decision: str, now: datetime
) -> dict[str, Any] | None:
    """Record `decision` on the application's current wait (suggested or not yet; a confirmation
    replaces a dismissal); returns the wait's start and the suggestion's notification, or None when
    that wait has this decision already (or the application has never been applied)."""
    rows = await GhostingSuggestion.raw(_GHOSTING_DECIDE, uuid.uuid4(), decision, now, now, application_id, user_id)
    return dict(rows[0]) if rows else None


async def ghosting_suggestions_of(user_id: uuid.UUID) -> list[dict[str, Any]]:
    """Every suggestion and decision of the user, oldest first (the account export)."""
    query = GhostingSuggestion.select(
        GhostingSuggestion.application, GhostingSuggestion.applied_at, GhostingSuggestion.suggested_at,
        GhostingSuggestion.decision, GhostingSuggestion.decided_at,
    )  # fmt: skip
    return list(await query.where(GhostingSuggestion.user == user_id).order_by(GhostingSuggestion.created_at))


# -- reminders before interviews (backend.features.notifications.interview_reminders) ------------------
# Per pending interview still ahead: the smallest of the owner's reminder times that has come
# (`minutes_before`), unless that reminder was sent for this interview time. Only the latest reminder
# time that has come is sent: an interview scheduled 2 hours ahead gets its 1-day reminder at once
# and its 1-hour reminder later, one scheduled 30 minutes ahead gets only the 1-hour one.
_INTERVIEW_REMINDERS_DUE = """
WITH t AS (SELECT {}::timestamptz AS now)
SELECT i.id, i."user" AS user_id, i.application AS application_id, i.kind, i.starts_at, i.duration_minutes,
       a.company, a.role, due.minutes_before,
       u.email, u.full_name, u.pii, u.email_verified_at IS NOT NULL AS verified,
       COALESCE(s.in_app, true) AS in_app,
       COALESCE(s.email_interview_reminders, true) AS email_on,
       COALESCE(s.time_zone, 'UTC') AS time_zone
FROM t
CROSS JOIN interviews i
JOIN applications a ON a.id = i.application
JOIN users u ON u.id = i."user"
LEFT JOIN notification_settings s ON s."user" = i."user"
CROSS JOIN LATERAL (
    SELECT min(m) AS minutes_before
    FROM unnest(COALESCE(s.interview_reminder_minutes, ARRAY[1440, 60])) AS m
    WHERE i.starts_at - make_interval(mins => m) <= t.now
) due
WHERE i.outcome = 'pending'
  AND i.starts_at > t.now
  AND i.starts_at <= t.now + interval '10080 minutes'
  AND due.minutes_before IS NOT NULL
  AND a.status NOT IN ('accepted', 'rejected', 'withdrawn')
  AND u.is_active
  AND NOT EXISTS (
      SELECT 1 FROM interview_reminders r
      WHERE r.interview = i.id AND r.starts_at = i.starts_at AND r.minutes_before = due.minutes_before
  )
ORDER BY i.starts_at
LIMIT {}
"""
_INTERVIEW_REMINDER_CLAIM = """
INSERT INTO interview_reminders (id, interview, "user", starts_at, minutes_before, created_at)
SELECT {}, i.id, i."user", i.starts_at, {}, now()
FROM interviews i WHERE i.id = {} AND i.starts_at = {} AND i.outcome = 'pending'
ON CONFLICT (id) DO NOTHING
RETURNING id
"""


async def due_interview_reminders(now: datetime, batch: int) -> list[dict[str, Any]]:
    """Pending interviews of active users, ahead of `now`, whose latest reminder time has come and
    was not reminded yet, with what the reminder needs; soonest first, up to `batch`."""
    return list(await InterviewReminder.raw(_INTERVIEW_REMINDERS_DUE, now, batch))


async def claim_interview_reminder(
    reminder_id: uuid.UUID, interview_id: uuid.UUID, starts_at: datetime, minutes_before: int
) -> bool:
    """Insert the reminder row if the interview is still pending at that time; False when it exists
    (another scan reminded it first) or the interview moved, ended or is gone."""
    rows = await InterviewReminder.raw(_INTERVIEW_REMINDER_CLAIM, reminder_id, minutes_before, interview_id, starts_at)
    return bool(rows)
