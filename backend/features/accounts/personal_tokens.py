"""Personal access tokens for integrations: `ccp_<random>`, shown once, stored
as sha256, scoped `read`/`write`, revocable, optionally expiring."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

import structlog
from redis.asyncio import Redis

from backend import errors
from backend.features.accounts import schemas
from backend.platform import redis_client
from backend.platform.crypto import tokens
from backend.platform.db.tables import PersonalAccessToken, User
from backend.platform.logging import user_hash
from backend.platform.realtime import publisher

log = structlog.get_logger("career_copilot.sessions")

TOKEN_PREFIX = "ccp_"  # noqa: S105 - a public prefix, not a secret
MAX_TOKENS_PER_USER = 50
LAST_USED_RESOLUTION = timedelta(minutes=1)


def is_personal_token(raw: str) -> bool:
    return raw.startswith(TOKEN_PREFIX)


def public_fields(row: PersonalAccessToken) -> dict[str, Any]:
    """What may be shown of a token: everything but its hash."""
    return {
        "id": row.id,
        "name": row.name,
        "prefix": row.prefix,
        "scopes": list(row.scopes),
        "created_at": row.created_at,
        "expires_at": row.expires_at,
        "last_used_at": row.last_used_at,
    }


async def create(user_id: uuid.UUID, body: schemas.PersonalTokenCreate) -> schemas.PersonalTokenCreated:
    live = await PersonalAccessToken.count().where(
        (PersonalAccessToken.user == user_id) & PersonalAccessToken.revoked_at.is_null()
    )
    if live >= MAX_TOKENS_PER_USER:
        raise errors.Conflict(f"At most {MAX_TOKENS_PER_USER} tokens; revoke one first", slug="too-many-tokens")
    raw = TOKEN_PREFIX + tokens.new_opaque_token()
    expires = datetime.now().astimezone() + timedelta(days=body.expires_in_days) if body.expires_in_days else None
    row = PersonalAccessToken(
        user=user_id,
        name=body.name.strip() or "token",
        prefix=raw[:12],
        token_hash=tokens.hash_opaque_token(raw),
        scopes=sorted(set(body.scopes)),
        expires_at=expires,
    )
    await row.save()
    saved = await PersonalAccessToken.objects().where(PersonalAccessToken.id == row.id).first()
    assert saved is not None
    return schemas.PersonalTokenCreated(**public_fields(saved), token=raw)


async def list_live(user_id: uuid.UUID) -> list[schemas.PersonalTokenOut]:
    rows = (
        await PersonalAccessToken.objects()
        .where((PersonalAccessToken.user == user_id) & PersonalAccessToken.revoked_at.is_null())
        .order_by(PersonalAccessToken.created_at, ascending=False)
    )
    return [schemas.PersonalTokenOut(**public_fields(row)) for row in rows]


async def revoke(user_id: uuid.UUID, token_id: uuid.UUID, redis: Redis) -> None:
    """Revoke one of the user's tokens (its realtime sockets close, 4001, on every api process);
    someone else's (or an unknown) id is a 404."""
    revoked = (
        await PersonalAccessToken.update({PersonalAccessToken.revoked_at: datetime.now().astimezone()})
        .where(
            (PersonalAccessToken.id == token_id)
            & (PersonalAccessToken.user == user_id)
            & PersonalAccessToken.revoked_at.is_null()
        )
        .returning(PersonalAccessToken.id)
    )
    if not revoked:
        raise errors.NotFound("No such token")
    try:
        await publisher.end_sockets(redis, user_id, [f"p:{token_id}"])
    except redis_client.ERRORS as error:  # the sockets close at their deadline (4002) at the latest
        log.warning("token_sockets_not_closed", user_hash=user_hash(user_id), error=type(error).__name__)


async def revoke_all(user_id: uuid.UUID, now: datetime) -> None:
    """Revoke every live token of the user (account recovery: a password reset)."""
    await PersonalAccessToken.update({PersonalAccessToken.revoked_at: now}).where(
        (PersonalAccessToken.user == user_id) & PersonalAccessToken.revoked_at.is_null()
    )


async def authenticate(raw: str) -> tuple[User, frozenset[str], uuid.UUID]:
    """The active owner of a live token, its scopes and its id; Unauthorized otherwise."""
    now = datetime.now().astimezone()
    row = (
        await PersonalAccessToken.objects()
        .where(PersonalAccessToken.token_hash == tokens.hash_opaque_token(raw))
        .where(PersonalAccessToken.revoked_at.is_null())
        .first()
    )
    if row is None or (row.expires_at is not None and row.expires_at <= now):
        raise errors.Unauthorized("Invalid access token", slug="invalid-token")
    user = await User.objects().where((User.id == row.user) & User.is_active.eq(True)).first()
    if user is None:
        raise errors.Unauthorized("Invalid access token", slug="invalid-token")
    if row.last_used_at is None or now - row.last_used_at > LAST_USED_RESOLUTION:
        # One write per minute per token at most, not one per request.
        await PersonalAccessToken.update({PersonalAccessToken.last_used_at: now}).where(
            PersonalAccessToken.id == row.id
        )
    return user, frozenset(row.scopes), uuid.UUID(str(row.id))
