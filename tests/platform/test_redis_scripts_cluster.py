"""Every Lua script and multi-key step outside the realtime hub and the task queue, run on real Redis
with the keys the code builds: on one Redis this proves what they do, with `TEST_REDIS_CLUSTER=3`
also that each touches one slot (a script over keys of two slots, or reading a key of another slot,
is refused by the cluster: `CROSSSLOT`, "non local key").

Scripts are run directly where the code would swallow an error (the cache and the ledger are best
effort), so a refused script fails the test instead of reading as a miss.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import cast

import pytest
import pytest_asyncio
import redis.asyncio as aioredis
from litestar.datastructures import State
from redis.crc import key_slot

from backend import errors
from backend.engines.llm import Usage
from backend.features.accounts import erasure, session_memo, throttle
from backend.features.ai import quota
from backend.features.applications.service import cache_namespace, one_cache_key
from backend.platform import ratelimit, redis_client
from backend.platform.cache import Cache, Guard
from backend.platform.db.replicas import Ledger
from backend.platform.http import health
from backend.settings import Settings


def _slots(*keys: str) -> set[int]:
    return {key_slot(key.encode()) for key in keys}


def _one_slot_on_a_cluster(*keys: str) -> None:
    """On a cluster the keys share a slot (and carry the same hash tag); on one Redis they keep the
    names they always had (no braces)."""
    if redis_client.is_cluster():
        assert len(_slots(*keys)) == 1, keys
    else:
        assert not any("{" in key for key in keys), keys


@pytest_asyncio.fixture
async def cache(settings: Settings) -> AsyncIterator[Cache]:
    client = redis_client.connect_cache(settings.redis.url)
    made = Cache(client, ttl_seconds=60)
    yield made
    await made.aclose()
    await client.aclose()


# --- the cache: a lookup, and the session stamp with a lookup in one script ------------------------------


async def test_a_lookup_reads_the_version_and_the_entry_it_names(cache: Cache) -> None:
    user = uuid.uuid4()
    namespace, suffix = cache_namespace(user), one_cache_key(uuid.uuid4())
    _one_slot_on_a_cluster(f"cv:{namespace}", Cache.key(namespace, 0, suffix), Cache.key(namespace, 7, suffix))
    direct = await cache._lookup(keys=[f"cv:{namespace}"], args=[f"{namespace}:", f":{suffix}"])
    assert direct == [b"0", None]
    await cache.bump(namespace)
    await cache.set(Cache.key(namespace, 1, suffix), b"answer")
    hit = await cache.lookup(namespace, suffix)
    assert (hit.version, hit.entry) == (1, b"answer")


async def test_a_guarded_lookup_reads_the_stamp_and_the_entry_in_one_script(cache: Cache) -> None:
    user = uuid.uuid4()
    namespace, suffix = cache_namespace(user), one_cache_key(uuid.uuid4())
    stamp = session_memo.stamp_key(user)
    _one_slot_on_a_cluster(stamp, f"cv:{namespace}", Cache.key(namespace, 3, suffix))
    keys = [stamp, f"cv:{namespace}"]
    args: list[str | int] = ["first", 60, f"{namespace}:", f":{suffix}"]
    assert await cache._guarded_lookup(keys=keys, args=args) == [b"first", b"0", None]  # the missing stamp is set
    await cache.bump(namespace)
    await cache.set(Cache.key(namespace, 1, suffix), b"answer")
    value, hit = await cache.guarded_lookup(Guard(stamp, "second", 60), (namespace, suffix))
    assert value == b"first"  # it stood: the value for a missing one is not written over it
    assert hit is not None and (hit.version, hit.entry) == (1, b"answer")
    value, hit = await cache.guarded_lookup(Guard(stamp, "third", 60), None)
    assert (value, hit) == (b"first", None)


# --- the session stamp: a change's marker, settled after it; a refresh after an edit ---------------------


async def test_a_change_settles_its_marker_and_an_edit_refreshes_the_stamp(redis: aioredis.Redis) -> None:
    user = uuid.uuid4()
    key = session_memo.stamp_key(user)
    _one_slot_on_a_cluster(key, f"cv:{cache_namespace(user)}")
    await redis.set(key, "before")
    async with session_memo.AuthChanges(redis) as changes:
        await changes.add(user)
        marker = cast(bytes | None, await redis.get(key))
        assert marker is not None and marker.startswith(session_memo.CHANGING)
    settled = cast(bytes | None, await redis.get(key))
    assert settled is not None and settled not in (b"before", marker) and not settled.startswith(session_memo.CHANGING)
    await session_memo.row_changed(redis, user)
    refreshed = await redis.get(key)
    assert refreshed not in (None, settled)
    await redis.set(key, session_memo.CHANGING + b"someone else's change")
    await session_memo.row_changed(redis, user)  # a change under way keeps its marker
    assert await redis.get(key) == session_memo.CHANGING + b"someone else's change"


# --- rate windows: one subject in one script, several subjects per slot with the count given back ---------


async def test_the_ai_windows_of_a_user_are_taken_in_one_script(redis: aioredis.Redis, settings: Settings) -> None:
    user = uuid.uuid4()
    minute = ratelimit.Window(quota.rate_key(user, "m"), 2, 60)
    day = ratelimit.Window(quota.rate_key(user, "d"), 3, 86400)
    _one_slot_on_a_cluster(minute.key, day.key)
    assert [await ratelimit._take(redis, [minute, day]) for _ in range(3)][:2] == [0, 0]  # one script, both keys
    assert [int(await redis.get(w.key) or 0) for w in (minute, day)] == [2, 2]
    await redis.delete(minute.key)
    await quota.admit(redis, settings.ai, user)  # what the services call
    assert [int(await redis.get(w.key) or 0) for w in (minute, day)] == [1, 3]


async def test_login_windows_count_in_every_subject_or_in_none(redis: aioredis.Redis, settings: Settings) -> None:
    """The account's windows share a slot (one script); the client's window is another subject: when
    it refuses, the account's windows are left as they were (given back on a cluster)."""
    auth = settings.auth
    email, client = f"{uuid.uuid4()}@example.com", "203.0.113.7"
    attempt = await throttle.admit(redis, auth, email, client)
    account_keys = [attempt.pair.key, *attempt.refundable[1:]]
    ip_key = attempt.refundable[0]
    assert ip_key == f"rl:login:ip:{client}" and len(account_keys) == 2
    _one_slot_on_a_cluster(*account_keys, throttle._generation_key(email), throttle._known_key(email))
    assert [int(await redis.get(key) or 0) for key in (*account_keys, ip_key)] == [1, 1, 1]

    await redis.set(ip_key, auth.login_max_failures_per_ip, ex=30)  # the client's budget is spent
    with pytest.raises(errors.TooManyRequests) as refused:
        await throttle.admit(redis, auth, email, client)
    assert 1 <= refused.value.retry_after <= 30
    assert [int(await redis.get(key) or 0) for key in account_keys] == [1, 1]  # not counted
    await redis.delete(ip_key)

    await throttle.give_back(redis, attempt)  # a refund over both subjects
    assert [int(await redis.get(key) or 0) for key in account_keys] == [0, 0]
    again = await throttle.admit(redis, auth, email, client)
    await throttle.succeeded(redis, auth, again)  # reset + refund + the client becomes known
    assert await redis.get(again.pair.key) is None
    assert await redis.sismember(throttle._known_key(email), throttle.digest(client))
    known = await throttle.admit(redis, auth, email, client)
    assert known.known and len(known.refundable) == 1  # a known client skips the account's shared window
    await throttle.clear(redis, email)
    assert throttle.failures_prefix(email, 1) in (await throttle.admit(redis, auth, email, client)).pair.key


