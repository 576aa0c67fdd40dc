"""Wire types of the auth and me endpoints (msgspec Structs; never derived from tables)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

import msgspec

Email = Annotated[str, msgspec.Meta(min_length=3, max_length=320, examples=["ada@example.com"])]
Password = Annotated[str, msgspec.Meta(min_length=1, max_length=256)]
Name = Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
Short = Annotated[str, msgspec.Meta(max_length=200)]
Token = Annotated[str, msgspec.Meta(min_length=1, max_length=512)]


class Input(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """Base of request bodies: unknown fields are an error, not silently dropped."""


class RegisterRequest(Input):
    email: Email
    password: Password
    full_name: Name


class LoginRequest(Input):
    email: Email
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
    new_password: Password


class PasswordChange(Input):
    current_password: Password
    new_password: Password


class Link(Input):
    label: Annotated[str, msgspec.Meta(min_length=1, max_length=50)]
    url: Annotated[str, msgspec.Meta(min_length=1, max_length=500, pattern=r"^https?://\S+$")]


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


class NotificationSettingsBody(Input):
    """Which notifications the user wants (SPEC §7). Verification and password-reset emails are
    always sent; `reminder_lead_minutes` brings follow-up reminders forward (up to 7 days);
    `time_zone` (an IANA name such as `Europe/Paris`) is how times are shown in emails."""

    in_app: bool = True
    email_follow_up_reminders: bool = True
    email_status_changes: bool = False
    reminder_lead_minutes: Annotated[int, msgspec.Meta(ge=0, le=10080)] = 0
    time_zone: Annotated[str, msgspec.Meta(min_length=1, max_length=64, examples=["Europe/Paris"])] = "UTC"


class AccountDeletion(Input):
    password: Password


class SessionOut(msgspec.Struct, kw_only=True):
    id: uuid.UUID
    created_at: datetime
    last_used_at: datetime
    expires_at: datetime
    revoked_at: datetime | None
    user_agent: str
