"""Follow-up reminders: a follow-up that is due produces exactly one
notification, one live `notification.created` event on the owner's socket and one email, even with
scans racing (in one process, and two schedulers feeding two workers); settings turn email off,
bring reminders forward (lead time) and choose the time zone of the email."""

from __future__ import annotations

import asyncio
import uuid
import zoneinfo
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import redis.asyncio as aioredis

from backend.devtools.mail.catcher import Catcher
from backend.features.notifications import reminders
from backend.platform.crypto.envelope import Envelope
from backend.platform.db.tables import Application, EmailOutbox, FollowUpReminder, Notification, User
from backend.platform.realtime.publisher import Publisher
from backend.settings import Settings
from tests import factories, support
from tests.plugins.mail import html_of, link_in, mail_env, received, start_worker, text_of, to
from tests.plugins.processes import Spawn
from tests.plugins.realtime import history, user_socket

SUBJECT = "Follow up:"


async def verified_account(client: httpx.AsyncClient) -> factories.Account:
    account = await factories.account(client)
    await User.update({User.email_verified_at: datetime.now(UTC)}).where(User.id == account.user_id)
    return account


async def application(client: httpx.AsyncClient, account: factories.Account, follow_up: datetime, **extra: Any) -> str:
    body = {"company": "Acme & Sons", "role": "Data <Engineer>", "next_follow_up_at": follow_up.isoformat(), **extra}
    response = await client.post("/api/v1/applications", json=body, headers=account.headers)
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


async def scan(settings: Settings, publisher: Publisher) -> reminders.ScanReport:
    return await reminders.scan(
        datetime.now(UTC), publisher, settings.app.public_url, Envelope.from_settings(settings.encryption)
    )


async def reminder_mails(address: str) -> int:
    query = EmailOutbox.count().where(EmailOutbox.template == "follow_up_reminder")
    return int(await query.where(EmailOutbox.to_address == address))


async def notifications_of(user_id: str) -> list[dict[str, Any]]:
    return list(await Notification.select().where(Notification.user == user_id))


async def test_racing_scans_remind_each_due_follow_up_exactly_once(
    client: httpx.AsyncClient, settings: Settings, redis: aioredis.Redis
) -> None:
    publisher = Publisher(redis, settings.realtime)
    account = await verified_account(client)
    due = datetime.now(UTC) - timedelta(minutes=1)
    ids = [await application(client, account, due - timedelta(seconds=i)) for i in range(20)]
    await application(client, account, datetime.now(UTC) + timedelta(days=2))  # not due

    reports = await asyncio.gather(*(scan(settings, publisher) for _ in range(4)))
    assert sum(r.reminded for r in reports) == 20, reports
    assert sum(r.notified for r in reports) == sum(r.emailed for r in reports) == 20

    notes = await notifications_of(account.user_id)
    assert sorted(n["link"] for n in notes) == sorted(f"/applications/{i}" for i in ids)
    assert await FollowUpReminder.count() == 20
    assert await EmailOutbox.count().where(EmailOutbox.template == "follow_up_reminder") == 20
    events = [e for e in await history(redis, uuid.UUID(account.user_id)) if e["type"] == "notification.created"]
    assert sorted(e["data"]["notification"]["id"] for e in events) == sorted(str(n["id"]) for n in notes)

    # Scanning again (a retried task, the next tick) changes nothing.
    assert (await scan(settings, publisher)).reminded == 0
    assert len(await notifications_of(account.user_id)) == 20

    # A new follow-up date is a new reminder; an application that ended gets none.
    later = datetime.now(UTC) - timedelta(seconds=5)
    patch = await client.patch(
        f"/api/v1/applications/{ids[0]}", json={"next_follow_up_at": later.isoformat()}, headers=account.headers
    )
    assert patch.status_code == 200
    ended = {"next_follow_up_at": later.isoformat(), "status": "rejected"}
    assert (await client.patch(f"/api/v1/applications/{ids[1]}", json=ended, headers=account.headers)).is_success
    assert (await scan(settings, publisher)).reminded == 1


