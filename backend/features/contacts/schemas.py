"""Wire types of the contact endpoints (msgspec Structs; never derived from tables)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

import msgspec

from backend.platform.http.inputs import WS_CHARS, Input, Name, Short

UNSET = msgspec.UNSET
MAX_CONTACTS = 2000  # per user: the text filter reads a user's contacts decrypted
MAX_LINKS = 50

_NOT_WS = f"[^{WS_CHARS}]"
EMAIL_PATTERN = (
    f"^(?:[^@.{WS_CHARS}]+(?:\\.[^@.{WS_CHARS}]+)*"
    r"@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9-]{1,63})+)?$"
)
PHONE_PATTERN = r"^(?:\+?[0-9][0-9 ().-]{1,38}[0-9)](?: ?(?:x|ext\.?) ?[0-9]{1,6})?)?$"
LINKEDIN_PATTERN = f"^(?:https?://(?:[A-Za-z]{{2,3}}\\.)?[Ll]inked[Ii]n\\.com/{_NOT_WS}*)?$"

Email = Annotated[str, msgspec.Meta(max_length=320, pattern=EMAIL_PATTERN, description="An email address, or empty")]
Phone = Annotated[
    str,
    msgspec.Meta(
        max_length=50, pattern=PHONE_PATTERN, description="Digits with an optional +, spaces, ().- and extension"
    ),
]
LinkedIn = Annotated[
    str,
    msgspec.Meta(
        max_length=500, pattern=LINKEDIN_PATTERN, description="A linkedin.com profile URL (http or https), or empty"
    ),
]
Notes = Annotated[str, msgspec.Meta(max_length=5000)]
ApplicationIds = Annotated[
    list[uuid.UUID],
    msgspec.Meta(
        max_length=MAX_LINKS, description="The user's applications this contact is linked to (another id: 422)"
    ),
]


class ContactCreate(Input):
    name: Name
    role: Short = ""
    company: Short = ""
    email: Email = ""
    phone: Phone = ""
    linkedin_url: LinkedIn = ""
    notes: Notes = ""
    application_ids: ApplicationIds = msgspec.field(default_factory=list)


class ContactUpdate(Input):
    """PATCH: only the fields present change; `application_ids` replaces the links (each link made or
    removed enters that application's timeline)."""

    name: Name | msgspec.UnsetType = UNSET
    role: Short | msgspec.UnsetType = UNSET
    company: Short | msgspec.UnsetType = UNSET
    email: Email | msgspec.UnsetType = UNSET
    phone: Phone | msgspec.UnsetType = UNSET
    linkedin_url: LinkedIn | msgspec.UnsetType = UNSET
    notes: Notes | msgspec.UnsetType = UNSET
    application_ids: ApplicationIds | msgspec.UnsetType = UNSET


class ContactOut(msgspec.Struct, kw_only=True):
    id: uuid.UUID
    name: str
    role: str
    company: str
    email: str
    phone: str
    linkedin_url: str
    notes: str
    application_ids: list[uuid.UUID]  # newest link first
    created_at: datetime
    updated_at: datetime


class ContactPage(msgspec.Struct, kw_only=True):
    """A page of contacts, newest first."""

    items: list[ContactOut]
    next_cursor: str | None


class Details(msgspec.Struct, kw_only=True):
    """What the `contacts.details` blob holds."""

    name: str
    email: str = ""
    phone: str = ""
    linkedin_url: str = ""
    notes: str = ""
