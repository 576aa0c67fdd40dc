"""Ghosting suggestions: the periodic scan, run against real applications whose dates are chosen,
suggests each application left unanswered for its owner's `ghosted_after_days` exactly once (one
notification, one live event), and none that are not due yet, answered, ended, never applied, or
whose owner turned it off; the user confirms (→ `ghosted`, in the timeline) or dismisses (not
suggested again until re-applied) over real HTTP, and nobody else can."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import redis.asyncio as aioredis

from backend.features.notifications import ghosting, jobs
from backend.platform.db.tables import GhostingSuggestion, Notification
from backend.platform.realtime.publisher import Publisher
from backend.settings import Settings
from tests import factories, support
from tests.plugins.processes import Spawn
from tests.plugins.realtime import history

URL = "/api/v1/applications"
SETTINGS_URL = "/api/v1/me/notification-settings"


def days_ago(days: float) -> datetime:
    return datetime.now(UTC) - timedelta(days=days)


async def application(client: httpx.AsyncClient, account: factories.Account, company: str, **extra: Any) -> str:
    body = {"company": company, "role": "Data Engineer", **extra}
    if isinstance(body.get("applied_at"), datetime):
        body["applied_at"] = body["applied_at"].isoformat()
    response = await client.post(URL, json=body, headers=account.headers)
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


async def move(client: httpx.AsyncClient, account: factories.Account, app_id: str, **changes: Any) -> dict:
    response = await client.patch(f"{URL}/{app_id}", json=changes, headers=account.headers)
    assert response.status_code == 200, response.text
    return dict(response.json())


async def suggestions(user_id: str) -> dict[str, dict[str, Any]]:
    """The user's ghosting notifications, by the application they link to."""
    rows = await Notification.select().where(Notification.user == user_id).where(Notification.kind == ghosting.KIND)
    found: dict[str, dict[str, Any]] = {}
    for row in rows:
        app_id = row["link"].removeprefix("/applications/")
        assert app_id not in found, f"two suggestions for {app_id}"
        found[app_id] = row
    return found


async def settings_of(client: httpx.AsyncClient, account: factories.Account, **values: Any) -> None:
    response = await client.put(SETTINGS_URL, json=values, headers=account.headers)
    assert response.status_code == 200, response.text


async def test_the_periodic_scan_suggests_each_unanswered_application_once(
    client: httpx.AsyncClient, settings: Settings, redis: aioredis.Redis
) -> None:
    publisher = Publisher(redis, settings.realtime)
    ada, bob, off, quiet, eager = [await factories.account(client) for _ in range(5)]
    await settings_of(client, off, ghosted_after_days=0)
    await settings_of(client, quiet, in_app=False)
    await settings_of(client, eager, ghosted_after_days=5)

    due_long = await application(client, ada, "Long Ago", status="applied", applied_at=days_ago(60))
    due_just = await application(client, ada, "Just Due", status="applied", applied_at=days_ago(21.1))
    await application(client, ada, "Not Yet", status="applied", applied_at=days_ago(20.9))
    answered = await application(client, ada, "Answered", status="applied", applied_at=days_ago(40))
    await move(client, ada, answered, status="screening")
    back = await application(client, ada, "Answered Then Back", status="applied", applied_at=days_ago(40))
    await move(client, ada, back, status="interview")
    await move(client, ada, back, status="applied")  # answered once: not ghosting
    rejected = await application(client, ada, "Said No", status="applied", applied_at=days_ago(40))
    await move(client, ada, rejected, status="rejected")
    await application(client, ada, "Dream Job", status="wishlist")  # never applied
    await application(client, bob, "Someone Else's", status="applied", applied_at=days_ago(10))
    await application(client, off, "Turned Off", status="applied", applied_at=days_ago(90))
    await application(client, quiet, "Bell Off", status="applied", applied_at=days_ago(90))
    eager_due = await application(client, eager, "Five Days", status="applied", applied_at=days_ago(6))
    await application(client, eager, "Four Days", status="applied", applied_at=days_ago(4))

    # The scheduled task's own function, twice at once (two schedulers, or a retried task).
    reports = await asyncio.gather(*(jobs.scan_ghosting.original_func(publisher=publisher) for _ in range(2)))
    assert sum(r["suggested"] for r in reports) == 3, reports

    mine = await suggestions(ada.user_id)
    assert set(mine) == {due_long, due_just}
    assert mine[due_long]["title"] == "No answer from Long Ago?"
    assert "60 days ago" in mine[due_long]["body"] and mine[due_long]["read_at"] is None
    assert set(await suggestions(eager.user_id)) == {eager_due}
    for account in (bob, off, quiet):
        assert await suggestions(account.user_id) == {}
    assert await GhostingSuggestion.count() == 3
    # One live `notification.created` per suggestion, on the owner's channel.
    events = [e for e in await history(redis, uuid.UUID(ada.user_id)) if e["type"] == "notification.created"]
    assert sorted(e["data"]["notification"]["link"] for e in events) == sorted(f"/applications/{i}" for i in mine)
    # The next tick finds nothing new; nothing moved by itself.
    assert (await ghosting.scan(datetime.now(UTC), publisher)).suggested == 0
    for app_id in (due_long, due_just):
        assert (await client.get(f"{URL}/{app_id}", headers=ada.headers)).json()["status"] == "applied"


