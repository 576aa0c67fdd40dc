"""The broker's reclaim round on real Redis, driven in-process: it never claims what this consumer
runs, trims only what no group needs, bounds the dead letters visibly, removes dead consumers, and
a message taskiq's receiver raises on is buried instead of left pending."""

from __future__ import annotations

import contextlib
import json
import logging
from collections.abc import AsyncIterator
from typing import Any, cast

import msgspec
import pytest
import pytest_asyncio
import redis.asyncio as aioredis

from backend.platform.jobs.runtime import build_broker
from backend.settings import Settings
from tasks import messages as msgs
from tasks.broker import HardenedStreamBroker
from tasks.receiver import BuryingReceiver
from tasks.spec import QueueSpec
from tests import support
from tests.support import eventually, settings_env
from tests.workers import probe_tasks


def _settings(services: support.SessionServices) -> Settings:
    return Settings.from_env(settings_env(services, TASK_IDLE_RECLAIM_MS="1500"))


@pytest_asyncio.fixture
async def broker(services: support.SessionServices) -> AsyncIterator[HardenedStreamBroker]:
    made = build_broker(_settings(services))
    assert isinstance(made, HardenedStreamBroker)
    await made.startup()  # declares the group; not a worker process, so no keeper loop runs
    yield made
    await made.shutdown()


@contextlib.asynccontextmanager
async def _broker_with(services: support.SessionServices, **spec: Any) -> AsyncIterator[HardenedStreamBroker]:
    """A started broker of the test queue whose spec differs in `spec` (e.g. a smaller bound)."""
    settings = _settings(services)
    made = HardenedStreamBroker(
        settings.redis.url, msgspec.structs.replace(QueueSpec.from_settings(settings.worker), **spec)
    )
    await made.startup()
    try:
        yield made
    finally:
        await made.shutdown()


async def _round(broker: HardenedStreamBroker) -> list[msgs.Entry]:
    """One reclaim round now (not after `reclaim_every`)."""
    broker.reclaimer._last = float("-inf")
    async with broker._connect() as conn:
        return await broker.reclaimer.maybe_reclaim(conn)


async def _take(broker: HardenedStreamBroker) -> list[msgs.Entry]:
    """Read as this worker does (the keeper now counts the entries in flight)."""
    async with broker._connect() as conn:
        return await broker._next_entries(conn, broker.parts[0])


async def test_the_reclaimer_never_claims_a_message_this_consumer_is_running(
    broker: HardenedStreamBroker, redis: aioredis.Redis
) -> None:
    queue, group = broker.spec.stream, broker.spec.group
    await probe_tasks.mark.kicker().with_broker(broker).kiq("running-here")
    [(mine, _fields)] = await _take(broker)
    # Its task blocked the loop past the idle timeout, so the keeper could not renew it.
    await redis.xclaim(queue, group, broker.consumer_name, 0, [mine], idle=60_000, justid=True)
    await probe_tasks.mark.kicker().with_broker(broker).kiq("orphaned")
    read = cast(list[Any], await redis.xreadgroup(group, "dead-consumer", {queue: ">"}, count=1))
    orphan = cast(bytes, read[0][1][0][0])
    await redis.xclaim(queue, group, "dead-consumer", 0, [orphan], idle=60_000, justid=True)

    claimed = await _round(broker)

    assert [msg_id for msg_id, _ in claimed] == [orphan]  # a dead consumer's message is taken
    [entry] = cast(list[dict[str, Any]], await redis.xpending_range(queue, group, mine, mine, 1))
    assert entry["times_delivered"] == 1  # not delivered to this worker a second time
    assert mine in broker.keeper.in_flight


async def test_entries_no_group_needs_are_trimmed_and_every_needed_one_is_kept(
    broker: HardenedStreamBroker, redis: aioredis.Redis
) -> None:
    queue, group = broker.spec.stream, broker.spec.group
    ids = [await redis.xadd(queue, {"data": b"x"}) for _ in range(300)]
    await redis.xreadgroup(group, "reader", {queue: ">"}, count=250)
    await redis.xack(queue, group, *ids[:240])  # acked without being deleted (older code, or by hand)

    await _round(broker)

    left = [msg_id for msg_id, _ in cast(list[msgs.Entry], await redis.xrange(queue))]
    assert set(ids[240:]) <= set(left)  # 10 pending + 50 undelivered, all kept
    assert len(left) <= 60 + 100  # whole nodes of acked entries went (approximate trim)