async def test_windows_of_several_subjects_report_the_longest_wait(redis: aioredis.Redis) -> None:
    tag = redis_client.tag
    windows = [ratelimit.Window(f"rl:test:{tag(uuid.uuid4())}:{n}", 1, 60 * (n + 1)) for n in range(4)]
    assert await ratelimit.take(redis, windows) == 0
    assert await ratelimit.take(redis, windows) == 240  # every window is full: the last one resets last
    assert [int(await redis.get(w.key) or 0) for w in windows] == [1, 1, 1, 1]
    await ratelimit.refund(redis, [w.key for w in windows])
    assert [int(await redis.get(w.key) or 0) for w in windows] == [0, 0, 0, 0]
    await ratelimit.reset(redis, [w.key for w in windows])
    assert await redis.exists(*(w.key for w in windows)) == 0


# --- the day's AI spend, and the replicas' write-position ledger ------------------------------------------


async def test_the_spend_counter_grows_only_once_seeded(redis: aioredis.Redis) -> None:
    day = (
        datetime(2099, 1, 1, 12, tzinfo=UTC) if not redis_client.is_cluster() else datetime(2099, 1, 2, 12, tzinfo=UTC)
    )
    key = quota.spend_key(day)
    await redis.delete(key)
    assert await redis.register_script(quota._ADD)(keys=[key], args=[5]) is None  # not seeded: left to the reader
    await redis.set(key, 100)
    await quota.count_spend(redis, "openai", Usage(prompt_tokens=7, completion_tokens=3), day)
    assert await redis.register_script(quota._ADD)(keys=[key], args=[5]) == 115
    await redis.delete(key)


async def test_the_ledger_keeps_the_highest_write_position(redis: aioredis.Redis) -> None:
    ledger = Ledger(redis, redis, ttl_ms=60_000)
    user = uuid.uuid4()
    _one_slot_on_a_cluster(Ledger.key(user), session_memo.stamp_key(user))
    assert await ledger._record(keys=[Ledger.key(user)], args=[10, 60_000]) == 1
    await ledger.record(user, 5)  # an earlier commit reported late never lowers it
    assert await ledger.needed(user) == 10
    await ledger.record(user, 12)
    assert await ledger.needed(user) == 12
    assert 0 < await redis.pttl(Ledger.key(user)) <= 60_000


# --- an erasure finds every key of the user, on every node; readiness asks every node ---------------------


async def test_an_erasure_drops_every_key_of_the_user_and_no_other(redis: aioredis.Redis, cache: Cache) -> None:
    user, other = uuid.uuid4(), uuid.uuid4()

    async def keys_of(someone: uuid.UUID) -> list[str]:
        namespace = cache_namespace(someone)
        made = [
            session_memo.stamp_key(someone),
            f"cv:{namespace}",
            Cache.key(namespace, 1, one_cache_key(uuid.uuid4())),
            quota.rate_key(someone, "m"),
            quota.rate_key(someone, "d"),
            f"rl:upload:{redis_client.tag(someone)}",
            Ledger.key(someone),
        ]
        for key in made:
            await redis.set(key, 1)
        return made

    mine, theirs = await keys_of(user), await keys_of(other)
    if redis_client.is_cluster():
        assert len(_slots(*mine)) == 1  # every key of a user on one node
        assert len(_slots(*(f"k{{{uuid.uuid4()}}}" for _ in range(30)))) > 1  # users spread over the nodes
    await erasure._drop_redis_keys(redis, user)
    assert await redis.exists(*mine) == 0
    assert await redis.exists(*theirs) == len(theirs)
    await redis.delete(*theirs)


async def test_readiness_pings_redis(redis: aioredis.Redis) -> None:
    await health._redis(State({"redis": redis}))
