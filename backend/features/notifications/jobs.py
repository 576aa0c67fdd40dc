"""Email and reminder tasks: thin wrappers of backend/features/notifications.

- `email.send(email_id)`: deliver one `email_outbox` row (enqueued through the task outbox in the
  transaction that queued the email). Idempotent: a sent, failed, or elsewhere-claimed row is
  skipped. SMTP failures do not raise: a transient one schedules the row's next attempt with
  backoff (the sweep below sends it), a permanent one marks it failed. Other errors (Postgres down)
  raise, and BackoffRetryMiddleware retries them.
- `email.sweep()`: every 15 s (schedule id `email.sweep`), re-enqueue pending rows whose retry time
  came, or whose sender died mid-send.
- `reminders.scan()`: every minute (schedule id `reminders.scan`), remind due follow-ups once each.
- `ghosting.scan()`: every 15 minutes (schedule id `ghosting.scan`), suggest each application left
  unanswered for its owner's `ghosted_after_days` as ghosted, once.
- `reminders.interviews()`: every minute (schedule id `reminders.interviews`), remind upcoming
  interviews once per reminder time.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import msgspec
import structlog
from taskiq import TaskiqDepends, async_shared_broker

from backend.features.notifications import emails, ghosting, interview_reminders, reminders
from backend.platform.crypto.envelope import Envelope
from backend.platform.jobs import resources
from backend.platform.mail.smtp import SmtpMailer
from backend.platform.realtime.publisher import Publisher
from backend.settings import Settings

log = structlog.get_logger("career_copilot.notifications.tasks")

SEND = emails.SEND_TASK
SWEEP = "email.sweep"
SCAN_REMINDERS = "reminders.scan"
SCAN_GHOSTING = "ghosting.scan"
SCAN_INTERVIEW_REMINDERS = "reminders.interviews"


@async_shared_broker.task(task_name=SEND)
async def send_email(email_id: str, settings: Settings = TaskiqDepends(resources.app_settings)) -> str:
    """Deliver email `email_id`; returns sent, failed, retry or skipped."""
    try:
        eid = uuid.UUID(email_id)
    except (TypeError, ValueError):
        log.error("email_send_bad_id")
        return "skipped"
    outcome = await emails.deliver(eid, SmtpMailer(settings.mail), settings.mail)
    return outcome.status


@async_shared_broker.task(task_name=SWEEP, schedule=[{"interval": 15, "schedule_id": SWEEP}])
async def sweep_emails() -> int:
    """Re-enqueue pending emails whose (re)try time has come; how many."""
    return await emails.sweep()


@async_shared_broker.task(task_name=SCAN_REMINDERS, schedule=[{"cron": "* * * * *", "schedule_id": SCAN_REMINDERS}])
async def scan_reminders(
    publisher: Publisher = TaskiqDepends(resources.publisher),
    settings: Settings = TaskiqDepends(resources.app_settings),
    envelope: Envelope = TaskiqDepends(resources.envelope),
) -> dict[str, int]:
    """Remind every due follow-up once; how many reminders, notifications and emails."""
    report = await reminders.scan(datetime.now(UTC), publisher, settings.app.public_url, envelope)
    return msgspec.structs.asdict(report)


@async_shared_broker.task(task_name=SCAN_GHOSTING, schedule=[{"cron": "*/15 * * * *", "schedule_id": SCAN_GHOSTING}])
async def scan_ghosting(publisher: Publisher = TaskiqDepends(resources.publisher)) -> dict[str, int]:
    """Suggest every application left unanswered long enough as ghosted, once; how many."""
    report = await ghosting.scan(datetime.now(UTC), publisher)
    return msgspec.structs.asdict(report)


@async_shared_broker.task(
    task_name=SCAN_INTERVIEW_REMINDERS,
    schedule=[{"cron": "* * * * *", "schedule_id": SCAN_INTERVIEW_REMINDERS}],
)
async def scan_interview_reminders(
    publisher: Publisher = TaskiqDepends(resources.publisher),
    settings: Settings = TaskiqDepends(resources.app_settings),
    envelope: Envelope = TaskiqDepends(resources.envelope),
) -> dict[str, int]:
    """Remind every upcoming interview whose reminder time came, once; how many reminders,
    notifications and emails."""
    report = await interview_reminders.scan(datetime.now(UTC), publisher, settings.app.public_url, envelope)
    return msgspec.structs.asdict(report)
