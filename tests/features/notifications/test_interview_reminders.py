"""Reminders before interviews, through the real periodic task (`reminders.interviews`) against the
real database, with interviews at chosen times around now: each reminder time of each interview
time is reminded once (scans racing included), only the latest one that has come, none for
cancelled, past or ended ones; moving an interview reminds again before its new time; the settings
choose the reminder times, email on or off, and the time zone of the email."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import msgspec
import redis.asyncio as aioredis

from backend.features.notifications import jobs, templates
from backend.platform.crypto.envelope import Envelope
from backend.platform.db.tables import EmailOutbox, InterviewReminder, Notification, User
from backend.platform.realtime.publisher import Publisher
from backend.settings import Settings
from tests import factories
from tests.plugins.realtime import history

APPS = "/api/v1/applications"


async def verified_account(client: httpx.AsyncClient, **settings: Any) -> factories.Account:
    account = await factories.account(client)
    await User.update({User.email_verified_at: datetime.now(UTC)}).where(User.id == account.user_id)
    if settings:
        response = await client.put("/api/v1/me/notification-settings", json=settings, headers=account.headers)
        assert response.status_code == 200, response.text
    return account


async def application(client: httpx.AsyncClient, account: factories.Account, **extra: Any) -> str:
    body = {"company": "Acme & Sons", "role": "Data <Engineer>", **extra}
    response = await client.post(APPS, json=body, headers=account.headers)
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


async def interview(
    client: httpx.AsyncClient, account: factories.Account, app_id: str, starts_in: timedelta, **extra: Any
) -> str:
    body = {"kind": "technical", "starts_at": (datetime.now(UTC) + starts_in).isoformat(), **extra}
    response = await client.post(f"{APPS}/{app_id}/interviews", json=body, headers=account.headers)
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


async def move(client: httpx.AsyncClient, account: factories.Account, app_id: str, iid: str, **change: Any) -> None:
    response = await client.patch(f"{APPS}/{app_id}/interviews/{iid}", json=change, headers=account.headers)
    assert response.status_code == 200, response.text


async def run_task(settings: Settings, redis: aioredis.Redis) -> dict[str, int]:
    """The periodic task's own function, with what the worker would inject."""
    return await jobs.scan_interview_reminders(
        publisher=Publisher(redis, settings.realtime),
        settings=settings,
        envelope=Envelope.from_settings(settings.encryption),
    )


async def sent(user_id: str) -> list[tuple[str, int]]:
    rows = await InterviewReminder.select().where(InterviewReminder.user == user_id)
    return sorted((str(r["interview"]), r["minutes_before"]) for r in rows)


async def reminder_emails(address: str) -> list[dict[str, Any]]:
    rows = await EmailOutbox.select().where(EmailOutbox.to_address == address)
    return [r for r in rows if r["template"] == "interview_reminder"]


async def test_each_reminder_time_once_only_the_latest_and_none_for_cancelled_past_or_ended(
    client: httpx.AsyncClient, settings: Settings, redis: aioredis.Redis
) -> None:
    account = await verified_account(client, time_zone="Europe/Paris")
    app_id = await application(client, account)
    ended = await application(client, account, status="rejected")
    tomorrow = await interview(client, account, app_id, timedelta(hours=23, minutes=50))  # 1-day reminder due
    soon = await interview(client, account, app_id, timedelta(minutes=50))  # 1-hour due: only that one
    await interview(client, account, app_id, timedelta(hours=30))  # nothing due yet
    await interview(client, account, app_id, timedelta(hours=2), outcome="cancelled")
    await interview(client, account, app_id, -timedelta(minutes=10))  # already started
    await interview(client, account, ended, timedelta(minutes=30))  # the application ended

    reports = await asyncio.gather(*(run_task(settings, redis) for _ in range(3)))
    assert sum(r["reminded"] for r in reports) == 2, reports
    assert sum(r["notified"] for r in reports) == sum(r["emailed"] for r in reports) == 2
    assert await sent(account.user_id) == sorted([(tomorrow, 1440), (soon, 60)])

    notes = sorted(await Notification.select().where(Notification.user == account.user_id), key=lambda n: n["title"])
    assert [n["title"] for n in notes] == ["Interview in 24 hours: Acme & Sons", "Interview in 50 minutes: Acme & Sons"]
    assert all(n["kind"] == "interview_reminder" and n["link"] == f"/applications/{app_id}" for n in notes)
    events = [e for e in await history(redis, uuid.UUID(account.user_id)) if e["type"] == "notification.created"]
    assert sorted(e["data"]["notification"]["id"] for e in events) == sorted(str(n["id"]) for n in notes)

    mails = await reminder_emails(account.email)
    assert len(mails) == 2
    context = next(m for m in mails if "50 minutes" in str(m["context"]))["context"]
    rendered = templates.render(
        "interview_reminder", msgspec.json.decode(context) if isinstance(context, str) else context
    )
    assert rendered.subject == "Interview in 50 minutes: Data <Engineer> at Acme & Sons"
    assert "(Europe/Paris)" in rendered.text and "technical interview" in rendered.text
    assert "Data &lt;Engineer&gt;" in rendered.html and "Data <Engineer>" not in rendered.html

    # The next tick (or a retried task) sends nothing more.
    assert (await run_task(settings, redis))["reminded"] == 0
    assert len(await Notification.select().where(Notification.user == account.user_id)) == 2


