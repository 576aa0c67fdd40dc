"""Benchmark publisher process: what a worker does, `Publisher.publish(user_id, event)`, at a fixed
rate or flat out; and the raw baseline, `PUBLISH` of a message of the same size and shape.

Every event is a `cover_letter.delta` whose text starts with `T<CLOCK_MONOTONIC ns>|` (the send time,
taken just before the call) and is padded so that the stored event body is `size` bytes.
"""

from __future__ import annotations

import asyncio
import itertools
import time
import uuid
from datetime import UTC, datetime
from typing import Any

import msgspec

from backend.platform import redis_client
from backend.platform.realtime import events
from backend.platform.realtime.publisher import Publisher
from backend.settings import RealtimeSettings
from ops.bench import _rpc

STATE: dict[str, Any] = {}
LETTER = uuid.UUID(int=0x0BE7C4)


def _event(t0: int, seq: int, pad: str) -> events.CoverLetterDelta:
    return events.CoverLetterDelta(
        data=events.CoverLetterDeltaData(cover_letter_id=LETTER, seq=seq, text=f"T{t0}|{pad}")
    )


def _body(event: events.Event) -> bytes:
    """The bytes the project's publisher stores and publishes for `event` (see publisher.py)."""
    stamped = msgspec.structs.replace(event, id="", ts=datetime.now(UTC).isoformat(timespec="milliseconds"))
    return events.encoder.encode(stamped)


def _pad_for(size: int) -> str:
    base = len(_body(_event(time.monotonic_ns(), 123456, "")))
    return "x" * max(0, size - base)


async def init(redis_url: str, user_ids: list[str], cluster: bool = False) -> dict[str, Any]:
    """Publish to `redis_url` (a node of a Redis Cluster when `cluster`: sharded pub/sub, tagged keys)."""
    redis_client.configure(type("Topology", (), {"cluster": cluster}))
    if (old := STATE.get("redis")) is not None:
        await old.aclose()
    redis = redis_client.connect(redis_url)
    STATE.update(redis=redis, publisher=Publisher(redis, RealtimeSettings()), users=user_ids)
    await redis.ping()
    return {"users": len(user_ids)}


async def _send(mode: str, target: str, seq: int, pad: str) -> None:
    t0 = time.monotonic_ns()
    event = _event(t0, seq, pad)
    if mode == "project":
        await STATE["publisher"].publish(target, event)
    else:  # raw: the same body, with a made-up event id in front as on the project's channel
        await STATE["redis"].publish(target, b"1700000000000-0 " + _body(event))


def _targets(stream: str, users: int) -> list[tuple[str, str]]:
    """(mode, target) of each user for a stream: "project", or "raw:<channel prefix>"."""
    if stream == "project":
        return [("project", user) for user in STATE["users"][:users]]
    prefix = stream.split(":", 1)[1]
    return [("raw", f"{prefix}{i}") for i in range(users)]


async def rate(
    streams: list[str], users: int, per_second: float, seconds: float, size: int, concurrency: int = 1
) -> dict[str, Any]:
    """Send `per_second` events per stream for `seconds`, round-robin over `users` targets, on schedule.

    Several streams are interleaved message by message (message i goes to stream i % len(streams)),
    evenly spaced, so that the machine's hiccups hit every stream alike.
    """
    table, pad = [_targets(stream, users) for stream in streams], _pad_for(size)
    count, total_rate = len(streams), per_second * len(streams)
    total = int(total_rate * seconds)
    late = 0
    start = time.monotonic() + 0.05

    async def lane(first: int) -> None:
        nonlocal late
        for i in range(first, total, concurrency):
            due = start + i / total_rate
            wait = due - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
            elif wait < -0.005:
                late += 1
            mode, target = table[i % count][(i // count) % users]
            await _send(mode, target, i, pad)

    await asyncio.gather(*(lane(c) for c in range(concurrency)))
    elapsed = time.monotonic() - start
    return {"sent": total // count, "seconds": elapsed, "late": late, "achieved_per_second": total / elapsed / count}


async def flat_out(users: int, seconds: float, size: int, concurrency: int) -> dict[str, Any]:
    """Publish as fast as `concurrency` concurrent publishers can for `seconds`."""
    targets, pad = [t for _, t in _targets("project", users)], _pad_for(size)
    counter = itertools.count()
    first = time.monotonic_ns()
    end = time.monotonic() + seconds
    sent = 0

    async def lane() -> None:
        nonlocal sent
        while time.monotonic() < end:
            i = next(counter)
            await _send("project", targets[i % len(targets)], i, pad)
            sent += 1

    await asyncio.gather(*(lane() for _ in range(concurrency)))
    last = time.monotonic_ns()
    return {"sent": sent, "first_send": first, "last_send": last, "per_second": sent / ((last - first) / 1e9)}


async def main() -> None:
    await _rpc.serve({"init": init, "rate": rate, "flat_out": flat_out})
