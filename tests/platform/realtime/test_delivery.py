"""Fan-out across replicas, isolation, cold start, replay and sync.reset."""

import asyncio
import json
import uuid
from typing import Any

import pytest
import redis.asyncio as aioredis
import websockets

from backend.platform.realtime import channels, events
from backend.platform.realtime.publisher import Publisher
from backend.settings import RealtimeSettings, Settings
from tests.plugins.processes import Api, start_api, stop_api, wait_ready
from tests.plugins.realtime import (
    Reconnect,
    connect,
    drop_subscriber_connections,
    make_users,
    network_link,
    next_event,
    nothing_within,
    read_events,
    subscribers,
)
from tests.support import SessionServices


def delta(seq: int, text: str = "token") -> events.CoverLetterDelta:
    return events.CoverLetterDelta(data=events.CoverLetterDeltaData(uuid.UUID(int=1), seq, text))


async def test_an_event_reaches_every_socket_of_its_user_on_every_replica_and_no_one_else(
    apis: tuple[Api, Api], redis: aioredis.Redis, publisher: Publisher
) -> None:
    alice, bob = await make_users(2)
    a1, a2, b1 = (
        await connect(redis, apis[0], alice),
        await connect(redis, apis[1], alice),
        await connect(redis, apis[1], bob),
    )
    async with a1, a2, b1:
        event_id = await publisher.publish(alice, delta(0, "hello"))
        for ws in (a1, a2):
            message = await next_event(ws)
            assert message["id"] == event_id
            assert message["type"] == "cover_letter.delta"
            assert message["data"]["text"] == "hello"
            assert message["ts"].endswith("+00:00")
        assert await nothing_within(b1, 0.5)


async def test_ids_increase_per_user_and_order_is_kept(
    apis: tuple[Api, Api], redis: aioredis.Redis, publisher: Publisher
) -> None:
    (user,) = await make_users(1)
    async with await connect(redis, apis[0], user) as ws:
        sent = [await publisher.publish(user, delta(seq)) for seq in range(50)]
        got = [await next_event(ws) for _ in range(50)]
    assert [m["id"] for m in got] == sent
    assert [m["data"]["seq"] for m in got] == list(range(50))
    as_tuples = [tuple(map(int, m["id"].split("-"))) for m in got]
    assert as_tuples == sorted(as_tuples) and len(set(as_tuples)) == 50


async def test_a_socket_hears_every_event_published_after_its_handshake(
    services: SessionServices, db: None, redis: aioredis.Redis, publisher: Publisher
) -> None:
    """No last_event_id, so nothing is replayed: the api subscribes the user before it completes the
    handshake. A slow link (50 ms each way) between that api and Redis makes a late subscription
    certain to show (before the fix, events published right after connect were lost)."""
    users = await make_users(3)
    async with network_link(services.redis_url, delay=0.05) as slow:
        api = start_api(services, REDIS_URL=slow.url)
        try:
            await wait_ready(api)
            for user in users:
                async with await connect(redis, api, user) as ws:
                    channel = channels.user_channel(user)
                    assert await subscribers(redis, channel) == 1
                    sent = await publisher.publish(user, delta(0))
                    assert (await next_event(ws))["id"] == sent
        finally:
            await asyncio.to_thread(stop_api, api)


async def test_200_users_connecting_at_once_after_a_cold_start_all_hear_their_first_event(
    fresh_api: Api, redis: aioredis.Redis, publisher: Publisher
) -> None:
    users = await make_users(200)
    await wait_ready(fresh_api)
    sockets = await asyncio.gather(*(connect(redis, fresh_api, user) for user in users))
    try:
        ids = await asyncio.gather(*(publisher.publish(user, delta(index)) for index, user in enumerate(users)))
        received = await asyncio.gather(*(next_event(ws, 10) for ws in sockets))
        assert [m["id"] for m in received] == list(ids)
        assert [m["data"]["seq"] for m in received] == list(range(200))
    finally:
        await asyncio.gather(*(ws.close() for ws in sockets))


async def test_replay_after_a_disconnect_mid_burst_loses_and_duplicates_nothing(
    apis: tuple[Api, Api], redis: aioredis.Redis, publisher: Publisher
) -> None:
    (user,) = await make_users(1)
    burst = asyncio.Event()

    async def publish_burst() -> list[str]:
        ids = []
        for seq in range(1000):
            ids.append(await publisher.publish(user, delta(seq)))
            if seq == 200:
                burst.set()
        return ids

    def resume_on(api: Api, **kwargs: Any) -> Reconnect:
        return lambda after: connect(redis, api, user, last_event_id=after, **kwargs)

    first = await connect(redis, apis[0], user, close_timeout=1)  # it stops reading: no clean close
    producer = asyncio.create_task(publish_burst())
    await burst.wait()
    # A replica that cannot keep up closes with 4008 (likely on a loaded machine): the client replays.
    seen, first = await read_events(first, 150, resume_on(apis[0], close_timeout=1))
    await first.close()  # disconnect in the middle of the burst
    second = await connect(redis, apis[1], user, last_event_id=seen[-1]["id"])
    sent = await producer
    rest, second = await read_events(second, 1000 - len(seen), resume_on(apis[1]))
    async with second:
        assert await nothing_within(second, 0.3)
    seen += rest
    assert [m["id"] for m in seen] == sent
    assert [m["data"]["seq"] for m in seen] == list(range(1000))


