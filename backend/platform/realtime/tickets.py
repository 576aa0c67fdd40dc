"""Single-use websocket tickets: browsers cannot set headers on a websocket and a
long-lived token must never sit in a URL, so a signed-in client trades its token for a ticket that
lives ~30 s, names one user, and is spent by the first handshake that presents it."""

from __future__ import annotations

import uuid
from typing import Any

from redis.asyncio import Redis

from backend.platform.crypto import tokens
from backend.platform.realtime import channels


async def issue(redis: Redis, user_id: uuid.UUID, ttl_seconds: int) -> str:
    ticket = tokens.new_opaque_token()
    await redis.set(channels.ticket_key(tokens.hash_opaque_token(ticket)), str(user_id), ex=ttl_seconds)
    return ticket


async def redeem(redis: Redis, ticket: str) -> uuid.UUID | None:
    """The user the ticket was issued to, once; None when unknown, expired or already used."""
    if not ticket or len(ticket) > 128:
        return None
    raw: Any = await redis.getdel(channels.ticket_key(tokens.hash_opaque_token(ticket)))
    return uuid.UUID(raw.decode() if isinstance(raw, bytes) else raw) if raw else None
