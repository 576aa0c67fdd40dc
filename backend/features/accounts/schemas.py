"""Wire types of the auth and me endpoints (msgspec Structs; never derived from tables)."""

from __future__ import annotations

import functools
import uuid
from datetime import datetime
from typing import Annotated, Literal

import msgspec

from backend import errors

# Whitespace, spelled out: `\s` differs between Python's `re` (which checks requests) and the
# ECMA-262 regexes of JSON Schema (which clients and generators read); this set is what both call
# whitespace, so a pattern below means the same in both.
WHITESPACE = "".join(
    [
        "\t\n\v\f\r\x1c\x1d\x1e\x1f \x85\xa0\u1680",
        *map(chr, range(0x2000, 0x200B)),
        "\u2028\u2029\u202f\u205f\u3000\ufeff",
    ]
)
_WS = r"\t\n\v\f\r\x1c-\x20\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff"
# An address: a local part of dot-separated runs (no leading, trailing or doubled dot), `@`, and a
# domain of at least two labels. Surrounding whitespace is allowed (stripped) and case is ignored
# (stored lowercased).
EMAIL_PATTERN = (
    f"^[{_WS}]*[^@.{_WS}]+(?:\\.[^@.{_WS}]+)*"
    r"@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9-]{1,63})+"
    f"[{_WS}]*$"
)
Email = Annotated[str, msgspec.Meta(min_length=3, max_length=320, pattern=EMAIL_PATTERN, examples=["ada@example.com"])]
Password = Annotated[str, msgspec.Meta(min_length=1, max_length=256)]  # one to check: any may be tried
NewPassword = Annotated[
    str,
    msgspec.Meta(
        min_length=10,
        max_length=256,
        description="10 to 256 characters, at least 4 of them different (else 422 `is too simple`)",
        examples=["correct horse battery staple"],
    ),
]
NotBlank = f"[^{_WS}]"  # at least one character that is not whitespace (names are stored stripped)
HTTP_URL = f"https?://[^{_WS}]+"
Name = Annotated[str, msgspec.Meta(min_length=1, max_length=200, pattern=NotBlank)]
Short = Annotated[str, msgspec.Meta(max_length=200)]
Token = Annotated[str, msgspec.Meta(min_length=1, max_length=512)]

# Dates of a request: the year, as written, from FIRST_YEAR to LAST_YEAR. Outside that a date is a
# typing slip, and its extremes are not stored and shown back faithfully (year 1 came back without
# its offset). Declared in the OpenAPI as a pattern beside `format: date-time` (backend/platform/http/openapi.py).
FIRST_YEAR, LAST_YEAR = 1900, 2199
DATE_TIME_PATTERN = r"^(?:19|2[01])[0-9]{2}-"
DATE_TIME_DESCRIPTION = f"An RFC 3339 date-time with its offset, in the years {FIRST_YEAR}-{LAST_YEAR} (else 422)"


@functools.cache
def _date_time_fields(cls: type[msgspec.Struct]) -> tuple[tuple[str, str], ...]:
    """(attribute, wire name) of the fields of `cls` that may hold a datetime."""
    found = []
    for field in msgspec.structs.fields(cls):
        kind = field.type
        options = getattr(kind, "__args__", (kind,))
        if any(option is datetime or getattr(option, "__origin__", None) is datetime for option in options):
            found.append((field.name, field.encode_name))
    return tuple(found)


