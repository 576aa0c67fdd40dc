"""Email delivery through the `email_outbox` table. Framework-free: backend/features/notifications/jobs.py
wraps it.

    queue()  in the caller's transaction: the row, and an `email.send` job in the task outbox
    deliver(email_id)  (task `email.send`) claim → render → SMTP → settle:
        claim    UPDATE … SET claimed_until = now() + LEASE, attempts + 1
                 WHERE pending AND not claimed (or the claim lapsed) RETURNING …
                 so two deliveries of one row (redelivery, a sweep) cannot both send it;
        sent     sent_at, secrets erased from the context;
        permanent failure (5xx) or the last attempt: failed_at + last_error, secrets erased;
        transient failure: last_error, next_attempt_at = now() + base·2^(attempts-1) (≤ 15 min).
    sweep()  (task `email.sweep`, every 15 s) re-enqueues pending rows whose retry time has come,
        and rows whose claim lapsed (a worker died mid-send).

Exactly once in practice: a send is marked in the step that follows the SMTP answer; a crash between
the two sends the same row again later, with the same Message-ID (backend/platform/mail/message.py).
Logs carry the row id, template and error type, never the address or the content.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Protocol

import msgspec
import structlog

from backend.features.notifications import queries as repo
from backend.features.notifications import templates
from backend.platform.db.engine import DB
from backend.platform.db.tables import EmailOutbox
from backend.platform.mail import message as mail_message
from backend.platform.mail.smtp import MailError, PermanentMailError
from backend.settings import MailSettings
from tasks import outbox

log = structlog.get_logger("career_copilot.email")

SEND_TASK = "email.send"  # kwargs: email_id=str
LEASE = timedelta(minutes=2)  # longer than an SMTP send can take (timeouts are 20 s per step)
MAX_BACKOFF = timedelta(minutes=15)


class Mailer(Protocol):
    async def send(self, message: Any) -> None: ...


async def queue(user_id: uuid.UUID | None, to_address: str, template: str, context: dict[str, Any]) -> uuid.UUID:
    """Record an email to send, and its job, in the caller's transaction (they commit together)."""
    if template not in templates.TEMPLATES:
        raise ValueError(f"unknown email template {template!r}")
    row = EmailOutbox(user=user_id, to_address=to_address, template=template, context=context)
    await row.save()
    email_id = uuid.UUID(str(row.id))
    await outbox.enqueue(SEND_TASK, email_id=str(email_id))
    return email_id


@dataclass(frozen=True)
class Outcome:
    status: str  # sent | failed | retry | skipped (settled, claimed elsewhere, or gone)
    attempts: int = 0


def backoff(settings: MailSettings, attempts: int) -> timedelta:
    return min(MAX_BACKOFF, timedelta(seconds=settings.retry_base_seconds * 2 ** max(0, attempts - 1)))


async def deliver(email_id: uuid.UUID, mailer: Mailer, settings: MailSettings) -> Outcome:
    """Send email `email_id` once (see the module docstring); never raises for SMTP failures."""
    row = await repo.claim_email(email_id, LEASE)
    if row is None:
        return Outcome("skipped")
    attempts = int(row["attempts"])
    context = row["context"]
    context = msgspec.json.decode(context) if isinstance(context, str | bytes) else dict(context or {})
    try:
        rendered = templates.render(row["template"], context)
        built = mail_message.build(email_id, settings.mail_from, row["to_address"], rendered)
        await mailer.send(built)
    except MailError as exc:
        return await _failed_send(email_id, exc, attempts, settings)
    except (KeyError, ValueError, TypeError) as exc:  # a row that cannot become an email
        await repo.email_failed(email_id, f"unrenderable: {type(exc).__name__}")
        log.error("email_failed", email_id=str(email_id), template=row["template"], error=type(exc).__name__)
        return Outcome("failed", attempts)
    await repo.email_sent(email_id)
    log.info("email_sent", email_id=str(email_id), template=row["template"], attempts=attempts)
    return Outcome("sent", attempts)


async def _failed_send(email_id: uuid.UUID, exc: MailError, attempts: int, settings: MailSettings) -> Outcome:
    error = str(exc)[:300]
    if isinstance(exc, PermanentMailError) or attempts >= settings.max_attempts:
        await repo.email_failed(email_id, error)
        log.error("email_failed", email_id=str(email_id), attempts=attempts, error=error)
        return Outcome("failed", attempts)
    wait = backoff(settings, attempts)
    await repo.email_retry_later(email_id, wait, error)
    log.warning("email_retry_later", email_id=str(email_id), attempts=attempts, error=error, wait=wait.total_seconds())
    return Outcome("retry", attempts)


async def sweep(*, fresh_grace: timedelta = timedelta(seconds=30), batch: int = 500) -> int:
    """Enqueue `email.send` for every pending row whose (re)try time has come; how many.

    A never-tried row gets `fresh_grace` first: its own job (queued with it) is normally on its way.
    A row swept is not swept again for LEASE (its job is on its way), so sweeps that pile up behind
    a worker outage, or run side by side, enqueue each row once.
    """
    async with DB.transaction():
        rows = await repo.due_emails(LEASE, fresh_grace, batch)
        for row in rows:
            await outbox.enqueue(SEND_TASK, email_id=str(row["id"]))
    return len(rows)
