"""Every Lua script of the product runs on a Redis Cluster, through the code that runs it.

The scripts are found in the source (every string constant under backend/ and tasks/ that calls
`redis.call`), so a new script is covered or this test fails. Each is run on a 3-primary cluster of
the test's own with the keys the code builds: a script over keys of two slots is refused (CROSSSLOT),
and one reading a key of another slot too ("non local key"). Then the cluster's script cache must
hold every one of them: each ran at least once. `{publish}` in a script stands for the fan-out
command (`SPUBLISH` on a cluster).
"""

from __future__ import annotations

import ast
import hashlib
import tempfile
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast

import pytest
import pytest_asyncio
from redis.asyncio.cluster import RedisCluster

from backend.devtools.redis_cluster import LocalRedisCluster
from backend.features.accounts import session_memo, throttle
from backend.features.ai import quota
from backend.features.applications.service import cache_namespace, one_cache_key
from backend.platform import ratelimit, redis_client
from backend.platform.cache import Cache, Guard
from backend.platform.db.replicas import Ledger
from backend.platform.realtime import events, roster, tickets
from backend.platform.realtime.publisher import Publisher
from backend.settings import AuthSettings, RealtimeSettings
from tasks import delayed, upkeep
from tasks.broker import ADD_CAPPED
from tasks.spec import QueueSpec

ROOT = Path(__file__).resolve().parents[2]


def scripts() -> dict[str, str]:
    """`<file>:<line>` -> the text of every Lua script in the product's source."""
    found: dict[str, str] = {}
    for folder in ("backend", "tasks"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text())):
                if isinstance(node, ast.Constant) and isinstance(node.value, str) and "redis.call(" in node.value:
                    found[f"{path.relative_to(ROOT)}:{node.lineno}"] = node.value
    return found


def _sha(text: str) -> str:
    return hashlib.sha1(text.replace("{publish}", "SPUBLISH").encode()).hexdigest()  # noqa: S324 - Redis' script id


@pytest.fixture(scope="module")
def cluster() -> Iterator[LocalRedisCluster]:
    local = LocalRedisCluster(Path(tempfile.mkdtemp(prefix="cc-scripts-cluster-")))
    local.start()
    yield local
    local.stop()


@pytest_asyncio.fixture
async def client(cluster: LocalRedisCluster, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Any]:
    monkeypatch.setattr(redis_client, "_cluster", True)  # keys and commands of a cluster, in this process
    made = redis_client.connect(cluster.url)
    await cast(RedisCluster, made).initialize()
    yield made
    await made.aclose()


def test_the_source_holds_the_scripts_this_test_knows() -> None:
    assert len(scripts()) >= 14  # the scan works (realtime 3, cache 2, rate limits 2, sessions 2, ...)


async def test_every_script_runs_on_a_cluster_through_the_code_that_runs_it(client: Any) -> None:
    user = uuid.uuid4()
    # realtime: publish (history + fan-out), the socket roster, tickets
    await Publisher(client, RealtimeSettings()).publish(
        user, events.CoverLetterDelta(data=events.CoverLetterDeltaData(uuid.UUID(int=1), 1, "t"))
    )
    await roster.join(client, str(user), "socket-1", 1, 60)
    await roster.join(client, str(user), "socket-2", 1, 60)  # past the cap: the oldest is dropped
    assert await tickets.redeem(client, await tickets.issue(client, user, "s:1", 30, 10)) is not None
    # the cache: a lookup and a guarded lookup (the session stamp with the entry)
    cache = Cache(client, ttl_seconds=60)
    namespace, suffix = cache_namespace(user), one_cache_key(uuid.uuid4())
    await cache.lookup(namespace, suffix)
    await cache.guarded_lookup(Guard(session_memo.stamp_key(user), "stamp", 60), (namespace, suffix))
    # sessions: a change settles its marker; an edit refreshes the stamp
    async with session_memo.AuthChanges(client) as changes:
        await changes.add(user)
    await session_memo.row_changed(client, user)
    # rate windows: take (two subjects: per slot) and give back
    attempt = await throttle.admit(client, AuthSettings(), f"{user}@example.com", "203.0.113.9")
    await throttle.give_back(client, attempt)
    await ratelimit.refund(client, [quota.rate_key(user, "m")])
    # AI spend, the replicas' write position
    await client.register_script(quota._ADD)(keys=[quota.spend_key(datetime.now(UTC))], args=[1])
    await Ledger(client, client, ttl_ms=1000).record(user, 7)
    # the task queue: a capped send, due retries moved back, idle consumers dropped
    spec = QueueSpec.for_queue("scripts-test", "g", maxlen=10, idle_reclaim_ms=1000, partitions=2, tagged=True)
    part = spec.parts()[1]
    await client.register_script(ADD_CAPPED)(keys=[part.stream, part.stats], args=[part.maxlen, b"{}"])
    await delayed.hold(client, part, b"{}", 0)
    await delayed.release_due(client, part)
    await client.xgroup_create(part.stream, part.group, id="0", mkstream=True)
    await upkeep.drop_idle_consumers(client, part, "me")

    cluster = cast(RedisCluster, client)
    cached: dict[str, bool] = {}
    for where, text in scripts().items():
        sha = _sha(text)
        answers = [
            await cluster.execute_command("SCRIPT EXISTS", sha, target_nodes=node) for node in cluster.get_primaries()
        ]  # one node at a time: an EVAL is cached only where it ran
        cached[where] = any(_exists(answer) for answer in answers)
    assert [where for where, ran in cached.items() if not ran] == [], "scripts that never ran on the cluster"


def _exists(answer: Any) -> bool:
    return bool(answer[0]) if isinstance(answer, list) else bool(answer)