class Input(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """Base of request bodies: unknown fields are an error, not silently dropped, and every datetime
    is within FIRST_YEAR-LAST_YEAR (422 naming the field)."""

    def __post_init__(self) -> None:
        for name, wire_name in _date_time_fields(type(self)):
            value = getattr(self, name)
            if isinstance(value, datetime) and not FIRST_YEAR <= value.year <= LAST_YEAR:
                message = f"must be in the years {FIRST_YEAR}-{LAST_YEAR}"
                raise errors.Unprocessable(errors=[errors.FieldError(wire_name, message)])


class RegisterRequest(Input):
    email: Email
    password: NewPassword
    full_name: Name


class LoginRequest(Input):
    email: Annotated[str, msgspec.Meta(min_length=3, max_length=320, examples=["ada@example.com"])]  # unknown: 401
    password: Password


class RefreshRequest(Input):
    refresh_token: Token


class TokenRequest(Input):
    token: Token


class PasswordResetRequest(Input):
    email: Email


class ResendVerificationRequest(Input):
    email: Email


class PasswordResetConfirm(Input):
    token: Token
    new_password: NewPassword


class PasswordChange(Input):
    current_password: Password
    new_password: NewPassword


class Link(Input):
    label: Annotated[str, msgspec.Meta(min_length=1, max_length=50)]
    url: Annotated[str, msgspec.Meta(min_length=1, max_length=500, pattern=f"^{HTTP_URL}$")]


class ProfileUpdate(Input):
    """PATCH /me: only the fields present change."""

    full_name: Name | msgspec.UnsetType = msgspec.UNSET
    headline: Short | msgspec.UnsetType = msgspec.UNSET
    location: Short | msgspec.UnsetType = msgspec.UNSET
    phone: Annotated[str, msgspec.Meta(max_length=50, pattern=r"^[0-9+()./ -]*$")] | msgspec.UnsetType = msgspec.UNSET
    links: Annotated[list[Link], msgspec.Meta(max_length=20)] | msgspec.UnsetType = msgspec.UNSET
    target_roles: (
        Annotated[list[Annotated[str, msgspec.Meta(min_length=1, max_length=100)]], msgspec.Meta(max_length=20)]
        | msgspec.UnsetType
    ) = msgspec.UNSET


class TokenPair(msgspec.Struct, kw_only=True):
    access_token: str
    refresh_token: str
    token_type: Literal["bearer"] = "bearer"  # noqa: S105 - a token type, not a secret
    expires_in: int


class UserOut(msgspec.Struct, kw_only=True):
    id: uuid.UUID
    email: str
    full_name: str
    headline: str
    location: str
    phone: str
    links: list[Link]
    target_roles: list[str]
    role: Literal["user", "admin"]
    is_active: bool
    email_verified: bool
    created_at: datetime


Scope = Literal["read", "write"]


class PersonalTokenCreate(Input):
    name: Annotated[str, msgspec.Meta(min_length=1, max_length=100)]
    scopes: Annotated[list[Scope], msgspec.Meta(min_length=1, max_length=2)]
    expires_in_days: Annotated[int, msgspec.Meta(ge=1, le=366)] | None = None


class PersonalTokenOut(msgspec.Struct, kw_only=True):
    id: uuid.UUID
    name: str
    prefix: str
    scopes: list[Scope]
    created_at: datetime
    expires_at: datetime | None
    last_used_at: datetime | None


class PersonalTokenCreated(PersonalTokenOut, kw_only=True):
    token: str  # shown once; only its hash is stored


# The shape of an IANA time zone name; the name must also be in the time zone database (422 otherwise:
# a set of names, not a shape, kept out of the contract so that clients may offer any name they know).
TimeZone = Annotated[
    str,
    msgspec.Meta(
        min_length=1,
        max_length=64,
        pattern=r"^[A-Za-z][A-Za-z0-9_+-]*(?:/[A-Za-z0-9_+-]+)*$",
        description="An IANA time zone name, such as `Europe/Paris` or `UTC` (an unknown name: 422)",
        examples=["Europe/Paris"],
    ),
]


class NotificationSettingsBody(Input):
    """Which notifications the user wants. Verification and password-reset emails are
    always sent; `reminder_lead_minutes` brings follow-up reminders forward (up to 7 days);
    `time_zone` (an IANA name such as `Europe/Paris`) is how times are shown in emails."""

    in_app: bool = True
    email_follow_up_reminders: bool = True
    email_status_changes: bool = False
    reminder_lead_minutes: Annotated[int, msgspec.Meta(ge=0, le=10080)] = 0
    time_zone: TimeZone = "UTC"


class AccountDeletion(Input):
    password: Password


class SessionOut(msgspec.Struct, kw_only=True):
    id: uuid.UUID
    created_at: datetime
    last_used_at: datetime
    expires_at: datetime
    revoked_at: datetime | None
    user_agent: str