async def test_a_moved_interview_is_reminded_again_and_a_cancelled_one_no_more(
    client: httpx.AsyncClient, settings: Settings, redis: aioredis.Redis
) -> None:
    account = await verified_account(client)
    app_id = await application(client, account)
    moved = await interview(client, account, app_id, timedelta(minutes=45))
    dropped = await interview(client, account, app_id, timedelta(hours=20))
    assert (await run_task(settings, redis))["reminded"] == 2

    # Moved to 40 minutes from now: the 1-hour reminder again, for the new time.
    await move(client, account, app_id, moved, starts_at=(datetime.now(UTC) + timedelta(minutes=40)).isoformat())
    # The other one is cancelled, then moved within the hour: it stays without reminders.
    await move(client, account, app_id, dropped, outcome="cancelled")
    await move(client, account, app_id, dropped, starts_at=(datetime.now(UTC) + timedelta(minutes=30)).isoformat())
    assert (await run_task(settings, redis))["reminded"] == 1
    # Moved to the day after: its 1-day reminder comes for that time.
    await move(client, account, app_id, moved, starts_at=(datetime.now(UTC) + timedelta(hours=23)).isoformat())
    assert (await run_task(settings, redis))["reminded"] == 1
    assert (await run_task(settings, redis))["reminded"] == 0
    reminders = await InterviewReminder.select().where(InterviewReminder.interview == moved)
    assert sorted(r["minutes_before"] for r in reminders) == [60, 60, 1440]
    assert len({r["starts_at"] for r in reminders}) == 3
    assert len(await reminder_emails(account.email)) == 4

    # Deleting the interview deletes its reminder rows; nothing is sent for it again.
    assert (await client.delete(f"{APPS}/{app_id}/interviews/{moved}", headers=account.headers)).status_code == 204
    assert await InterviewReminder.count().where(InterviewReminder.interview == moved) == 0
    assert (await run_task(settings, redis))["reminded"] == 0


async def test_settings_choose_the_times_and_email(
    client: httpx.AsyncClient, settings: Settings, redis: aioredis.Redis
) -> None:
    quiet = await verified_account(client, interview_reminder_minutes=[])
    app_of_quiet = await application(client, quiet)
    await interview(client, quiet, app_of_quiet, timedelta(minutes=20))
    in_app_only = await verified_account(client, email_interview_reminders=False, interview_reminder_minutes=[15])
    app_of_in_app = await application(client, in_app_only)
    await interview(client, in_app_only, app_of_in_app, timedelta(minutes=30))  # 15 min ahead: not yet
    near = await interview(client, in_app_only, app_of_in_app, timedelta(minutes=10))
    unverified = await factories.account(client)
    app_of_unverified = await application(client, unverified)
    await interview(client, unverified, app_of_unverified, timedelta(minutes=10))

    report = await run_task(settings, redis)
    assert report == {"reminded": 2, "notified": 2, "emailed": 0}
    assert await sent(quiet.user_id) == []
    assert await sent(in_app_only.user_id) == [(near, 15)]
    assert await reminder_emails(in_app_only.email) == [] and await reminder_emails(unverified.email) == []
    assert len(await Notification.select().where(Notification.user == unverified.user_id)) == 1
