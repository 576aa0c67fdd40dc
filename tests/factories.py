"""Builders of test data through the real API (and direct rows where a test needs a state the API
cannot reach quickly, e.g. an expired token)."""

from __future__ import annotations

import itertools
import time
import uuid
from dataclasses import dataclass
from typing import Any

import httpx
import jwt
import msgspec

from backend.platform.crypto import tokens
from backend.settings import Settings

PASSWORD = "correct horse battery staple"
_counter = itertools.count(1)


@dataclass
class Account:
    email: str
    password: str
    user_id: str
    access_token: str
    refresh_token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.access_token}"}


def unique_email(prefix: str = "user") -> str:
    return f"{prefix}{next(_counter)}@example.com"


async def register(client: httpx.AsyncClient, email: str | None = None, password: str = PASSWORD) -> dict:
    """Sign up a new address; the user as `GET /me` would show it. Sign-up answers only 202 (the same
    for an address that has an account), so the row is read back from the database rather than
    through a sign-in, which would open a session and make the client known to the account."""
    from backend.features.accounts.schemas import UserOut
    from backend.platform.db.tables import User

    email = (email or unique_email()).strip().lower()
    response = await client.post(
        "/api/v1/auth/register", json={"email": email, "password": password, "full_name": "Ada Lovelace"}
    )
    assert response.status_code == 202, response.text
    user = await User.objects().where(User.email == email).first()
    if user is None:  # an api on another database (a replicated primary): ask it, with a sign-in
        tokens = await login(client, email, password)
        me = await client.get("/api/v1/me", headers={"Authorization": f"Bearer {tokens['access_token']}"})
        assert me.status_code == 200, f"sign-up created no account for {email}: {me.text}"
        found: dict = me.json()
        return found
    out = UserOut(  # the personal details are sealed in the row: these are the ones just sent
        id=user.id, email=user.email, full_name="Ada Lovelace", headline=user.headline, location="",
        phone="", links=[], target_roles=list(user.target_roles or []), role="user", is_active=user.is_active,
        email_verified=user.email_verified_at is not None, created_at=user.created_at,
    )  # fmt: skip
    return dict(msgspec.to_builtins(out))


async def login(client: httpx.AsyncClient, email: str, password: str = PASSWORD) -> dict:
    response = await client.post("/api/v1/auth/login", json={"email": email, "password": password})
    assert response.status_code == 200, response.text
    return response.json()


async def account(client: httpx.AsyncClient, email: str | None = None, password: str = PASSWORD) -> Account:
    """A registered user with a fresh sign-in session."""
    user = await register(client, email, password)
    tokens = await login(client, user["email"], password)
    return Account(user["email"], password, user["id"], tokens["access_token"], tokens["refresh_token"])


async def mailed(email: str, template: str) -> dict[str, Any]:
    """The context (token, link…) of the newest queued email of `template` to `email`."""
    from backend.platform.db.tables import EmailOutbox

    rows = (
        await EmailOutbox.select(EmailOutbox.context)
        .where(EmailOutbox.to_address == email)
        .where(EmailOutbox.template == template)
        .order_by(EmailOutbox.created_at, ascending=False)
        .output(load_json=True)
    )
    assert rows, f"no {template} email queued for {email}"
    return dict(rows[0]["context"])


async def mailed_token(email: str, template: str) -> str:
    """The raw token of the newest queued email of `template` to `email` (what the user would click)."""
    return str((await mailed(email, template))["token"])


def forged_access_token(settings: Settings, account: Account, how: str) -> str:
    """An access token of `account` made invalid in one way: expired, alg-none, other-key (signed
    with a key the server does not hold), escalated (role edited, signature kept), future-session."""
    claims = jwt.decode(account.access_token, options={"verify_signature": False})
    kid = settings.auth.jwt_active_kid
    if how == "expired":
        short = msgspec.structs.replace(settings.auth, access_ttl_seconds=-60)
        return tokens.issue_access_token(
            short, user_id=uuid.UUID(account.user_id), session_id=uuid.UUID(claims["sid"]), role="user"
        )
    if how == "alg-none":
        return jwt.encode(claims, "", algorithm="none", headers={"kid": kid})
    if how == "other-key":
        return jwt.encode(claims, "k" * 48, algorithm="HS256", headers={"kid": kid})
    if how == "escalated":
        header, _payload, signature = account.access_token.split(".")
        claims["role"] = "admin"
        forged_payload = jwt.utils.base64url_encode(msgspec.json.encode(claims)).decode()
        return f"{header}.{forged_payload}.{signature}"
    if how == "future-session":
        claims["sid"] = str(uuid.uuid4())
        claims["exp"] = int(time.time()) + 600
        return jwt.encode(claims, settings.auth.jwt_keys[kid], algorithm="HS256", headers={"kid": kid})
    raise AssertionError(how)


async def verified_account(client: httpx.AsyncClient, email: str | None = None, password: str = PASSWORD) -> Account:
    """`account`, then its address confirmed through the link of its verification email: what
    uploads and AI work need when REQUIRE_VERIFIED_EMAIL is on."""
    created = await account(client, email, password)
    token = await mailed_token(created.email, "verify_email")
    response = await client.post("/api/v1/auth/verify-email", json={"token": token})
    assert response.status_code == 204, response.text
    return created