async def test_no_entry_is_trimmed_while_no_group_has_read_anything(
    broker: HardenedStreamBroker, redis: aioredis.Redis
) -> None:
    for _ in range(300):
        await redis.xadd(broker.spec.stream, {"data": b"x"})
    await _round(broker)
    assert await redis.xlen(broker.spec.stream) == 300


async def test_the_dead_letter_stream_is_bounded_by_count_and_age_and_every_drop_is_counted(
    services: support.SessionServices, redis: aioredis.Redis, caplog: pytest.LogCaptureFixture
) -> None:
    async with _broker_with(services, dead_maxlen=100) as broker:
        dead = broker.spec.dead
        for i in range(150):  # two weeks and more old (ids are milliseconds since the epoch)
            await redis.xadd(dead, {"reason": "failed"}, id=f"1000-{i + 1}")
        for _ in range(300):
            await broker.dead_letter(msgs.Verdict(msgs.FAILED, "probe"), data=b"x")

        with caplog.at_level(logging.WARNING, logger="tasks.broker"):
            await _round(broker)

    left = cast(list[msgs.Entry], await redis.xrange(dead))
    assert 100 <= len(left) < 200
    assert all(not msg_id.startswith(b"1000-") for msg_id, _ in left)  # the old ones are gone
    assert int(await redis.hget(broker.spec.stats, "dead_letters_dropped") or 0) == 450 - len(left)
    assert f"dropped {450 - len(left)} dead-letter record(s)" in caplog.text


async def test_consumers_idle_past_the_horizon_with_nothing_pending_are_removed(
    services: support.SessionServices, redis: aioredis.Redis
) -> None:
    async with _broker_with(services, consumer_horizon_seconds=0.5) as broker:
        queue, group = broker.spec.stream, broker.spec.group
        await probe_tasks.mark.kicker().with_broker(broker).kiq("held")
        await redis.xreadgroup(group, "crashed-with-a-message", {queue: ">"}, count=1)
        await redis.xgroup_createconsumer(queue, group, "exited-cleanly")

        async def names() -> set[bytes] | None:
            await _round(broker)
            found = {c["name"] for c in await redis.xinfo_consumers(queue, group)}
            return found if b"exited-cleanly" not in found else None

        remaining = await eventually(names, 10, "the idle consumer to be removed")
    assert remaining == {b"crashed-with-a-message"}  # its pending message would be lost with it


async def test_a_message_the_receiver_raises_on_is_buried_and_forgotten_by_the_keeper(
    broker: HardenedStreamBroker, redis: aioredis.Redis
) -> None:
    queue, group = broker.spec.stream, broker.spec.group
    labels = {"ack_type": "bogus"}  # taskiq 0.13 raises ValueError outside its try block
    data = json.dumps({"task_id": "t-bogus", "task_name": "probe.mark", "labels": labels, "args": ["k"], "kwargs": {}})
    await redis.xadd(queue, {"data": data})
    [(msg_id, _fields)] = await _take(broker)
    broker.keeper.running("t-bogus", msg_id)
    message = broker.stream_message(msg_id, data.encode(), "t-bogus")

    await BuryingReceiver(broker, run_startup=False).callback(message)

    assert (await redis.xpending(queue, group))["pending"] == 0
    assert await redis.xlen(queue) == 0
    [(_id, record)] = cast(list[msgs.Entry], await redis.xrange(broker.spec.dead))
    assert record is not None
    assert (record[b"reason"], record[b"task_name"]) == (b"receiver_error", b"probe.mark")
    assert record[b"task_id"] == b"t-bogus"
    assert b"ack_type" in record[b"detail"] and record[b"source_id"] == msg_id
    assert broker.keeper.in_flight == {} and broker.keeper.stream_ids == {}
