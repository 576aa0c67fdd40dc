"""The cap on a user's open sockets, over every api process.

Each user has a sorted set of their open sockets (`rt:su:<user id>`: socket id, score = when it
opened, in ms). A socket joins it once subscribed; when that makes more than `max_sockets`, the same
script takes the oldest out and publishes `!drop <socket id>...` on the user's channel, so the
process holding each of them closes it with 4003, whichever process that is. A socket leaves the
set when it closes. An entry left behind by a process that died is harmless for long: no socket
lives longer than its deadline (one access-token lifetime), so entries older than that plus a
margin are dropped by the next join. One script call per open, one ZREM per close.
"""

from __future__ import annotations

import contextlib
import time

import structlog
from redis.asyncio import Redis
from redis.exceptions import RedisError

from backend.platform.realtime import channels, wire

log = structlog.get_logger("career_copilot.realtime")
STALE_MARGIN_SECONDS = 120  # beyond a socket's deadline: its close may wait behind a slow peer

# KEYS[1] the user's sockets, KEYS[2] the user's channel; ARGV[1] now (ms), ARGV[2] the socket id,
# ARGV[3] most sockets, ARGV[4] oldest score still live, ARGV[5] ttl of the set (ms).
_JOIN = """
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', '(' .. ARGV[4])
redis.call('ZADD', KEYS[1], ARGV[1], ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[5])
local extra = redis.call('ZCARD', KEYS[1]) - tonumber(ARGV[3])
if extra <= 0 then return 0 end
local popped = redis.call('ZPOPMIN', KEYS[1], extra)
local ids = {}
for i = 1, #popped, 2 do ids[#ids + 1] = popped[i] end
redis.call('{publish}', KEYS[2], ARGV[6] .. table.concat(ids, ' '))
return #ids
"""


async def join(redis: Redis, user_id: str, socket_id: str, max_sockets: int, max_age: float) -> None:
    """Count the socket among the user's; the oldest beyond `max_sockets` are dropped (4003).
    Best effort: with Redis unreachable the socket is not counted (the hub closes it anyway)."""
    now_ms = time.time() * 1000
    keep_ms = (max_age + STALE_MARGIN_SECONDS) * 1000
    try:
        await redis.eval(
            _JOIN.replace("{publish}", channels.publish_command()),
            2,
            channels.user_sockets_key(user_id),
            channels.user_channel(user_id),
            f"{now_ms:.3f}",
            socket_id,
            str(max_sockets),
            f"{now_ms - keep_ms:.3f}",
            str(int(keep_ms)),
            wire.DROP.decode(),
        )
    except (RedisError, OSError) as error:
        log.warning("realtime_socket_not_counted", error=type(error).__name__)


async def leave(redis: Redis, user_id: str, socket_id: str) -> None:
    with contextlib.suppress(RedisError, OSError):
        await redis.zrem(channels.user_sockets_key(user_id), socket_id)
