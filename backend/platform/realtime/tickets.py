"""Single-use websocket tickets: browsers cannot set headers on a websocket and a
long-lived token must never sit in a URL, so a signed-in client trades its token for a ticket that
lives ~30 s, names one user and the credential it was made with (`s:<session id>` or
`p:<personal access token id>`), and is spent by the first handshake that presents it.

A user holds at most `max_per_user` unspent tickets: each user has a sorted set of their tickets'
digests (score: expiry in ms) and issuing one more voids the oldest (its key stays until it expires,
but a ticket no longer in the set is refused). Voiding rather than refusing keeps a client that
lost its tickets (reloads, retries) from locking itself out, while a token holder minting tickets
in a loop still holds only `max_per_user` of them.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from typing import Any

from redis.asyncio import Redis

from backend.platform import redis_client
from backend.platform.crypto import tokens
from backend.platform.realtime import channels

# KEYS[1] the ticket, KEYS[2] the user's tickets; ARGV[1] the ticket's value, ARGV[2] ttl seconds,
# ARGV[3] now in ms, ARGV[4] the ticket's digest, ARGV[5] most unspent tickets per user.
_ISSUE = """
local ttl_ms = tonumber(ARGV[2]) * 1000
redis.call('SET', KEYS[1], ARGV[1], 'PX', ttl_ms)
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', ARGV[3])
redis.call('ZADD', KEYS[2], tonumber(ARGV[3]) + ttl_ms, ARGV[4])
local extra = redis.call('ZCARD', KEYS[2]) - tonumber(ARGV[5])
if extra > 0 then redis.call('ZPOPMIN', KEYS[2], extra) end
redis.call('PEXPIRE', KEYS[2], ttl_ms)
"""


@dataclass(frozen=True)
class Holder:
    """Whom a ticket was issued to: the user and the credential (`s:<id>` or `p:<id>`)."""

    user_id: uuid.UUID
    credential: str


async def issue(redis: Redis, user_id: uuid.UUID, credential: str, ttl_seconds: int, max_per_user: int) -> str:
    """A new ticket. On a cluster it starts with `<user id>.`: the handshake finds the ticket's key in
    its user's slot, where the user's ticket set is too (both change in one script)."""
    ticket = tokens.new_opaque_token()
    if redis_client.is_cluster():
        ticket = f"{user_id}.{ticket}"
    digest = tokens.hash_opaque_token(ticket)
    await redis.eval(
        _ISSUE,
        2,
        channels.ticket_key(digest, user_id),
        channels.user_tickets_key(user_id),
        f"{user_id} {credential}",
        str(ttl_seconds),
        str(int(time.time() * 1000)),
        digest,
        str(max_per_user),
    )
    return ticket


async def redeem(redis: Redis, ticket: str) -> Holder | None:
    """Whom the ticket was issued to, once; None when unknown, expired, voided or already used."""
    if not ticket or len(ticket) > 128:
        return None
    digest = tokens.hash_opaque_token(ticket)
    named = ticket.partition(".")[0] if redis_client.is_cluster() else ""
    if redis_client.is_cluster() and not _is_uuid(named):
        return None
    raw: Any = await redis.getdel(channels.ticket_key(digest, named))
    if not raw:
        return None
    user_id, _, credential = (raw.decode() if isinstance(raw, bytes) else raw).partition(" ")
    if not await redis.zrem(channels.user_tickets_key(user_id), digest):
        return None  # voided by newer tickets of the user
    return Holder(uuid.UUID(user_id), credential)


def _is_uuid(text: str) -> bool:
    try:
        uuid.UUID(text)
    except ValueError:
        return False
    return True