async def test_a_gap_older_than_history_gets_sync_reset_then_live_events(
    apis: tuple[Api, Api], redis: aioredis.Redis, settings: Settings
) -> None:
    (user,) = await make_users(1)
    short = Publisher(redis, RealtimeSettings(history_max_events=10))
    first_id = await short.publish(user, delta(0))
    for seq in range(1, 400):  # approximate trimming keeps ~one radix node (100) or so
        await short.publish(user, delta(seq))
    assert await redis.xlen(channels.history_key(user)) < 400
    async with await connect(redis, apis[0], user, last_event_id=first_id) as ws:
        assert json.loads(await asyncio.wait_for(ws.recv(), 5)) == {"type": "sync.reset"}
        live = await short.publish(user, delta(400))
        assert (await next_event(ws))["id"] == live


async def test_a_last_event_id_newer_than_history_gets_sync_reset(
    apis: tuple[Api, Api], redis: aioredis.Redis, publisher: Publisher
) -> None:
    """History lost (e.g. Redis restarted without persistence): the client's id is from the future."""
    (user,) = await make_users(1)
    newest = await publisher.publish(user, delta(0))
    future = f"{int(newest.split('-')[0]) + 60_000}-0"
    async with await connect(redis, apis[0], user, last_event_id=future) as ws:
        assert json.loads(await asyncio.wait_for(ws.recv(), 5)) == {"type": "sync.reset"}
        live = await publisher.publish(user, delta(1))
        assert (await next_event(ws))["id"] == live


async def test_a_reconnect_within_history_gets_no_reset_and_nothing_twice(
    apis: tuple[Api, Api], redis: aioredis.Redis, publisher: Publisher
) -> None:
    (user,) = await make_users(1)
    ids = [await publisher.publish(user, delta(seq)) for seq in range(5)]
    async with await connect(redis, apis[0], user, last_event_id=ids[-1]) as ws:
        assert await nothing_within(ws, 0.5)
    async with await connect(redis, apis[0], user, last_event_id=ids[1]) as ws:
        assert [(await next_event(ws))["id"] for _ in range(3)] == ids[2:]


async def test_client_ping_gets_pong_and_idle_sockets_get_server_pings(
    apis: tuple[Api, Api], redis: aioredis.Redis
) -> None:
    (user,) = await make_users(1)
    async with await connect(redis, apis[0], user) as ws:
        await ws.send('{"type": "ping"}')
        frames = [json.loads(await asyncio.wait_for(ws.recv(), 3)) for _ in range(2)]
        assert {"type": "pong"} in frames
        await ws.send("not json at all")  # ignored, not fatal
        assert json.loads(await asyncio.wait_for(ws.recv(), 3)) in ({"type": "ping"}, {"type": "pong"})


async def test_history_is_bounded_and_expires(redis: aioredis.Redis, settings: Settings) -> None:
    (user,) = await make_users(1)
    publisher = Publisher(redis, RealtimeSettings(history_max_events=100, history_ttl_seconds=60))
    for seq in range(1000):
        await publisher.publish(user, delta(seq))
    assert await redis.xlen(channels.history_key(user)) <= 300
    assert 0 < await redis.pttl(channels.history_key(user)) <= 60_000


async def test_unknown_ws_paths_get_no_socket(apis: tuple[Api, Api]) -> None:
    with pytest.raises(websockets.InvalidStatus) as caught:
        await websockets.connect(apis[0].url.replace("http", "ws") + "/api/v1/nowhere", open_timeout=5)
    assert caught.value.response.status_code in (403, 404)


async def test_a_socket_misses_nothing_published_while_its_api_briefly_lost_redis(
    services: SessionServices, db: None, redis: aioredis.Redis, publisher: Publisher
) -> None:
    """The api's link to Redis drops for 0.3 s while an event is published (on a cluster: every
    shard closes the api's subscriber connections): the client, following the protocol (on 1012
    reconnect with its last_event_id), still gets that event."""
    (user,) = await make_users(1)
    async with network_link(services.redis_url) as link:
        api = start_api(services, REDIS_URL=link.url)
        try:
            await wait_ready(api)
            async with await connect(redis, api, user) as ws:
                last = await publisher.publish(user, delta(0))
                assert (await next_event(ws))["id"] == last
                await drop_subscriber_connections(redis, link)
                missed = await publisher.publish(user, delta(1))  # the test's own client is not cut
                await asyncio.sleep(0.3)
                link.restore()
                with pytest.raises(websockets.ConnectionClosed) as closed:
                    await next_event(ws, 10)  # the api cannot know whether it missed something
                assert closed.value.rcvd is not None and closed.value.rcvd.code == 1012
            await wait_ready(api)
            async with await connect(redis, api, user, last_event_id=last) as ws:
                assert (await next_event(ws))["id"] == missed
        finally:
            await asyncio.to_thread(stop_api, api)
