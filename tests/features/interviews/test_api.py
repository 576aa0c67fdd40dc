"""Interviews: CRUD under an application, validation (422, nothing written), owner scoping (404),
the private details encrypted at rest, and the application's timeline."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from backend.platform.db.tables import ApplicationActivity, Interview
from tests import factories

APPS = "/api/v1/applications"
LINK = "https://meet.example.com/abc-defg-hij?pwd=Sup3rSecret"


async def application(client: httpx.AsyncClient, account: factories.Account, **extra: Any) -> str:
    response = await client.post(APPS, json={"company": "Acme", "role": "Engineer", **extra}, headers=account.headers)
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def interview_body(**overrides: Any) -> dict[str, Any]:
    return {
        "kind": "technical",
        "starts_at": "2031-03-04T10:00:00+01:00",
        "duration_minutes": 90,
        "place_or_link": LINK,
        "people": ["Grace Hopper", "  Alan Turing "],
        "prep_notes": "Revise graphs; ask about on-call.",
        **overrides,
    }


async def create(client: httpx.AsyncClient, account: factories.Account, app_id: str, **overrides: Any) -> dict:
    response = await client.post(
        f"{APPS}/{app_id}/interviews", json=interview_body(**overrides), headers=account.headers
    )
    assert response.status_code == 201, response.text
    return dict(response.json())


async def test_create_list_get_patch_delete(client: httpx.AsyncClient) -> None:
    account = await factories.account(client)
    app_id = await application(client, account)
    created = await create(client, account, app_id)
    assert created["starts_at"] == "2031-03-04T09:00:00Z" and created["ends_at"] == "2031-03-04T10:30:00Z"
    assert created["people"] == ["Grace Hopper", "Alan Turing"] and created["link"] == LINK
    assert created["outcome"] == "pending" and created["application_id"] == app_id
    base = f"{APPS}/{app_id}/interviews"
    onsite = await create(client, account, app_id, kind="onsite", starts_at="2031-03-01T09:00:00Z",
                          place_or_link="Acme HQ, 1 Main St, Room 4")  # fmt: skip
    assert onsite["link"] is None and onsite["duration_minutes"] == 90
    listed = (await client.get(base, headers=account.headers)).json()
    assert [i["id"] for i in listed] == [onsite["id"], created["id"]]  # soonest first
    got = await client.get(f"{base}/{created['id']}", headers=account.headers)
    assert got.status_code == 200 and got.json() == created

    patched = await client.patch(
        f"{base}/{created['id']}", json={"outcome": "passed", "prep_notes": ""}, headers=account.headers
    )
    assert patched.status_code == 200, patched.text
    assert patched.json()["outcome"] == "passed" and patched.json()["prep_notes"] == ""
    assert patched.json()["place_or_link"] == LINK  # untouched private fields are kept
    assert (await client.delete(f"{base}/{created['id']}", headers=account.headers)).status_code == 204
    assert (await client.get(f"{base}/{created['id']}", headers=account.headers)).status_code == 404
    assert [i["id"] for i in (await client.get(base, headers=account.headers)).json()] == [onsite["id"]]


async def test_private_details_are_not_stored_in_clear(client: httpx.AsyncClient) -> None:
    account = await factories.account(client)
    app_id = await application(client, account)
    created = await create(client, account, app_id)
    [row] = await Interview.raw("SELECT * FROM interviews WHERE id = {}", created["id"])
    stored = b"".join(bytes(v) if isinstance(v, bytes | memoryview) else str(v).encode() for v in dict(row).values())
    for secret in ("Sup3rSecret", "Grace Hopper", "Revise graphs"):
        assert secret.encode() not in stored
    activity = await ApplicationActivity.raw("SELECT detail FROM application_activity")
    assert activity and all(b"technical" not in bytes(r["detail"]) for r in activity)


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"kind": "coffee"}, "kind"),
        ({"starts_at": "2031-03-04T10:00:00"}, "starts_at"),  # no offset
        ({"starts_at": "tomorrow"}, "starts_at"),
        ({"starts_at": "1899-12-31T10:00:00Z"}, "starts_at"),
        ({"duration_minutes": 0}, "duration_minutes"),
        ({"duration_minutes": 24 * 60 + 1}, "duration_minutes"),
        ({"place_or_link": "javascript:alert(1)"}, "place_or_link"),
        ({"place_or_link": "data:text/html,<b>x</b>"}, "place_or_link"),
        ({"place_or_link": "x" * 2001}, "place_or_link"),
        ({"people": [""]}, "people"),
        ({"people": ["x"] * 21}, "people"),
        ({"contact_ids": [str(uuid.uuid4())]}, "contact_ids"),
        ({"contact_ids": ["not-a-uuid"]}, "contact_ids"),
        ({"outcome": "hired"}, "outcome"),
        ({"prep_notes": "x" * 10_001}, "prep_notes"),
        ({"owner": "mallory"}, "owner"),
    ],
)
async def test_bad_input_is_a_422_and_writes_nothing(client: httpx.AsyncClient, overrides: dict, field: str) -> None:
    account = await factories.account(client)
    app_id = await application(client, account)
    response = await client.post(
        f"{APPS}/{app_id}/interviews", json=interview_body(**overrides), headers=account.headers
    )
    assert response.status_code == 422, response.text
    problem = response.json()
    assert problem["type"].startswith("urn:career-copilot:problem:")
    assert any(field in e["field"] or field in e["message"] for e in problem["errors"]), problem
    assert await Interview.count() == 0 and await ApplicationActivity.count() == 0


async def test_bad_patches_change_nothing(client: httpx.AsyncClient) -> None:
    account = await factories.account(client)
    app_id = await application(client, account)
    created = await create(client, account, app_id)
    url = f"{APPS}/{app_id}/interviews/{created['id']}"
    for change in (
        {"starts_at": "2031-03-04T10:00:00"},
        {"outcome": "nope"},
        {"place_or_link": "javascript:x"},
        {"contact_ids": [str(uuid.uuid4())]},
        {"unknown": 1},
    ):
        response = await client.patch(url, json=change, headers=account.headers)
        assert response.status_code == 422, change
    assert (await client.get(url, headers=account.headers)).json() == created
    assert await ApplicationActivity.count() == 1  # the scheduling only


async def test_another_users_application_or_interview_is_404(client: httpx.AsyncClient) -> None:
    alice, mallory = await factories.account(client), await factories.account(client)
    app_id = await application(client, alice)
    created = await create(client, alice, app_id)
    own_app = await application(client, mallory)
    base = f"{APPS}/{app_id}/interviews"
    target = f"{base}/{created['id']}"
    for method, url, payload in [
        ("GET", base, None),
        ("POST", base, interview_body()),
        ("GET", target, None),
        ("PATCH", target, {"outcome": "failed"}),
        ("DELETE", target, None),
        # Alice's interview through Mallory's own application
        ("GET", f"{APPS}/{own_app}/interviews/{created['id']}", None),
        ("PATCH", f"{APPS}/{own_app}/interviews/{created['id']}", {"outcome": "failed"}),
        ("DELETE", f"{APPS}/{own_app}/interviews/{created['id']}", None),
    ]:
        response = await client.request(method, url, json=payload, headers=mallory.headers)
        assert response.status_code == 404, (method, url, response.text)
    assert (await client.get(target, headers=alice.headers)).json() == created
    assert await Interview.count() == 1


async def test_the_timeline_shows_interviews_in_time_order_with_status_changes(client: httpx.AsyncClient) -> None:
    account = await factories.account(client)
    app_id = await application(client, account)
    base = f"{APPS}/{app_id}/interviews"
    await client.patch(f"{APPS}/{app_id}", json={"status": "applied"}, headers=account.headers)
    screen = await create(client, account, app_id, kind="phone_screen", starts_at="2031-01-10T15:00:00Z")
    await client.patch(f"{APPS}/{app_id}", json={"status": "interview"}, headers=account.headers)
    moved = await client.patch(
        f"{base}/{screen['id']}", json={"starts_at": "2031-01-11T16:00:00Z"}, headers=account.headers
    )
    assert moved.status_code == 200
    await client.patch(f"{base}/{screen['id']}", json={"outcome": "passed"}, headers=account.headers)
    final = await create(client, account, app_id, kind="final")
    assert (await client.delete(f"{base}/{final['id']}", headers=account.headers)).status_code == 204

    timeline = (await client.get(f"{APPS}/{app_id}/events", headers=account.headers)).json()
    assert [(e["kind"], e["to_status"]) for e in timeline] == [
        ("status", "wishlist"),
        ("status", "applied"),
        ("interview_scheduled", None),
        ("status", "interview"),
        ("interview_rescheduled", None),
        ("interview_outcome", None),
        ("interview_scheduled", None),
        ("interview_removed", None),
    ]
    assert [e["at"] for e in timeline] == sorted(e["at"] for e in timeline)
    scheduled, rescheduled, outcome = timeline[2]["interview"], timeline[4]["interview"], timeline[5]["interview"]
    assert scheduled == {"id": screen["id"], "kind": "phone_screen", "starts_at": "2031-01-10T15:00:00Z",
                         "previous_starts_at": None, "outcome": None, "previous_outcome": None}  # fmt: skip
    assert rescheduled["starts_at"] == "2031-01-11T16:00:00Z"
    assert rescheduled["previous_starts_at"] == "2031-01-10T15:00:00Z"
    assert (outcome["previous_outcome"], outcome["outcome"]) == ("pending", "passed")
    assert timeline[7]["interview"]["id"] == final["id"] and timeline[7]["interview"]["kind"] == "final"
    assert all(e["contact"] is None for e in timeline)


async def test_at_most_fifty_interviews_per_application(client: httpx.AsyncClient) -> None:
    account = await factories.account(client)
    app_id = await application(client, account)
    start = datetime(2031, 1, 1, tzinfo=UTC)
    for i in range(50):
        await create(client, account, app_id, starts_at=(start + timedelta(days=i)).isoformat())
    response = await client.post(f"{APPS}/{app_id}/interviews", json=interview_body(), headers=account.headers)
    assert response.status_code == 409 and response.json()["type"].endswith("too-many-interviews")


async def test_contacts_as_interviewers(client: httpx.AsyncClient) -> None:
    account, other = await factories.account(client), await factories.account(client)
    app_id = await application(client, account)
    mine = await client.post("/api/v1/contacts", json={"name": "Grace Hopper"}, headers=account.headers)
    theirs = await client.post("/api/v1/contacts", json={"name": "Eve"}, headers=other.headers)
    created = await create(client, account, app_id, contact_ids=[mine.json()["id"], mine.json()["id"]])
    assert created["contact_ids"] == [mine.json()["id"]]
    refused = await client.post(
        f"{APPS}/{app_id}/interviews",
        json=interview_body(contact_ids=[theirs.json()["id"]]),
        headers=account.headers,
    )
    assert refused.status_code == 422  # another user's contact is not even confirmed
    await client.delete(f"/api/v1/contacts/{mine.json()['id']}", headers=account.headers)
    got = await client.get(f"{APPS}/{app_id}/interviews/{created['id']}", headers=account.headers)
    assert got.json()["contact_ids"] == []


async def test_the_account_export_holds_interviews_contacts_and_the_whole_timeline(client: httpx.AsyncClient) -> None:
    account = await factories.account(client)
    app_id = await application(client, account)
    contact = await client.post(
        "/api/v1/contacts", json={"name": "Grace Hopper", "application_ids": [app_id]}, headers=account.headers
    )
    created = await create(client, account, app_id, contact_ids=[contact.json()["id"]])
    feed = await client.post("/api/v1/me/calendar-feed", headers=account.headers)
    export = (await client.get("/api/v1/me/export", headers=account.headers)).json()
    assert export["interviews"] == [created]
    assert export["contacts"] == [contact.json()]
    assert export["interview_reminders"] == []
    assert export["calendar_feed"]["enabled"] is True
    assert feed.json()["url"].rsplit("/", 1)[1].removesuffix(".ics") not in str(export)  # the token is not kept
    [exported] = export["applications"]
    assert [e["kind"] for e in exported["timeline"]] == ["status", "contact_linked", "interview_scheduled"]
