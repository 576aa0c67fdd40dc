"""Wire types of the auth and me endpoints (msgspec Structs; never derived from tables)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

import msgspec

from backend.features.notifications import ghosting
from backend.platform.http.inputs import HTTP_URL, WS_CHARS, Input, Name, Short, Token

# An address: a local part of dot-separated runs (no leading, trailing or doubled dot), `@`, and a
# domain of at least two labels. Surrounding whitespace is allowed (stripped) and case is ignored
# (stored lowercased).
EMAIL_PATTERN = (
    f"^[{WS_CHARS}]*[^@.{WS_CHARS}]+(?:\\.[^@.{WS_CHARS}]+)*"
    r"@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9-]{1,63})+"
    f"[{WS_CHARS}]*$"
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


class RegisterRequest(Input):
    email: Email
    password: NewPassword
    full_name: Name


SIGN_UP_ACCEPTED = (
    "Check your email to finish signing up. If this address already has an account, the email says so "
    "and links to sign-in and password reset."
)


class SignUpAccepted(msgspec.Struct, frozen=True):
    """The same answer whether or not the address already had an account (no account enumeration)."""

    detail: Annotated[str, msgspec.Meta(examples=[SIGN_UP_ACCEPTED])] = SIGN_UP_ACCEPTED


class LoginRequest(Input):
    email: Annotated[str, msgspec.Meta(min_length=3, max_length=320, examples=["ada@example.com"])]  # unknown: 401
    password: Password


class RefreshRequest(Input):
    # Required unless the browser's refresh cookie is spent (`X-Refresh-Cookie: 1`, the dashboard).
    refresh_token: Token | msgspec.UnsetType = msgspec.UNSET


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
    # Absent when it was set in the `HttpOnly` refresh cookie instead (`X-Refresh-Cookie: 1`).
    refresh_token: str | msgspec.UnsetType = msgspec.UNSET
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


ReminderMinutes = Annotated[int, msgspec.Meta(ge=5, le=10080)]


class NotificationSettingsBody(Input):
    """Which notifications the user wants. Verification and password-reset emails are
    always sent; `reminder_lead_minutes` brings follow-up reminders forward (up to 7 days);
    `interview_reminder_minutes` says how long before each interview a reminder comes (up to five
    times, 5 minutes to 7 days; empty: none), by email too when `email_interview_reminders`;
    `time_zone` (an IANA name such as `Europe/Paris`) is how times are shown in emails;
    `ghosted_after_days`: an application still `applied` with no answer this many days after it was
    applied is suggested as ghosted, in the bell (0: never; up to 365)."""

    in_app: bool = True
    email_follow_up_reminders: bool = True
    email_status_changes: bool = False
    reminder_lead_minutes: Annotated[int, msgspec.Meta(ge=0, le=10080)] = 0
    time_zone: TimeZone = "UTC"
    ghosted_after_days: Annotated[
        int,
        msgspec.Meta(
            ge=0,
            le=ghosting.MAX_AFTER_DAYS,
            description=(
                "Days after an application was applied with no answer before it is suggested as ghosted "
                f"(0: never suggest; at most {ghosting.MAX_AFTER_DAYS})"
            ),
        ),
    ] = ghosting.DEFAULT_AFTER_DAYS
    email_interview_reminders: bool = True
    interview_reminder_minutes: Annotated[list[ReminderMinutes], msgspec.Meta(max_length=5)] = msgspec.field(
        default_factory=lambda: [1440, 60]
    )


class AccountDeletion(Input):
    password: Password


class SessionOut(msgspec.Struct, kw_only=True):
    id: uuid.UUID
    created_at: datetime
    last_used_at: datetime
    expires_at: datetime
    revoked_at: datetime | None
    user_agent: str