async def test_the_scan_reads_in_batches_until_done(
    client: httpx.AsyncClient, settings: Settings, redis: aioredis.Redis
) -> None:
    publisher = Publisher(redis, settings.realtime)
    account = await factories.account(client)
    ids = {
        await application(client, account, f"Co{i}", status="applied", applied_at=days_ago(30 + i)) for i in range(7)
    }
    report = await ghosting.scan(datetime.now(UTC), publisher, batch=3)
    assert (report.suggested, report.batches) == (7, 3)
    assert set(await suggestions(account.user_id)) == ids
    capped = await ghosting.scan(datetime.now(UTC), publisher, batch=3, max_batches=1)
    assert (capped.suggested, capped.batches) == (0, 1)


async def test_confirm_and_dismiss_over_http(
    client: httpx.AsyncClient, settings: Settings, redis: aioredis.Redis
) -> None:
    publisher = Publisher(redis, settings.realtime)
    ada, eve = await factories.account(client), await factories.account(client)
    gone = await application(client, ada, "Gone Quiet", status="applied", applied_at=days_ago(30))
    waiting = await application(client, ada, "Slow Hiring", status="applied", applied_at=days_ago(25))
    fresh = await application(client, ada, "Fresh", status="applied", applied_at=days_ago(2))
    moving = await application(client, ada, "Moving", status="interview")
    assert (await ghosting.scan(datetime.now(UTC), publisher)).suggested == 2

    # Another user's application, or none: 404, and nothing changes.
    for who, app_id in ((eve, gone), (ada, str(uuid.uuid4()))):
        for action in ("confirm", "dismiss"):
            refused = await client.post(f"{URL}/{app_id}/ghosting/{action}", headers=who.headers)
            assert refused.status_code == 404
            assert refused.headers["content-type"].startswith("application/problem+json")
    # An application that is not waiting for an answer: 409.
    for action in ("confirm", "dismiss"):
        conflict = await client.post(f"{URL}/{moving}/ghosting/{action}", headers=ada.headers)
        assert conflict.status_code == 409 and conflict.json()["type"].endswith(":not-awaiting-answer")
    assert (await client.get(f"{URL}/{moving}", headers=ada.headers)).json()["status"] == "interview"
    assert (await suggestions(ada.user_id))[gone]["read_at"] is None

    # Confirm: `ghosted`, in the timeline with a note, the suggestion read; again: the same answer.
    confirmed = await client.post(f"{URL}/{gone}/ghosting/confirm", headers=ada.headers)
    assert confirmed.status_code == 200 and confirmed.json()["status"] == "ghosted"
    last = (await client.get(f"{URL}/{gone}/events", headers=ada.headers)).json()[-1]
    assert (last["from_status"], last["to_status"]) == ("applied", "ghosted")
    applied_on = datetime.fromisoformat(confirmed.json()["applied_at"])
    assert last["note"] == f"No answer since applying on {applied_on:%Y-%m-%d}"
    assert (await suggestions(ada.user_id))[gone]["read_at"] is not None
    again = await client.post(f"{URL}/{gone}/ghosting/confirm", headers=ada.headers)
    assert again.status_code == 200 and again.json() == confirmed.json()
    assert len((await client.get(f"{URL}/{gone}/events", headers=ada.headers)).json()) == 2
    assert (await client.post(f"{URL}/{gone}/ghosting/dismiss", headers=ada.headers)).status_code == 409

    # Dismiss: unchanged, the suggestion read; never suggested again for this wait.
    dismissed = await client.post(f"{URL}/{waiting}/ghosting/dismiss", headers=ada.headers)
    assert dismissed.status_code == 200 and dismissed.json()["status"] == "applied"
    assert (await client.post(f"{URL}/{waiting}/ghosting/dismiss", headers=ada.headers)).status_code == 200
    assert (await suggestions(ada.user_id))[waiting]["read_at"] is not None
    # A dismissal ahead of any suggestion holds too.
    assert (await client.post(f"{URL}/{fresh}/ghosting/dismiss", headers=ada.headers)).status_code == 200
    # A confirmation after a dismissal replaces it.
    late = await application(client, ada, "Changed My Mind", status="applied", applied_at=days_ago(50))
    assert (await client.post(f"{URL}/{late}/ghosting/dismiss", headers=ada.headers)).status_code == 200
    assert (await client.post(f"{URL}/{late}/ghosting/confirm", headers=ada.headers)).json()["status"] == "ghosted"
    decisions = {str(r["application"]): r["decision"] for r in await GhostingSuggestion.select()}
    assert decisions == {gone: "confirmed", waiting: "dismissed", fresh: "dismissed", late: "confirmed"}

    # The stats: a ghosted application was applied and got no answer (the one answer: the interview).
    stats = (await client.get(f"{URL}/stats", headers=ada.headers)).json()
    assert stats["by_status"]["ghosted"] == 2 and (stats["applied"], stats["responded"]) == (5, 1)

    # Weeks later: nothing for the dismissed waits, nor for the ghosted one...
    later = datetime.now(UTC) + timedelta(days=40)
    assert (await ghosting.scan(later, publisher)).suggested == 0
    # ...until they are re-applied: back to `applied` from `ghosted`, or a new `applied_at`.
    await move(client, ada, gone, status="applied")
    await move(client, ada, waiting, applied_at=datetime.now(UTC).isoformat())
    assert (await ghosting.scan(datetime.now(UTC) + timedelta(days=20), publisher)).suggested == 0
    assert (await ghosting.scan(datetime.now(UTC) + timedelta(days=22), publisher)).suggested == 2
    rows = await Notification.select().where(Notification.kind == ghosting.KIND).where(Notification.read_at.is_null())
    assert sorted(r["link"] for r in rows) == sorted(f"/applications/{i}" for i in (gone, waiting))
    # The account export holds every suggestion and decision.
    exported = (await client.get("/api/v1/me/export", headers=ada.headers)).json()["ghosting_suggestions"]
    assert sorted((g["application_id"], str(g["decision"])) for g in exported) == sorted(
        [
            (gone, "confirmed"),
            (gone, "None"),
            (waiting, "dismissed"),
            (waiting, "None"),
            (fresh, "dismissed"),
            (late, "confirmed"),
        ]
    )


