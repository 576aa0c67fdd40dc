"""Delayed delivery for the stream broker: the `delay` label (seconds) that taskiq's retry middleware sets.

A Redis stream has no "deliver later", and upstream RedisStreamBroker ignores the `delay` label (a
retry would run again at once, no backoff). A delayed message waits in the sorted set
`<queue>:delayed` (QueueSpec.delayed) scored by its due time; each worker's keeper moves due
messages into the stream with one Lua script, so the move is atomic (never lost, never doubled)
and survives worker crashes.

Nothing here trims: a due message was accepted once already (it is the retry of a task that ran),
so it enters the stream even past the send cap (tasks.broker), and the set holds at most one entry
per task waiting for its retry.
"""

from __future__ import annotations

import time
from typing import Any

from redis.asyncio import Redis

from tasks.spec import QueueSpec

# KEYS[1] sorted set, KEYS[2] stream; ARGV: now (epoch s), batch size.
# Returns {moved, earliest remaining due time or false}.
MOVE_DUE = """
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[2]))
for _, data in ipairs(due) do
  redis.call('XADD', KEYS[2], '*', 'data', data)
  redis.call('ZREM', KEYS[1], data)
end
local nxt = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
if nxt[2] then return {#due, nxt[2]} end
return {#due, false}
"""


def delay_of(labels: dict[str, Any]) -> float:
    """Seconds to hold a message back, from its `delay` label (0 when absent or invalid)."""
    try:
        return max(0.0, float(labels.get("delay") or 0))
    except (TypeError, ValueError):
        return 0.0


async def hold(conn: Redis, spec: QueueSpec, data: bytes, delay: float) -> None:
    """Park `data` in the queue's delayed set until `delay` seconds from now."""
    await conn.zadd(spec.delayed, {data: time.time() + delay})


async def release_due(conn: Redis, spec: QueueSpec) -> float | None:
    """Move due messages (up to `delayed_batch`) into the stream; return when the next one falls due."""
    script = conn.register_script(MOVE_DUE)
    _moved, earliest = await script(keys=[spec.delayed, spec.stream], args=[time.time(), spec.delayed_batch])
    return float(earliest) if earliest is not None else None
