"""The outbox relay: pending rows reach the broker and are marked sent in the
same transaction; a Redis outage leaves them pending with the error recorded, and a real worker
sends and parses them once Redis is back."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any, cast

import asyncpg
import pytest_asyncio
import redis.asyncio as aioredis
from taskiq import AsyncBroker

from backend.devtools.embedded_services import free_port
from backend.features.maintenance import jobs as maintenance
from backend.features.resumes import jobs as resumes
from backend.platform import redis_client
from backend.platform.db.tables import TaskOutbox
from backend.platform.jobs.runtime import build_broker
from backend.platform.storage import ObjectStore
from backend.settings import Settings
from tasks import outbox
from tasks.outbox_relay import BrokerUnavailable, OutboxRelay
from tests import support
from tests.plugins.own_redis import OwnRedis
from tests.plugins.processes import WORKER_ARGS, Spawn
from tests.plugins.realtime import history
from tests.plugins.resumes import GOOD_PDF, outbox_rows, settled, upload, wait_settled
from tests.plugins.tasks import queue_spec
from tests.support import eventually, settings_env


async def _queued(redis: aioredis.Redis, settings: Settings) -> list[dict[str, Any]]:
    """The task messages in the stream, oldest first."""
    entries = cast(list[tuple[bytes, dict[bytes, bytes]]], await redis.xrange(queue_spec(settings).stream))
    return [json.loads(fields[b"data"]) for _id, fields in entries]


async def _row(row_id: uuid.UUID) -> dict[str, Any]:
    row = await TaskOutbox.select().where(TaskOutbox.id == row_id).first()
    assert row is not None
    return row


@pytest_asyncio.fixture
async def dead_broker(services: support.SessionServices) -> AsyncIterator[AsyncBroker]:
    """A client broker whose Redis is not there (nothing listens on its port)."""
    broker = build_broker(Settings.from_env(settings_env(services, REDIS_URL=f"redis://127.0.0.1:{free_port()}/0")))
    await broker.startup()
    yield broker
    await broker.shutdown()


async def test_pending_rows_are_sent_oldest_first_with_their_labels_and_marked_sent(
    db: None, settings: Settings, sender: AsyncBroker, redis: aioredis.Redis
) -> None:
    version_ids = [str(uuid.uuid4()) for _ in range(3)]
    for version_id in version_ids:
        await outbox.enqueue(resumes.PARSE_VERSION, version_id=version_id)
    await outbox.enqueue(maintenance.PURGE_EXPIRED)
    relay = OutboxRelay(sender, batch=3)

    assert await relay.relay_once() == 3  # one batch
    assert await relay.relay_once() == 1
    assert await relay.relay_once() == 0

    messages = await _queued(redis, settings)
    assert [(m["task_name"], m["kwargs"]) for m in messages] == [
        *((resumes.PARSE_VERSION, {"version_id": v}) for v in version_ids),
        (maintenance.PURGE_EXPIRED, {}),
    ]
    assert "schedule" in messages[-1]["labels"]  # the task's own labels travel, as with task.kiq()
    rows = await outbox_rows()
    assert all(r["sent_at"] is not None and r["attempts"] == 1 and r["last_error"] is None for r in rows)


async def test_rows_locked_by_another_relay_are_skipped(
    db: None, services: support.SessionServices, settings: Settings, sender: AsyncBroker, redis: aioredis.Redis
) -> None:
    await outbox.enqueue(resumes.PARSE_VERSION, version_id="first")
    await outbox.enqueue(resumes.PARSE_VERSION, version_id="second")
    first, second = (r["id"] for r in await outbox_rows())
    other = await asyncpg.connect(services.database_url)
    try:
        async with other.transaction():
            await other.execute("SELECT 1 FROM task_outbox WHERE id = $1 FOR UPDATE", first)
            assert await OutboxRelay(sender).relay_once() == 1  # not waiting for the locked row
    finally:
        await other.close()
    assert (await _row(first))["sent_at"] is None and (await _row(second))["sent_at"] is not None
    assert await OutboxRelay(sender).relay_once() == 1


async def test_a_broker_outage_keeps_rows_pending_records_the_error_and_backs_off(
    db: None, dead_broker: AsyncBroker
) -> None:
    await outbox.enqueue(resumes.PARSE_VERSION, version_id="a")
    await outbox.enqueue(resumes.PARSE_VERSION, version_id="b")
    head, tail = (r["id"] for r in await outbox_rows())
    relay = OutboxRelay(dead_broker, interval=0.1, send_timeout=2.0, max_backoff=0.8)

    try:
        await relay.relay_once()
        raise AssertionError("a send to a dead Redis must fail")
    except BrokerUnavailable:
        pass
    row = await _row(head)
    assert row["sent_at"] is None and row["attempts"] == 1
    # refused, or slow (on a cluster: no node answers)
    assert row["last_error"].startswith(("ConnectionError", "TimeoutError", "RedisClusterException")), row["last_error"]
    assert (await _row(tail))["attempts"] == 0  # the batch stopped at the outage

    relay.start()  # the loop: no crash, no busy loop
    await asyncio.sleep(3)
    started = time.monotonic()
    await relay.stop()
    assert time.monotonic() - started < 4
    attempts = (await _row(head))["attempts"]
    assert 2 <= attempts <= 8, attempts  # backoff up to 0.8 s, plus the client's own retries (none on a cluster)
    assert (await _row(head))["sent_at"] is None


async def test_a_row_that_cannot_be_sent_is_recorded_and_does_not_block_the_others(
    db: None, settings: Settings, sender: AsyncBroker, redis: aioredis.Redis
) -> None:
    bad = TaskOutbox(task_name=resumes.PARSE_VERSION, kwargs=["not", "keyword", "arguments"])
    await bad.save()
    await outbox.enqueue(resumes.PARSE_VERSION, version_id="good")

    assert await OutboxRelay(sender).relay_once() == 1
    row = await _row(bad.id)
    assert row["sent_at"] is None and row["attempts"] == 1 and "TypeError" in row["last_error"]
    assert [m["kwargs"] for m in await _queued(redis, settings)] == [{"version_id": "good"}]


async def test_a_job_written_while_redis_is_down_is_sent_and_parsed_once_redis_returns(
    services: support.SessionServices, settings: Settings, store: ObjectStore, spawn: Spawn, tmp_path: Path
) -> None:
    server = OwnRedis(tmp_path / "redis")
    server.start()
    own = redis_client.connect(server.url)  # retries: its connection dies with the server
    try:
        worker = spawn("backend.entrypoints.worker", settings_env(services, REDIS_URL=server.url), *WORKER_ARGS)
        queue, group = queue_spec(settings).stream, settings.worker.consumer_group
        await eventually(lambda: _has_group(own, queue, group), 30, "the worker to listen")

        server.stop()  # its data goes too: the stream and the consumer group are recreated
        up = await upload(store, GOOD_PDF.read_bytes())  # the api's transaction needs Postgres only
        await eventually(lambda: _failed_to_send(), 30, "the relay to try and record the outage")
        await asyncio.sleep(1)
        [row] = await outbox_rows()
        assert row["sent_at"] is None and (await settled(up.version_id)) is None
        assert worker.alive

        server.start()
        parsed = await wait_settled(up.version_id)
        assert parsed["status"] == "parsed" and parsed["attempts"] == 1
        [row] = await outbox_rows()
        assert row["sent_at"] is not None and row["attempts"] >= 2 and row["last_error"]
        events = await eventually(lambda: _parsed_event(own, up.user_id), 10, "resume.parsed")
        assert events
        assert worker.alive
    finally:
        await own.aclose()
        server.stop()


async def _has_group(redis: aioredis.Redis, queue: str, group: str) -> bool:
    try:
        return any(g["name"].decode() == group for g in await redis.xinfo_groups(queue))
    except aioredis.ResponseError:
        return False  # no stream yet


async def _failed_to_send() -> bool:
    rows = await outbox_rows()
    return bool(rows and rows[0]["last_error"])


async def _parsed_event(redis: aioredis.Redis, user_id: uuid.UUID) -> bool:
    return "resume.parsed" in [e["type"] for e in await history(redis, user_id)]
