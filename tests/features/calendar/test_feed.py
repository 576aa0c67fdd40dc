"""The private calendar feed: a URL with a random token (only its hash stored) serves the user's
interviews and follow-up dates as RFC 5545 iCalendar, read back with `icalendar`; a new URL revokes
the old one, turning it off revokes it, and another user's data never appears in it."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import httpx
from icalendar import Calendar

from backend.platform.db.tables import CalendarFeed
from tests import factories

APPS = "/api/v1/applications"
FEED = "/api/v1/me/calendar-feed"
LINK = "https://meet.example.com/abc-defg-hij"


async def application(client: httpx.AsyncClient, account: factories.Account, **body: Any) -> str:
    response = await client.post(APPS, json={"company": "Acme", "role": "Engineer", **body}, headers=account.headers)
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


async def interview(client: httpx.AsyncClient, account: factories.Account, app_id: str, **body: Any) -> dict:
    payload = {"kind": "technical", "starts_at": "2031-03-04T10:00:00+01:00", **body}
    response = await client.post(f"{APPS}/{app_id}/interviews", json=payload, headers=account.headers)
    assert response.status_code == 201, response.text
    return dict(response.json())


async def feed_url(client: httpx.AsyncClient, account: factories.Account) -> str:
    response = await client.post(FEED, headers=account.headers)
    assert response.status_code == 201, response.text
    return str(response.json()["url"])


async def fetch(client: httpx.AsyncClient, url: str) -> httpx.Response:
    return await client.get(urlsplit(url).path)  # no Authorization header: the token is the credential


def events(body: bytes) -> dict[str, Any]:
    calendar = Calendar.from_ical(body)
    assert calendar["VERSION"] == "2.0" and "PRODID" in calendar
    return {str(e["UID"]): e for e in calendar.walk("VEVENT")}


async def test_the_feed_holds_interviews_and_follow_ups(client: httpx.AsyncClient) -> None:
    account = await factories.account(client)
    follow_up = datetime.now(UTC).replace(microsecond=0) + timedelta(days=3)
    app_id = await application(
        client, account, company="Acme, Inc.", role="Data; Engineer", next_follow_up_at=follow_up.isoformat()
    )
    contact = await client.post("/api/v1/contacts", json={"name": "Ada Lovelace"}, headers=account.headers)
    technical = await interview(
        client,
        account,
        app_id,
        duration_minutes=90,
        place_or_link=LINK,
        people=["Grace Hopper"],
        contact_ids=[contact.json()["id"]],
        prep_notes="Revise graphs, tries; ask about on-call.\nBring questions.",
    )
    onsite = await interview(
        client, account, app_id, kind="phone_screen", starts_at="2031-03-01T09:00:00Z", place_or_link="Room 4, HQ"
    )
    cancelled = await interview(client, account, app_id, kind="final", outcome="cancelled")
    ended = await application(client, account, status="rejected", next_follow_up_at=follow_up.isoformat())

    url = await feed_url(client, account)
    assert url.startswith("http") and url.endswith(".ics")
    response = await fetch(client, url)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "text/calendar; charset=utf-8"
    assert "private" in response.headers["cache-control"]
    found = events(response.content)
    assert set(found) == {
        f"interview-{technical['id']}@career-copilot",
        f"interview-{onsite['id']}@career-copilot",
        f"interview-{cancelled['id']}@career-copilot",
        f"follow-up-{app_id}@career-copilot",
    }
    assert not any(ended in uid for uid in found)  # the follow-up of an ended application is not shown

    event = found[f"interview-{technical['id']}@career-copilot"]
    assert event.decoded("DTSTART") == datetime(2031, 3, 4, 9, 0, tzinfo=UTC)
    assert event.decoded("DTEND") == datetime(2031, 3, 4, 10, 30, tzinfo=UTC)
    assert "DTSTART:20310304T090000Z" in response.text.replace("\r\n", "\n")
    assert str(event["SUMMARY"]) == "Interview: Data; Engineer at Acme, Inc. (technical)"
    assert str(event["LOCATION"]) == LINK and str(event["URL"]) == LINK
    description = str(event["DESCRIPTION"])
    assert "With: Grace Hopper, Ada Lovelace" in description
    assert "Revise graphs, tries; ask about on-call.\nBring questions." in description
    assert f"/applications/{app_id}" in description
    assert str(event["STATUS"]) == "CONFIRMED"

    screen = found[f"interview-{onsite['id']}@career-copilot"]
    assert str(screen["SUMMARY"]) == "Interview: Data; Engineer at Acme, Inc. (phone screen)"
    assert str(screen["LOCATION"]) == "Room 4, HQ" and "URL" not in screen
    assert str(found[f"interview-{cancelled['id']}@career-copilot"]["STATUS"]) == "CANCELLED"

    reminder = found[f"follow-up-{app_id}@career-copilot"]
    assert reminder.decoded("DTSTART") == follow_up
    assert str(reminder["SUMMARY"]) == "Follow up: Data; Engineer at Acme, Inc."

    # The UID stays when the interview moves: subscribed calendars move the event.
    moved = await client.patch(
        f"{APPS}/{app_id}/interviews/{technical['id']}", json={"starts_at": "2031-03-05T14:00:00Z"},
        headers=account.headers,
    )  # fmt: skip
    assert moved.status_code == 200
    again = events((await fetch(client, url)).content)[f"interview-{technical['id']}@career-copilot"]
    assert again.decoded("DTSTART") == datetime(2031, 3, 5, 14, 0, tzinfo=UTC)


async def test_only_a_hash_is_stored_a_new_url_revokes_the_old_one_and_delete_turns_it_off(
    client: httpx.AsyncClient,
) -> None:
    account = await factories.account(client)
    assert (await client.get(FEED, headers=account.headers)).json()["enabled"] is False
    first = await feed_url(client, account)
    token = urlsplit(first).path.rsplit("/", 1)[1].removesuffix(".ics")
    [row] = await CalendarFeed.select()
    assert row["token_hash"] == hashlib.sha256(token.encode()).hexdigest()
    assert token not in str(row)
    assert (await fetch(client, first)).status_code == 200
    status = (await client.get(FEED, headers=account.headers)).json()
    assert status["enabled"] is True and status["last_used_at"] is not None

    second = await feed_url(client, account)
    assert second != first
    old = await fetch(client, first)
    assert old.status_code == 404 and old.headers["content-type"].startswith("application/problem+json")
    assert (await fetch(client, second)).status_code == 200

    assert (await client.delete(FEED, headers=account.headers)).status_code == 204
    assert (await fetch(client, second)).status_code == 404
    assert (await client.get(FEED, headers=account.headers)).json()["enabled"] is False
    assert (await client.delete(FEED, headers=account.headers)).status_code == 204  # already off: fine


async def test_unknown_or_malformed_tokens_are_404(client: httpx.AsyncClient) -> None:
    account = await factories.account(client)
    url = urlsplit(await feed_url(client, account)).path
    for path in (
        url.removesuffix(".ics"),  # the token without `.ics`
        url.removesuffix(".ics") + ".json",
        url[:-5] + ("A" if url[-5] != "A" else "B") + ".ics",  # one character off
        "/api/v1/calendar/" + "A" * 43 + ".ics",
        "/api/v1/calendar/..%2F..%2Fetc%2Fpasswd.ics",
        "/api/v1/calendar/x.ics",
    ):
        response = await client.get(path)
        assert response.status_code == 404, path
    # A bearer token does not open someone's feed either: the path's token is all that counts.
    assert (await client.get("/api/v1/calendar/" + "A" * 43 + ".ics", headers=account.headers)).status_code == 404


async def test_another_users_data_is_never_in_the_feed(client: httpx.AsyncClient) -> None:
    alice, bob = await factories.account(client), await factories.account(client)
    follow_up = (datetime.now(UTC) + timedelta(days=2)).isoformat()
    alice_app = await application(client, alice, company="Alice Corp", next_follow_up_at=follow_up)
    bob_app = await application(client, bob, company="Bob Corp", next_follow_up_at=follow_up)
    await interview(client, alice, alice_app, prep_notes="alice's secret plan")
    bob_interview = await interview(client, bob, bob_app, prep_notes="bob's secret plan")
    alice_url, bob_url = await feed_url(client, alice), await feed_url(client, bob)

    alice_feed = await fetch(client, alice_url)
    assert "Bob Corp" not in alice_feed.text and "bob's secret" not in alice_feed.text
    assert bob_interview["id"] not in alice_feed.text and bob_app not in alice_feed.text
    assert len(events(alice_feed.content)) == 2
    bob_feed = (await fetch(client, bob_url)).text
    assert "Alice Corp" not in bob_feed and "alice's secret" not in bob_feed
    # Bob regenerating his URL leaves Alice's working.
    await feed_url(client, bob)
    assert (await fetch(client, alice_url)).status_code == 200
    assert (await fetch(client, bob_url)).status_code == 404
