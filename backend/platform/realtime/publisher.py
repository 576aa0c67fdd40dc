"""`Publisher.publish(user_id, event)`: usable from the api and from workers (no Litestar import).

One Lua script appends the event to the user's capped history stream and publishes it with the id
the stream gave it, atomically: an event cannot be delivered live without being in history, and ids
increase per user.
"""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime

import msgspec
from redis.asyncio import Redis

from backend.platform.realtime import channels, events, wire
from backend.settings import RealtimeSettings

# KEYS[1] history stream, KEYS[2] channel; ARGV[1] body, ARGV[2] max events, ARGV[3] ttl ms,
# ARGV[4] oldest id to keep (time-based trimming).
_PUBLISH = """
local id = redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[2], '*', 'e', ARGV[1])
redis.call('XTRIM', KEYS[1], 'MINID', '~', ARGV[4])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
redis.call('{publish}', KEYS[2], id .. ' ' .. ARGV[1])
return id
"""


class Publisher:
    def __init__(self, redis: Redis, settings: RealtimeSettings) -> None:
        self.redis = redis
        self.settings = settings
        self._script = redis.register_script(_PUBLISH.replace("{publish}", channels.publish_command()))

    async def publish(self, user_id: uuid.UUID | str, event: events.Event) -> str:
        """Store and fan out `event` to every socket of `user_id`; returns the event id."""
        stamped = msgspec.structs.replace(event, id="", ts=datetime.now(UTC).isoformat(timespec="milliseconds"))
        body = events.encoder.encode(stamped)
        ttl_ms = self.settings.history_ttl_seconds * 1000
        oldest = f"{int(time.time() * 1000) - ttl_ms}-0"
        event_id = await self._script(
            keys=[channels.history_key(user_id), channels.user_channel(user_id)],
            args=[body, self.settings.history_max_events, ttl_ms, oldest],
        )
        return event_id.decode() if isinstance(event_id, bytes) else str(event_id)

    async def kick(self, user_id: uuid.UUID | str) -> None:
        """Close every socket of the user on every replica (account disabled or deleted)."""
        await channels.send(self.redis, channels.user_channel(user_id), wire.KICK)

    async def erase(self, user_id: uuid.UUID | str) -> None:
        """Account deleted: close its sockets and drop its event history."""
        await self.kick(user_id)
        await self.redis.delete(channels.history_key(user_id))


async def end_sockets(
    redis: Redis, user_id: uuid.UUID | str, ended: list[str], keep: list[str] | tuple[str, ...] = ()
) -> None:
    """Close with 4001, on every api process, the user's sockets opened with a credential in `ended`
    (`s:<session id>`, `p:<token id>`; `s:*` and `p:*` for all of a kind) and not in `keep`. Sessions
    end in the accounts feature: publish only once the change has committed."""
    await channels.send(redis, channels.user_channel(user_id), wire.end_message(ended, keep))
