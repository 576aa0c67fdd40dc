"""`python -m backend.entrypoints.dead_letters list|replay|drop`: read and act on the dead-letter stream.

A task that will not run again (retries exhausted, a failure marked final, an unknown task, a message
that cannot be parsed or that taskiq's receiver raised on) leaves a record in `<TASK_QUEUE>:dead`
with the reason and the raw message. The `career_copilot_task_dead_letters` alert points here.

    python -m backend.entrypoints.dead_letters list [--limit N]   newest first: id, time, reason, task, attempts, detail
    python -m backend.entrypoints.dead_letters replay ID...       send the message again (with a fresh retry
                                                    budget), then delete its record
    python -m backend.entrypoints.dead_letters drop ID...         delete records

With several task-stream partitions (TASK_STREAM_PARTITIONS, a Redis Cluster) each has its dead
letters; `list` merges them newest first and names each record `<partition>/<id>`, the name `replay`
and `drop` take. With one partition the name is the entry id.

Replaying is safe because every task is idempotent. A record without a message, or whose
message cannot be parsed, cannot be replayed (exit 1, the record kept). A send refused because the
task stream is full (TASK_STREAM_MAXLEN) keeps the record too. Configuration: REDIS_URL, TASK_QUEUE.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import cast

from redis.asyncio import Redis
from taskiq import AsyncBroker

from backend.platform import redis_client
from backend.platform.jobs.runtime import build_broker
from backend.settings import Settings, SettingsError
from tasks.spec import QueueSpec

FRESH_BUDGET = ("_retries", "delay")  # labels the retry middleware counts with: a replay starts over


def _text(fields: dict[bytes, bytes], name: str) -> str:
    return fields.get(name.encode(), b"").decode(errors="replace")


def _line(entry_id: bytes, fields: dict[bytes, bytes]) -> str:
    millis = int(_text(fields, "dead_at_ms") or 0)
    when = datetime.fromtimestamp(millis / 1000, UTC).strftime("%Y-%m-%d %H:%M:%S") if millis else "?"
    task = _text(fields, "task_name") or "?"
    return "  ".join(
        [entry_id.decode(), when, _text(fields, "reason"), task, f"attempts={_text(fields, 'attempts') or 0}",
         _text(fields, "detail")]
    )  # fmt: skip


Entries = list[tuple[bytes, dict[bytes, bytes]]]


def _name(part: QueueSpec, entry_id: bytes, partitioned: bool) -> bytes:
    return f"{part.index}/".encode() + entry_id if partitioned else entry_id


def locate(queue: QueueSpec, name: str) -> tuple[QueueSpec, str]:
    """The partition and entry id a record's name (`<partition>/<id>`, or `<id>`) stands for."""
    parts = queue.parts()
    index, _, entry_id = name.rpartition("/")
    if not index:
        return parts[0], entry_id
    if not index.isdigit() or int(index) >= len(parts):
        raise ValueError(f"{name}: no partition {index!r} (the queue has {len(parts)})")
    return parts[int(index)], entry_id


async def list_records(redis: Redis, queue: QueueSpec, limit: int) -> list[str]:
    """The newest `limit` dead letters of every partition, newest first."""
    parts = queue.parts()
    found: list[tuple[tuple[int, int], str]] = []
    for part in parts:
        entries = cast(Entries, await redis.xrevrange(part.dead, count=limit))
        for entry_id, fields in entries:
            millis, _, seq = entry_id.decode().partition("-")
            found.append(((int(millis), int(seq or 0)), _line(_name(part, entry_id, len(parts) > 1), fields)))
    found.sort(key=lambda item: item[0], reverse=True)
    return [line for _, line in found[:limit]]


async def drop(redis: Redis, queue: QueueSpec, names: Sequence[str]) -> int:
    """Delete the named records; how many there were."""
    removed = 0
    for name in names:
        part, entry_id = locate(queue, name)
        removed += int(await redis.xdel(part.dead, entry_id))
    return removed


async def replay(broker: AsyncBroker, queue: QueueSpec, redis: Redis, name: str) -> str | None:
    """Send one dead letter's message again and delete its record; None, or why it could not."""
    try:
        spec, entry_id = locate(queue, name)
    except ValueError as exc:
        return str(exc)
    entries = cast(Entries, await redis.xrange(spec.dead, min=entry_id, max=entry_id))
    if not entries:
        return f"{name}: no such record"
    data = entries[0][1].get(b"data")
    if not data:
        return f"{name}: the record holds no message"
    try:
        message = broker.formatter.loads(data)
    except Exception as exc:  # whatever the formatter raises on bytes it cannot read
        return f"{name}: the message cannot be parsed ({type(exc).__name__})"
    for label in FRESH_BUDGET:
        message.labels.pop(label, None)
    try:
        await broker.kick(broker.formatter.dumps(message))
    except Exception as exc:  # StreamFull, Redis gone: the record stays for a later replay
        return f"{name}: not sent ({type(exc).__name__}: {exc})"
    await redis.xdel(spec.dead, entry_id)
    return None


async def _main(args: argparse.Namespace, settings: Settings) -> int:
    spec = QueueSpec.from_settings(settings.worker)
    broker = build_broker(settings)
    redis = redis_client.connect(settings.redis.url, 2)
    try:
        if args.command == "list":
            print("\n".join(await list_records(redis, spec, args.limit)) or "no dead letters")
            return 0
        if args.command == "drop":
            try:
                removed = await drop(redis, spec, args.ids)
            except ValueError as exc:
                print(exc, file=sys.stderr)
                return 1
            print(f"dropped {removed} of {len(args.ids)} record(s)")
            return 0 if removed == len(args.ids) else 1
        failures = [why for entry_id in args.ids if (why := await replay(broker, spec, redis, entry_id)) is not None]
        for why in failures:
            print(why, file=sys.stderr)
        print(f"replayed {len(args.ids) - len(failures)} of {len(args.ids)} record(s)")
        return 1 if failures else 0
    finally:
        await redis.aclose()
        await broker.shutdown()  # closes the stream broker's pool


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m backend.entrypoints.dead_letters", description=__doc__.splitlines()[0]
    )
    commands = parser.add_subparsers(dest="command", required=True)
    listing = commands.add_parser("list", help="newest first")
    listing.add_argument("--limit", type=int, default=20)
    commands.add_parser("replay", help="send again, then delete the record").add_argument("ids", nargs="+")
    commands.add_parser("drop", help="delete records").add_argument("ids", nargs="+")
    args = parser.parse_args(argv)
    try:
        settings = Settings.from_env()
        redis_client.configure(settings.redis)
    except SettingsError as exc:
        print(f"backend.entrypoints.dead_letters: {exc}", file=sys.stderr)
        return 2
    return asyncio.run(_main(args, settings))


if __name__ == "__main__":
    sys.exit(main())
