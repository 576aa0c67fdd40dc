"""Wire types of the interview endpoints (msgspec Structs; never derived from tables)."""

from __future__ import annotations

import re
import uuid
from datetime import datetime
from typing import Annotated

import msgspec

from backend.features.applications.schemas import InterviewKind, InterviewOutcome
from backend.platform.http.inputs import HTTP_URL, WS_CHARS, Input, Name

UNSET = msgspec.UNSET
KIND_LABELS = {
    "phone_screen": "phone screen",
    "technical": "technical",
    "onsite": "onsite",
    "behavioral": "behavioral",
    "panel": "panel",
    "final": "final",
    "other": "other",
}
MAX_PEOPLE = 20
MAX_PER_APPLICATION = 50

# A place or a link: text (an address, "Room 4, 2nd floor", "phone") or an http(s) URL. A value
# with no whitespace that starts like a URL (`scheme:`) must be http(s): `javascript:`, `data:`,
# `mailto:` and the like are refused, so that a client may show a link as a link.
_NOT_ANOTHER_SCHEME = f"(?![A-Za-z][A-Za-z0-9+.-]*:[^{WS_CHARS}]*$)"
PLACE_OR_LINK_PATTERN = f"^(?:{HTTP_URL}|{_NOT_ANOTHER_SCHEME}[\\s\\S]*)$"
PlaceOrLink = Annotated[
    str,
    msgspec.Meta(
        max_length=2000,
        pattern=PLACE_OR_LINK_PATTERN,
        description="A location (free text) or an http(s) URL of the meeting; a URL of another scheme is refused",
    ),
]
StartsAt = Annotated[
    datetime,
    msgspec.Meta(tz=True, description="When it starts: an RFC 3339 date-time with its offset (a naive time: 422)"),
]
Duration = Annotated[int, msgspec.Meta(ge=5, le=1440, description="Minutes, 5 to 1440")]
People = Annotated[list[Name], msgspec.Meta(max_length=MAX_PEOPLE, description="Names of the interviewers")]
ContactIds = Annotated[
    list[uuid.UUID],
    msgspec.Meta(max_length=MAX_PEOPLE, description="The user's contacts who interview (another id: 422)"),
]
PrepNotes = Annotated[str, msgspec.Meta(max_length=10_000)]


class InterviewCreate(Input):
    kind: InterviewKind
    starts_at: StartsAt
    duration_minutes: Duration = 60
    place_or_link: PlaceOrLink = ""
    people: People = msgspec.field(default_factory=list)
    contact_ids: ContactIds = msgspec.field(default_factory=list)
    prep_notes: PrepNotes = ""
    outcome: InterviewOutcome = "pending"


class InterviewUpdate(Input):
    """PATCH: only the fields present change. A new `starts_at` reschedules its reminders; an outcome
    other than `pending` stops them."""

    kind: InterviewKind | msgspec.UnsetType = UNSET
    starts_at: StartsAt | msgspec.UnsetType = UNSET
    duration_minutes: Duration | msgspec.UnsetType = UNSET
    place_or_link: PlaceOrLink | msgspec.UnsetType = UNSET
    people: People | msgspec.UnsetType = UNSET
    contact_ids: ContactIds | msgspec.UnsetType = UNSET
    prep_notes: PrepNotes | msgspec.UnsetType = UNSET
    outcome: InterviewOutcome | msgspec.UnsetType = UNSET


class InterviewOut(msgspec.Struct, kw_only=True):
    id: uuid.UUID
    application_id: uuid.UUID
    kind: InterviewKind
    starts_at: datetime
    ends_at: datetime
    duration_minutes: int
    place_or_link: str
    link: str | None  # place_or_link when it is a URL
    people: list[str]
    contact_ids: list[uuid.UUID]  # the linked contacts that still exist
    prep_notes: str
    outcome: InterviewOutcome
    created_at: datetime
    updated_at: datetime


class Details(msgspec.Struct, kw_only=True):
    """What the `interviews.details` blob holds."""

    place_or_link: str = ""
    people: list[str] = msgspec.field(default_factory=list)
    contact_ids: list[uuid.UUID] = msgspec.field(default_factory=list)
    prep_notes: str = ""


_LINK = re.compile(HTTP_URL)


def is_link(place_or_link: str) -> bool:
    """Whether the value is a URL (else it is a place, as text)."""
    return _LINK.fullmatch(place_or_link) is not None
