"""Bounds of the stream broker's Redis keys, kept by the reclaim round (under its lock, on a timer).

- The task stream: an acked entry is deleted with its ack (tasks.broker), so what stays is
  undelivered or pending work. `trim_stream` is the safety net for anything else (entries acked
  by an older version or by hand): XTRIM MINID ~ up to the oldest id a consumer group still needs,
  min over every group of its oldest pending id and its last-delivered id. An undelivered or
  pending entry is never removed (upstream's MAXLEN trim on send removed them, measured: 891 of
  1000 tasks lost). Without any group nothing is trimmed: nothing is known to be delivered.
  Growth is bounded at send time instead: `maxlen` caps unfinished entries (StreamFull).
- The dead-letter stream `<queue>:dead`: at most `dead_maxlen` records (approximately) and none
  older than `dead_max_age_seconds` (both in the QueueSpec). Every record dropped is logged and
  added to the `dead_letters_dropped` counter of `<queue>:stats`.
- Consumers: each worker process reads under a unique consumer name, so every restart leaves one
  behind in XINFO CONSUMERS. One with no pending entry, idle longer than `consumer_horizon_seconds`,
  is deleted (a live consumer reads every second, and one deleted anyway is recreated by its next
  read). The check and the delete run in one script, so a consumer that took a message meanwhile
  is never deleted with it (XGROUP DELCONSUMER drops its pending entries).
"""

from __future__ import annotations

import logging
import time
from typing import Any, cast

from redis.asyncio import Redis

from tasks.spec import QueueSpec

logger = logging.getLogger("tasks.broker")

# KEYS[1] stream; ARGV: group, idle horizon (ms), consumer to keep. The names of the deleted consumers.
DROP_IDLE_CONSUMERS = """
local dropped = {}
for _, c in ipairs(redis.call('XINFO', 'CONSUMERS', KEYS[1], ARGV[1])) do
  local info = {}
  for i = 1, #c, 2 do info[c[i]] = c[i + 1] end
  if info['name'] ~= ARGV[3] and tonumber(info['pending']) == 0 and tonumber(info['idle']) > tonumber(ARGV[2]) then
    redis.call('XGROUP', 'DELCONSUMER', KEYS[1], ARGV[1], info['name'])
    table.insert(dropped, info['name'])
  end
end
return dropped
"""


def _id(raw: bytes | str) -> tuple[int, int]:
    text = raw.decode() if isinstance(raw, bytes) else raw
    ms, _, seq = text.partition("-")
    return int(ms), int(seq or 0)


async def oldest_needed(conn: Redis, stream: str) -> tuple[int, int] | None:
    """The smallest id any consumer group may still need, or None when the stream has no group."""
    groups = cast(list[dict[str, Any]], await conn.xinfo_groups(stream))
    if not groups:
        return None
    needed: list[tuple[int, int]] = []
    for group in groups:
        needed.append(_id(group["last-delivered-id"]))
        if int(group["pending"]):
            summary = cast(dict[str, Any], await conn.xpending(stream, group["name"]))
            needed.append(_id(summary["min"]))
    return min(needed)


async def trim_stream(conn: Redis, stream: str) -> int:
    """Remove entries below the oldest one still needed (whole nodes only); how many went."""
    if (needed := await oldest_needed(conn, stream)) is None or needed == (0, 0):
        return 0
    return int(await conn.xtrim(stream, minid=f"{needed[0]}-{needed[1]}", approximate=True))


async def trim_dead_letters(conn: Redis, spec: QueueSpec) -> int:
    """Bound `<queue>:dead` by count and age; every drop is logged and counted."""
    oldest = int((time.time() - spec.dead_max_age_seconds) * 1000)
    dropped = int(await conn.xtrim(spec.dead, maxlen=spec.dead_maxlen, approximate=True))
    dropped += int(await conn.xtrim(spec.dead, minid=f"{oldest}-0", approximate=True))
    if dropped:
        await conn.hincrby(spec.stats, "dead_letters_dropped", dropped)
        logger.warning(
            "dropped %d dead-letter record(s) from %s (over %d records or older than %.0f s)",
            dropped,
            spec.dead,
            spec.dead_maxlen,
            spec.dead_max_age_seconds,
        )
    return dropped


async def drop_idle_consumers(conn: Redis, spec: QueueSpec, consumer: str) -> list[str]:
    """Delete consumers with nothing pending, idle past the horizon (never `consumer`); their names."""
    script = conn.register_script(DROP_IDLE_CONSUMERS)
    horizon_ms = int(spec.consumer_horizon_seconds * 1000)
    names = await script(keys=[spec.stream], args=[spec.group, horizon_ms, consumer])
    dropped = [n.decode() if isinstance(n, bytes) else str(n) for n in names or []]
    if dropped:
        logger.info("removed %d idle consumer(s) with no pending message: %s", len(dropped), ", ".join(dropped))
    return dropped


async def run(conn: Redis, spec: QueueSpec, consumer: str) -> None:
    """One upkeep round for `consumer`: trim the stream, bound the dead letters, drop dead consumers."""
    await trim_stream(conn, spec.stream)
    await trim_dead_letters(conn, spec)
    await drop_idle_consumers(conn, spec, consumer)