async def test_two_schedulers_and_two_workers_send_one_notification_one_event_and_one_email(
    client: httpx.AsyncClient,
    app_url: str,
    smtp: Catcher,
    spawn: Spawn,
    services: support.SessionServices,
    settings: Settings,
    redis: aioredis.Redis,
) -> None:
    account = await verified_account(client)
    overrides = {"TASK_SCHEDULE_OVERRIDES": "reminders.scan=1;email.sweep=1"}
    async with user_socket(redis, app_url, account.user_id) as socket:
        processes = []
        for _ in range(2):
            processes.append(start_worker(spawn, services, smtp.port))
            processes.append(spawn("backend.entrypoints.scheduler", mail_env(services, smtp.port, **overrides)))
        app_id = await application(client, account, datetime.now(UTC) - timedelta(minutes=1))
        try:
            [message] = await received(smtp, account.email, SUBJECT, within=60)
        except BaseException:
            for process in processes:
                print(process.output())
            raise

        def notified(events: list[dict[str, Any]]) -> bool:
            return any(e["type"] == "notification.created" for e in events)

        await socket.until(notified, within=30)
        await asyncio.sleep(4)  # several more ticks of both schedulers
        await socket.alive()
        created = [e for e in socket.events if e["type"] == "notification.created"]

    [note] = await notifications_of(account.user_id)
    assert len(created) == 1 and created[0]["data"]["notification"]["id"] == str(note["id"])
    assert created[0]["data"]["notification"]["link"] == f"/applications/{app_id}" and note["read_at"] is None
    assert note["kind"] == "follow_up_reminder" and note["title"] == "Follow up with Acme & Sons"
    assert len(to(smtp.messages, account.email, SUBJECT)) == 1
    assert await FollowUpReminder.count() == 1

    # The email: subject, the user's name, the application's link, HTML escaped.
    assert message["Subject"] == "Follow up: Data <Engineer> at Acme & Sons"
    assert "Hello Ada Lovelace," in text_of(message)
    assert link_in(message) == f"{settings.app.public_url}/applications/{app_id}"
    assert "Data &lt;Engineer&gt; at Acme &amp; Sons" in html_of(message)


async def test_settings_turn_email_off_and_in_app_off_separately(
    client: httpx.AsyncClient, settings: Settings, redis: aioredis.Redis
) -> None:
    publisher = Publisher(redis, settings.realtime)
    url = "/api/v1/me/notification-settings"
    no_email, no_in_app = await verified_account(client), await verified_account(client)
    unverified = await factories.account(client)
    put = await client.put(url, json={"email_follow_up_reminders": False}, headers=no_email.headers)
    assert put.status_code == 200
    assert (await client.put(url, json={"in_app": False}, headers=no_in_app.headers)).status_code == 200
    due = datetime.now(UTC) - timedelta(minutes=1)
    for account in (no_email, no_in_app, unverified):
        await application(client, account, due)

    report = await scan(settings, publisher)
    assert (report.reminded, report.notified, report.emailed) == (3, 2, 1)
    assert len(await notifications_of(no_email.user_id)) == 1
    assert await reminder_mails(no_email.email) == 0
    assert await notifications_of(no_in_app.user_id) == []
    assert all(e["type"] != "notification.created" for e in await history(redis, uuid.UUID(no_in_app.user_id)))
    assert await reminder_mails(no_in_app.email) == 1
    # An address nobody confirmed gets no reminder email (it may not be the user's), only the notification.
    assert len(await notifications_of(unverified.user_id)) == 1
    assert await reminder_mails(unverified.email) == 0


async def test_lead_time_brings_reminders_forward_and_the_email_shows_the_users_time_zone(
    client: httpx.AsyncClient, settings: Settings, redis: aioredis.Redis
) -> None:
    publisher = Publisher(redis, settings.realtime)
    account = await verified_account(client)
    prefs = {"reminder_lead_minutes": 60, "time_zone": "Asia/Tokyo"}
    assert (await client.put("/api/v1/me/notification-settings", json=prefs, headers=account.headers)).is_success
    soon = (datetime.now(UTC) + timedelta(minutes=30)).replace(microsecond=0)
    await application(client, account, soon)
    await application(client, account, datetime.now(UTC) + timedelta(minutes=90))  # outside the lead time

    assert (await scan(settings, publisher)).reminded == 1
    [row] = await EmailOutbox.select().where(EmailOutbox.template == "follow_up_reminder").output(load_json=True)
    assert row["context"]["time_zone"] == "Asia/Tokyo"
    tokyo = soon.astimezone(zoneinfo.ZoneInfo("Asia/Tokyo"))
    [note] = await notifications_of(account.user_id)
    assert f"{tokyo:%H:%M} (Asia/Tokyo)" in note["body"]
    assert await Application.count().where(Application.user == account.user_id) == 2
