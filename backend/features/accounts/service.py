"""Account rules: registration, sign-in with brute-force protection, refresh rotation with reuse
detection, email tokens, profile and password changes. No Litestar import: workers reuse this."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import msgspec
from asyncpg.exceptions import UniqueViolationError
from redis.asyncio import Redis

from backend import errors
from backend.features.accounts import personal_tokens, schemas, throttle
from backend.features.accounts import queries as repo
from backend.features.accounts.session_memo import AuthChanges, SessionMemo, row_changed
from backend.platform import clock, ratelimit
from backend.platform.crypto import passwords, pii, tokens
from backend.platform.crypto.envelope import Envelope
from backend.platform.db.engine import DB
from backend.platform.db.tables import User
from backend.platform.http import inputs
from backend.platform.http.identity import Principal
from backend.settings import AuthSettings, Settings

_EMAIL = re.compile(schemas.EMAIL_PATTERN)  # what the request schemas declare (Email)
VERIFY_EMAIL, PASSWORD_RESET, ACCOUNT_EXISTS = "verify_email", "password_reset", "account_exists"


def normalize_email(raw: str, field: str = "email") -> str:
    if not _EMAIL.search(raw):
        raise errors.Unprocessable(errors=[errors.FieldError(field, "is not a valid email address")])
    return raw.strip(inputs.WHITESPACE).lower()


def check_password(password: str, field: str) -> None:
    """Raise a 422 naming `field` when the password breaks the rules."""
    if problem := passwords.password_problem(password):
        raise errors.Unprocessable(errors=[errors.FieldError(field, problem)])


def user_out(user: User, envelope: Envelope) -> schemas.UserOut:
    details = pii.read(envelope, user)
    return schemas.UserOut(
        id=user.id,
        email=user.email,
        full_name=details.full_name,
        headline=user.headline,
        location=details.location,
        phone=details.phone,
        links=msgspec.convert(details.links, list[schemas.Link]),
        target_roles=list(user.target_roles or []),
        role="admin" if user.role == "admin" else "user",
        is_active=user.is_active,
        email_verified=user.email_verified_at is not None,
        created_at=user.created_at,
    )


class AccountService:
    def __init__(self, settings: Settings, redis: Redis, sessions: SessionMemo | None = None) -> None:
        self.settings = settings
        self.auth = settings.auth
        self.redis = redis
        self.sessions = sessions  # None: every authentication asks Postgres
        self.envelope = Envelope.from_settings(settings.encryption)

    # -- registration and email tokens ----------------------------------------------------------
    async def register(self, body: schemas.RegisterRequest, ip: str) -> uuid.UUID | None:
        """Sign up without saying whether the address already has an account: a new address gets
        its account (unverified, it can sign in at once) and a "finish signing up" email; an
        existing one gets an "you already have an account" email instead (at most 3 an hour per
        address). Both paths hash the password once, so they take the same time. Answers the id of
        the account the address names (None when it is disabled or gone), for the caller's
        bookkeeping only: it never reaches the response."""
        email = normalize_email(body.email)
        check_password(body.password, "password")
        full_name = body.full_name.strip()  # the schema refuses a blank one
        await self._throttle_client("register", ip, self.auth.register_max_per_ip, 3600)
        password_hash = await passwords.hash_password(body.password)
        user_id = uuid.uuid4()
        sealed = pii.seal(self.envelope, user_id, pii.Details(full_name=full_name))
        user = User(id=user_id, email=email, password_hash=password_hash, pii=sealed, **pii.CLEARED)
        try:
            async with DB.transaction():
                await user.save()
                await self._issue_email_token(user, VERIFY_EMAIL)
            return uuid.UUID(str(user.id))
        except UniqueViolationError:
            pass
        existing = await repo.user_by_email(email)
        if existing is None or not existing.is_active:
            return None
        if await self._allowed(f"rl:exists:{_digest(email)}"):
            async with DB.transaction():
                await self._send_account_exists(existing)
        return uuid.UUID(str(existing.id))

    async def _throttle_client(self, action: str, ip: str, limit: int, seconds: int) -> None:
        """Count one `action` from the client of `ip` (IPv4 address or IPv6 /64), or raise 429:
        called before any password hashing on the routes that need no account."""
        window = ratelimit.Window(f"rl:{action}:ip:{ratelimit.client_key(ip)}", limit, seconds)
        if wait := await ratelimit.take(self.redis, [window]):
            raise errors.TooManyRequests("Too many requests from this address; try again later", retry_after=wait)

    async def _send_account_exists(self, user: User) -> None:
        context: dict[str, Any] = {
            "full_name": pii.read(self.envelope, user).full_name,
            "link": f"{self.settings.app.public_url}/",
        }
        await repo.queue_email(user.id, user.email, ACCOUNT_EXISTS, context)

    async def _issue_email_token(self, user: User, purpose: str) -> None:
        raw = tokens.new_opaque_token()
        expires = clock.now() + timedelta(seconds=self.auth.email_token_ttl_seconds)
        await repo.add_email_token(user.id, purpose, tokens.hash_opaque_token(raw), expires)
        path = "/verify-email" if purpose == VERIFY_EMAIL else "/reset-password"
        context: dict[str, Any] = {
            "full_name": pii.read(self.envelope, user).full_name,
            "token": raw,
            "link": f"{self.settings.app.public_url}{path}?token={raw}",
            "expires_at": expires.isoformat(),
        }
        await repo.queue_email(user.id, user.email, purpose, context)

    async def verify_email(self, token: str) -> None:
        now = clock.now()
        async with DB.transaction():
            user_id = await repo.consume_email_token(VERIFY_EMAIL, tokens.hash_opaque_token(token), now)
            if user_id is None:
                raise errors.BadRequest("The token is invalid, used or expired", slug="invalid-token")
            await User.update({User.email_verified_at: now}).where(User.id == user_id)
        await row_changed(self.redis, uuid.UUID(str(user_id)))

    async def resend_verification(self, raw_email: str) -> None:
        """Queue a new verification email when the account exists and is unverified; the caller
        answers 202 either way (no account enumeration). Earlier links keep working until they expire."""
        email = normalize_email(raw_email)
        if not await self._allowed(f"rl:verify:{_digest(email)}"):
            return
        user = await repo.user_by_email(email)
        if user is None or not user.is_active or user.email_verified_at is not None:
            return
        async with DB.transaction():
            await self._issue_email_token(user, VERIFY_EMAIL)

    async def _allowed(self, key: str) -> bool:
        """At most 3 emails per address and hour: a mailbox cannot be flooded through us (counted
        and checked in one step: concurrent requests cannot all pass)."""
        return not await ratelimit.take(self.redis, [ratelimit.Window(key, 3, 3600)])

    async def request_password_reset(self, raw_email: str) -> None:
        """Queue a reset email when the account exists; the caller answers 202 either way."""
        email = normalize_email(raw_email)
        if not await self._allowed(f"rl:reset:{_digest(email)}"):
            return
        user = await repo.user_by_email(email)
        if user is None or not user.is_active:
            return
        async with DB.transaction():
            await self._issue_email_token(user, PASSWORD_RESET)

    async def confirm_password_reset(self, token: str, new_password: str, ip: str) -> None:
        """The client's budget is counted and the token checked before the new password is hashed:
        a made-up token costs a Redis and a Postgres lookup, never argon2. A successful reset
        clears the account's sign-in failures (throttle.clear)."""
        check_password(new_password, "new_password")
        await self._throttle_client(
            "reset-confirm", ip, self.auth.reset_confirm_max_per_ip, self.auth.login_window_seconds
        )
        token_hash = tokens.hash_opaque_token(token)
        if await repo.live_email_token(PASSWORD_RESET, token_hash, clock.now()) is None:
            raise errors.BadRequest("The token is invalid, used or expired", slug="invalid-token")
        password_hash = await passwords.hash_password(new_password)
        now = clock.now()
        async with AuthChanges(self.redis) as changes, DB.transaction():
            user_id = await repo.consume_email_token(PASSWORD_RESET, token_hash, now)
            if user_id is None:
                raise errors.BadRequest("The token is invalid, used or expired", slug="invalid-token")
            await changes.add(user_id)
            # The reset link proved the mailbox: the address counts as verified from now on.
            await User.update({User.password_hash: password_hash, User.updated_at: now}).where(User.id == user_id)
            await (
                User.update({User.email_verified_at: now})
                .where(User.id == user_id)
                .where(User.email_verified_at.is_null())
            )
            await repo.spend_email_tokens(user_id, PASSWORD_RESET, now)  # other reset links die with this one
            # Account recovery: whoever held the account may have left credentials behind, so every
            # one ends: sign-in sessions and personal access tokens (a password change keeps tokens).
            await repo.revoke_user_sessions(user_id, "password_reset", now)
            await personal_tokens.revoke_all(user_id, now)
            changes.end_sockets(user_id, ["s:*", "p:*"])
            user = await repo.user_by_id(user_id)
        if user is not None:
            await throttle.clear(self.redis, user.email)

    # -- sign-in sessions -------------------------------------------------------------------------
    async def login(self, body: schemas.LoginRequest, ip: str, user_agent: str) -> schemas.TokenPair:
        """Every attempt is counted before its password is checked, in the same atomic step as the
        limit check (concurrent guesses cannot all pass): per (account, client), per client address
        and, for clients the account does not know, per account (throttle.py). A success forgets its
        client's failures on the account, gives its count in the shared windows back (a NAT is not
        throttled by its own sign-ins) and makes the client known to the account."""
        email = body.email.strip().lower()
        attempt = await throttle.admit(self.redis, self.auth, email, ip)
        user = await repo.user_by_email(email)
        try:
            valid = await passwords.verify_password(user.password_hash if user else None, body.password)
        except passwords.Saturated:
            await throttle.give_back(self.redis, attempt)  # not a guess: nothing was checked
            raise
        if user is None or not valid or not user.is_active:
            raise errors.Unauthorized("Wrong email or password", slug="invalid-credentials")
        await throttle.succeeded(self.redis, self.auth, attempt)
        async with DB.transaction():
            expires = clock.now() + timedelta(seconds=self.auth.refresh_ttl_seconds)
            session_id = await repo.create_session(user.id, expires, user_agent)
            pair = await self._new_pair(user.id, user.role, session_id)
        return pair

    async def _new_pair(self, user_id: uuid.UUID, role: str, session_id: uuid.UUID) -> schemas.TokenPair:
        refresh = tokens.new_opaque_token()
        expires = clock.now() + timedelta(seconds=self.auth.refresh_ttl_seconds)
        await repo.add_refresh_token(session_id, tokens.hash_opaque_token(refresh), expires)
        access = tokens.issue_access_token(self.auth, user_id=user_id, session_id=session_id, role=role)
        return schemas.TokenPair(access_token=access, refresh_token=refresh, expires_in=self.auth.access_ttl_seconds)

    async def refresh(self, refresh_token: str) -> schemas.TokenPair:
        """Rotate: the presented token is spent; presenting a spent one revokes its whole family."""
        now = clock.now()
        pair: schemas.TokenPair | None = None
        async with AuthChanges(self.redis) as changes, DB.transaction():
            row = await repo.lock_refresh_token(tokens.hash_opaque_token(refresh_token))
            if row is None or row["revoked_at"] is not None:
                raise errors.Unauthorized("Invalid refresh token", slug="invalid-token")
            if row["used_at"] is not None:
                # Committed before we refuse: the whole family dies (RFC 9700 §4.14.2).
                await changes.add(row["user_id"])
                await repo.revoke_session(row["session"], "refresh_reuse", now)
                changes.end_sockets(row["user_id"], [f"s:{row['session']}"])
            elif row["expires_at"] <= now or row["session_expires_at"] <= now:
                raise errors.Unauthorized("Refresh token expired", slug="token-expired")
            else:
                user = await repo.user_by_id(row["user_id"])
                if user is None or not user.is_active:
                    raise errors.Unauthorized("Invalid refresh token", slug="invalid-token")
                await repo.mark_refresh_used(row["id"], now)
                await repo.touch_session(row["session"], now)
                pair = await self._new_pair(user.id, user.role, row["session"])
        if pair is None:
            raise errors.Unauthorized("Refresh token reuse detected; the session was revoked", slug="token-reused")
        return pair

    async def logout(self, refresh_token: str) -> None:
        """End the session of `refresh_token`; unknown tokens are ignored (logout is idempotent)."""
        async with AuthChanges(self.redis) as changes, DB.transaction():
            row = await repo.lock_refresh_token(tokens.hash_opaque_token(refresh_token))
            if row is not None:
                await changes.add(row["user_id"])
                await repo.revoke_session(row["session"], "logout", clock.now())
                changes.end_sockets(row["user_id"], [f"s:{row['session']}"])

    async def authenticate(
        self, access_token: str, want: Callable[[uuid.UUID], tuple[str, str]] | None = None
    ) -> Principal:
        """A session's JWT access token, or a personal access token (`ccp_...`). `want(user_id)`
        names a cache entry (namespace, suffix) the request will read: it is looked up in the same
        Redis round trip as the session's stamp and handed back as `Principal.prefetched`."""
        if personal_tokens.is_personal_token(access_token):
            owner, scopes, token_id = await personal_tokens.authenticate(access_token)
            return Principal(user=owner, session_id=None, scopes=scopes, token_id=token_id)
        claims = tokens.decode_access_token(self.auth, access_token)
        hit = None
        if self.sessions is not None:
            wanted = want(claims.user_id) if want is not None else None
            user, hit = await self.sessions.active_user(claims.user_id, claims.session_id, wanted)
        else:
            found = await repo.active_user_in_session(claims.user_id, claims.session_id)
            user = found[0] if found is not None else None
        if user is None:
            raise errors.Unauthorized("The session has ended", slug="session-ended")
        return Principal(user=user, session_id=claims.session_id, prefetched=hit)


async def reauthenticate(redis: Redis, auth: AuthSettings, user: User, password: str, field: str) -> None:
    """Check a signed-in user's current password (password change, erasure), throttled like sign-in
    with signed-in sessions as one client of the account (throttle.SIGNED_IN): 429 with Retry-After
    once its window is full, even for the right password; a 422 naming `field` when it is wrong; the
    right one resets the window. A stolen session guessing here never locks sign-in."""
    attempt = await throttle.admit(redis, auth, user.email, throttle.SIGNED_IN, per_ip=False)
    if not await passwords.verify_password(user.password_hash, password):
        raise errors.Unprocessable(errors=[errors.FieldError(field, "is incorrect")])
    await throttle.succeeded(redis, auth, attempt)


def _json(value: Any) -> Any:
    """Piccolo hands JSONB back as text unless asked otherwise."""
    return msgspec.json.decode(value) if isinstance(value, str | bytes) else value


_digest = throttle.digest