async def test_ghosted_after_days_is_a_validated_notification_setting(client: httpx.AsyncClient) -> None:
    account = await factories.account(client)
    assert (await client.get(SETTINGS_URL, headers=account.headers)).json()["ghosted_after_days"] == 21
    for bad in (-1, 366, 2.5, "three weeks", None):
        refused = await client.put(SETTINGS_URL, json={"ghosted_after_days": bad}, headers=account.headers)
        assert refused.status_code == 422, bad
        assert refused.json()["errors"][0]["field"].endswith("ghosted_after_days")
    assert (await client.get(SETTINGS_URL, headers=account.headers)).json()["ghosted_after_days"] == 21
    await settings_of(client, account, ghosted_after_days=0)
    assert (await client.get(SETTINGS_URL, headers=account.headers)).json()["ghosted_after_days"] == 0


async def test_the_scheduler_and_a_worker_suggest_once(
    client: httpx.AsyncClient, services: support.SessionServices, spawn: Spawn
) -> None:
    account = await factories.account(client)
    app_id = await application(client, account, "Silent Co", status="applied", applied_at=days_ago(30))
    env = support.settings_env(services, TASK_SCHEDULE_OVERRIDES="ghosting.scan=1")
    spawn("backend.entrypoints.scheduler", env)
    spawn("backend.entrypoints.worker", env, "--workers", "1")

    async def suggested() -> dict[str, dict[str, Any]]:
        return await suggestions(account.user_id)

    assert set(await support.eventually(suggested, 60, "the scheduled scan")) == {app_id}  # type: ignore[call-overload]
    await asyncio.sleep(3)  # more ticks
    assert await GhostingSuggestion.count() == 1 and len(await suggestions(account.user_id)) == 1
