"""Email delivery: SMTP down → retried with backoff and delivered when it returns, with the
same Message-ID; a permanent refusal is recorded on the row and not retried; two deliveries of one
row send it once."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta

import httpx

from backend.devtools.embedded_services import free_port
from backend.devtools.mail.catcher import Catcher
from backend.features.notifications import emails
from backend.platform.db.engine import DB
from backend.platform.db.tables import EmailOutbox, TaskOutbox, User
from backend.platform.mail.smtp import SmtpMailer
from backend.settings import MailSettings, Settings
from tests import factories, support
from tests.plugins.mail import MAIL_FROM, mail_env, outbox_row, outbox_rows, received, start_worker
from tests.plugins.processes import Spawn
from tests.support import eventually

VERIFY = "Finish signing up: confirm your email address"


async def test_smtp_down_is_retried_with_backoff_and_delivered_when_it_returns(
    client: httpx.AsyncClient, spawn: Spawn, services: support.SessionServices
) -> None:
    port = free_port()  # nothing listens here yet: connections are refused
    worker = start_worker(spawn, services, port)
    scheduler = spawn(
        "backend.entrypoints.scheduler", mail_env(services, port, TASK_SCHEDULE_OVERRIDES="email.sweep=1")
    )
    user = await factories.register(client)

    async def retried() -> dict | None:
        """Three attempts made and finished: the count rises when an attempt claims the row, so
        an attempt still holding its claim may yet succeed."""
        rows = await outbox_rows(user["email"], "verify_email")
        return rows[0] if rows and rows[0]["attempts"] >= 3 and rows[0]["claimed_until"] is None else None

    try:
        row = await eventually(retried, 60, "three failed attempts")
    except BaseException:
        print(await outbox_rows(user["email"], "verify_email"), worker.output(), scheduler.output())
        raise
    assert isinstance(row, dict)
    assert row["sent_at"] is None and row["failed_at"] is None
    assert row["last_error"].startswith("SMTPConnectError") and user["email"] not in row["last_error"]
    assert row["next_attempt_at"] is not None and "token" in row["context"]  # still pending, still sendable

    with Catcher(port) as smtp:  # the server comes back
        try:
            [message] = await received(smtp, user["email"], VERIFY, within=60)
        except BaseException:
            print(await outbox_rows(user["email"], "verify_email"), worker.output(), scheduler.output())
            raise
        email_id = row["id"]
        sent = await eventually(lambda: _sent(email_id), 10, "the row marked sent")
        await asyncio.sleep(2)  # more sweeps: nothing is sent twice
        assert len(smtp.messages) == 1
    assert isinstance(sent, dict) and sent["attempts"] >= 4 and sent["last_error"] is None
    assert message["Message-ID"] == f"<{email_id}@career-copilot.test>"


async def _sent(email_id: object) -> dict | None:
    row = await outbox_row(str(email_id))
    return row if row["sent_at"] is not None else None


async def _queue(settings: Settings, address: str) -> uuid.UUID:
    user = User(email=address, password_hash="x", full_name="Grace Hopper")
    await user.save()
    async with DB.transaction():
        email_id = await emails.queue(
            user.id, address, "verify_email", {"full_name": "Grace", "token": "t0k", "link": "http://x/?token=t0k"}
        )
    return email_id


async def test_a_refused_recipient_is_a_permanent_failure_recorded_on_the_row(
    smtp: Catcher, settings: Settings, db: None
) -> None:
    mail = MailSettings(port=smtp.port, mail_from=MAIL_FROM)
    email_id = await _queue(settings, "bounce@example.com")
    outcome = await emails.deliver(email_id, SmtpMailer(mail), mail)
    assert (outcome.status, outcome.attempts) == ("failed", 1)
    row = await outbox_row(email_id)
    assert row["failed_at"] is not None and row["sent_at"] is None
    assert row["last_error"] == "SMTPRecipientsRefused (SMTP 550)"
    assert row["context"] == {"full_name": "Grace"}  # the token and link are gone
    # Settled: neither a redelivery nor a sweep sends it again.
    assert (await emails.deliver(email_id, SmtpMailer(mail), mail)).status == "skipped"
    assert await emails.sweep(fresh_grace=timedelta(0)) == 0
    assert smtp.messages == []


async def test_two_deliveries_of_one_row_send_it_once_and_the_last_attempt_gives_up(
    smtp: Catcher, settings: Settings, db: None
) -> None:
    mail = MailSettings(port=smtp.port, mail_from=MAIL_FROM)
    email_id = await _queue(settings, "grace@example.com")
    outcomes = await asyncio.gather(*(emails.deliver(email_id, SmtpMailer(mail), mail) for _ in range(3)))
    assert sorted(o.status for o in outcomes) == ["sent", "skipped", "skipped"]
    assert len(smtp.messages) == 1 and smtp.messages[0]["Message-ID"] == f"<{email_id}@career-copilot.test>"

    # With the server gone, the last allowed attempt marks the row failed instead of retrying forever.
    down = MailSettings(port=free_port(), mail_from=MAIL_FROM, max_attempts=2, timeout_seconds=2)
    other = await _queue(settings, "ada@example.com")
    assert (await emails.deliver(other, SmtpMailer(down), down)).status == "retry"
    assert (await outbox_row(other))["next_attempt_at"] is not None
    # The sweep sends a due row once, even when two sweeps run side by side.
    await EmailOutbox.update({EmailOutbox.next_attempt_at: None}).where(EmailOutbox.id == other)
    await TaskOutbox.delete(force=True)
    swept = await asyncio.gather(emails.sweep(fresh_grace=timedelta(0)), emails.sweep(fresh_grace=timedelta(0)))
    assert sorted(swept) == [0, 1] and await TaskOutbox.count() == 1
    assert (await emails.deliver(other, SmtpMailer(down), down)).status == "failed"
    row = await outbox_row(other)
    assert row["failed_at"] is not None and row["attempts"] == 2 and row["last_error"] == "SMTPConnectError"
