"""Redis names of the realtime layer, built in one place.

Clients never send a channel name: the user id comes from their ticket.
"""

from __future__ import annotations

import uuid

PREFIX = "rt"
CONTROL_CHANNEL = f"{PREFIX}:control"  # subscribed at start-up, so the pub/sub connection exists early


def user_channel(user_id: uuid.UUID | str) -> str:
    """The pub/sub channel carrying user `user_id`'s live events to every api replica."""
    return f"{PREFIX}:u:{user_id}"


def history_key(user_id: uuid.UUID | str) -> str:
    """The capped Redis stream holding the user's recent events; its entry ids are the event ids."""
    return f"{PREFIX}:h:{user_id}"


def ticket_key(ticket_digest: str) -> str:
    return f"{PREFIX}:t:{ticket_digest}"


def user_tickets_key(user_id: uuid.UUID | str) -> str:
    """The user's unspent tickets (sorted set of digests, score: expiry in ms)."""
    return f"{PREFIX}:tu:{user_id}"


def user_sockets_key(user_id: uuid.UUID | str) -> str:
    """The user's open sockets on every api process (sorted set of socket ids, score: opened, ms)."""
    return f"{PREFIX}:su:{user_id}"


def user_of_channel(channel: str) -> str:
    return channel.rsplit(":", 1)[1]
