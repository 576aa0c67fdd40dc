"""Redis names of the realtime layer, built in one place.

Clients never send a channel name: the user id comes from their ticket. On a Redis Cluster every
key and channel of one user carries the user id as its hash tag (`rt:u:{<id>}`): the channel, the
history stream, the tickets and the socket roster share a slot, so one script publishes to the
channel and appends to the history on one node, and the sharded channel lives where its history is.
On one Redis the names are unchanged (`redis_client.tag`).
"""

from __future__ import annotations

import uuid
from typing import Any

from backend.platform import redis_client

PREFIX = "rt"
CONTROL_CHANNEL = f"{PREFIX}:control"  # subscribed at start-up, so the pub/sub connection exists early


def user_channel(user_id: uuid.UUID | str) -> str:
    """The pub/sub channel carrying user `user_id`'s live events to every api replica."""
    return f"{PREFIX}:u:{redis_client.tag(user_id)}"


def history_key(user_id: uuid.UUID | str) -> str:
    """The capped Redis stream holding the user's recent events; its entry ids are the event ids."""
    return f"{PREFIX}:h:{redis_client.tag(user_id)}"


def ticket_key(ticket_digest: str, user_id: uuid.UUID | str) -> str:
    """A ticket's key: by its digest alone on one Redis, in its user's slot on a cluster."""
    if redis_client.is_cluster():
        return f"{PREFIX}:t:{redis_client.tag(user_id)}:{ticket_digest}"
    return f"{PREFIX}:t:{ticket_digest}"


def user_tickets_key(user_id: uuid.UUID | str) -> str:
    """The user's unspent tickets (sorted set of digests, score: expiry in ms)."""
    return f"{PREFIX}:tu:{redis_client.tag(user_id)}"


def user_sockets_key(user_id: uuid.UUID | str) -> str:
    """The user's open sockets on every api process (sorted set of socket ids, score: opened, ms)."""
    return f"{PREFIX}:su:{redis_client.tag(user_id)}"


def user_of_channel(channel: str) -> str:
    return channel.rsplit(":", 1)[1].strip("{}")


def publish_command() -> str:
    """The Redis command that fans an event out: sharded `SPUBLISH` on a cluster (the message goes
    to the shard that owns the channel's slot, not to every node), `PUBLISH` on one Redis."""
    return "SPUBLISH" if redis_client.is_cluster() else "PUBLISH"


async def send(redis: Any, channel: str, message: bytes | str) -> None:
    """Publish a control message on a user channel with this topology's command."""
    await redis.execute_command(publish_command(), channel, message)
