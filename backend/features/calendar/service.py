"""The private calendar feed: an iCalendar (RFC 5545) document of a user's interviews and follow-up
dates, at a URL whose random token is the only credential (calendar apps subscribe to a URL and
cannot send a bearer token).

- `create`: a new token (32 random bytes, URL-safe base64) replaces the user's previous one, so the
  old URL stops working at once; only its SHA-256 is stored, the URL is shown once.
- `revoke`: the feed is gone; its URL answers 404, like any unknown token.
- `render`: the VCALENDAR (built with the `icalendar` package): one VEVENT per interview of the last
  180 days and ahead (UID stable per interview, DTSTART/DTEND in UTC, SUMMARY
  "Interview: <role> at <company> (<kind>)", LOCATION and URL from the place or link, DESCRIPTION
  with the people, the preparation notes and the application's link; a cancelled one has
  STATUS:CANCELLED so that subscribed calendars strike it), and one per open application's
  follow-up date (a timed 15-minute VEVENT, UID stable per application).

Stateless module functions (no Litestar import)."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from icalendar import Calendar, Event

from backend import errors
from backend.features.calendar import queries as repo
from backend.features.calendar import schemas
from backend.features.contacts import service as contacts
from backend.features.interviews import queries as interview_repo
from backend.features.interviews import schemas as interview_schemas
from backend.features.interviews import service as interviews
from backend.platform import clock
from backend.platform.crypto.envelope import Envelope
from backend.platform.db.tables import Contact

PATH = "/api/v1/calendar"
MEDIA_TYPE = "text/calendar"
TOKEN_BYTES = 32
HISTORY = timedelta(days=180)
FOLLOW_UP_MINUTES = 15
PRODID = "-//Career Copilot//Calendar feed 1.0//EN"


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def feed_url(public_url: str, token: str) -> str:
    return f"{public_url.rstrip('/')}{PATH}/{token}.ics"


async def create(user_id: uuid.UUID, public_url: str) -> schemas.CalendarFeedCreated:
    """A new feed URL for the user; the previous one stops working."""
    token = secrets.token_urlsafe(TOKEN_BYTES)
    now = clock.now()
    await repo.replace(user_id, token_hash(token), now)
    return schemas.CalendarFeedCreated(url=feed_url(public_url, token), created_at=now)


async def revoke(user_id: uuid.UUID) -> None:
    await repo.remove(user_id)


async def status(user_id: uuid.UUID) -> schemas.CalendarFeedStatus:
    row = await repo.of_user(user_id)
    if row is None:
        return schemas.CalendarFeedStatus(enabled=False, created_at=None, last_used_at=None)
    return schemas.CalendarFeedStatus(enabled=True, created_at=row["created_at"], last_used_at=row["last_used_at"])


async def owner(segment: str) -> uuid.UUID:
    """The user whose feed `<token>.ics` names; 404 for anything else (unknown, revoked, malformed)."""
    token = segment.removesuffix(".ics")
    if segment == token or len(token) != 43 or not all(c.isalnum() or c in "-_" for c in token):
        raise errors.NotFound("No such calendar feed")
    user_id = await repo.owner_of(token_hash(token), clock.now())
    if user_id is None:
        raise errors.NotFound("No such calendar feed")
    return user_id


async def render(envelope: Envelope, user_id: uuid.UUID, public_url: str) -> bytes:
    """The user's VCALENDAR (see the module docstring)."""
    now = clock.now()
    since = now - HISTORY
    rows = [row for row in await interview_repo.all_of(user_id) if row["starts_at"] >= since]
    details = {row["id"]: interviews.details_of(envelope, row) for row in rows}
    names = await _contact_names(envelope, user_id, [c for d in details.values() for c in d.contact_ids])
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("name", "Career Copilot")
    calendar.add("x-wr-calname", "Career Copilot")
    calendar.add("refresh-interval", timedelta(hours=1), parameters={"VALUE": "DURATION"})
    calendar.add("x-published-ttl", "PT1H")
    base = public_url.rstrip("/")
    for row in rows:
        calendar.add_component(_interview_event(row, details[row["id"]], names, base, now))
    for row in await repo.follow_ups(user_id, since):
        calendar.add_component(_follow_up_event(row, base, now))
    return bytes(calendar.to_ical())


async def _contact_names(envelope: Envelope, user_id: uuid.UUID, ids: list[uuid.UUID]) -> dict[uuid.UUID, str]:
    if not ids:
        return {}
    rows = await Contact.raw(
        'SELECT id, details FROM contacts WHERE "user" = {} AND id = ANY({})', user_id, list(set(ids))
    )
    return {row["id"]: contacts.details_of(envelope, row).name for row in rows}


def _interview_event(
    row: dict[str, Any],
    details: interview_schemas.Details,
    names: dict[uuid.UUID, str],
    base: str,
    now: datetime,
) -> Event:
    kind = interview_schemas.KIND_LABELS.get(row["kind"], row["kind"])
    event = Event()
    event.add("uid", f"interview-{row['id']}@career-copilot")
    event.add("dtstamp", now)
    event.add("dtstart", row["starts_at"].astimezone(UTC))
    event.add("dtend", (row["starts_at"] + timedelta(minutes=row["duration_minutes"])).astimezone(UTC))
    event.add("summary", f"Interview: {row['role']} at {row['company']} ({kind})")
    event.add("last-modified", row["updated_at"].astimezone(UTC))
    event.add("status", "CANCELLED" if row["outcome"] == "cancelled" else "CONFIRMED")
    if details.place_or_link:
        event.add("location", details.place_or_link)
    if interview_schemas.is_link(details.place_or_link):
        event.add("url", details.place_or_link)
    people = details.people + [names[c] for c in details.contact_ids if c in names]
    lines = []
    if people:
        lines.append("With: " + ", ".join(people))
    if row["outcome"] not in ("pending", "cancelled"):
        lines.append("Outcome: " + row["outcome"].replace("_", " "))
    if details.prep_notes:
        lines += ["", "Preparation notes:", details.prep_notes]
    lines += ["", f"Application: {base}/applications/{row['application_id']}"]
    event.add("description", "\n".join(lines).strip("\n"))
    return event


def _follow_up_event(row: dict[str, Any], base: str, now: datetime) -> Event:
    start = row["next_follow_up_at"].astimezone(UTC)
    event = Event()
    event.add("uid", f"follow-up-{row['id']}@career-copilot")
    event.add("dtstamp", now)
    event.add("dtstart", start)
    event.add("dtend", start + timedelta(minutes=FOLLOW_UP_MINUTES))
    event.add("summary", f"Follow up: {row['role']} at {row['company']}")
    event.add("last-modified", row["updated_at"].astimezone(UTC))
    event.add("transp", "TRANSPARENT")
    event.add("description", f"Application: {base}/applications/{row['id']}")
    return event
