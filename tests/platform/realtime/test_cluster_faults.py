"""Realtime on a Redis Cluster under faults: a primary killed (its replica promoted) and a slot
migrated live, while sockets listen on two api processes and events keep coming.

Each test starts its own 3-primary cluster (Debian's redis-server 7), whatever the session runs on,
so it can break it. Clients follow the protocol (`tests.plugins.realtime.Follower`): on a close they
reconnect with their last event id. Every event the publisher got an id for must reach its user's
socket: 0 lost after replay. `FAULT_SOCKETS` sets the number of sockets (default 200; the figures in
docs/redis-cluster.md come from `FAULT_SOCKETS=1000 pytest -s tests/platform/realtime/test_cluster_faults.py`).
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import tempfile
import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any, cast

import pytest
import pytest_asyncio
from redis.asyncio import Redis
from redis.asyncio.cluster import RedisCluster
from redis.crc import key_slot
from redis.exceptions import RedisClusterException, RedisError

from backend.devtools.embedded_services import EmbeddedRedis, free_port
from backend.devtools.redis_cluster import LocalRedisCluster, redis7_binaries
from backend.platform import redis_client
from backend.platform.db.tables import User
from backend.platform.jobs.runtime import build_broker
from backend.platform.realtime import channels, events
from backend.platform.realtime.publisher import Publisher
from backend.settings import Settings
from tasks.spec import QueueSpec
from tests.plugins.processes import Api, Spawn, start_api, stop_api, wait_ready
from tests.plugins.realtime import Follower
from tests.plugins.tasks import PROBE_ARGS
from tests.support import SessionServices, settings_env
from tests.workers import probe_tasks

SOCKETS = int(os.environ.get("FAULT_SOCKETS", "200"))


class ClusterStack:
    def __init__(self, cluster: LocalRedisCluster, client: Any, apis: tuple[Api, Api], publisher: Publisher) -> None:
        self.cluster, self.client, self.apis, self.publisher = cluster, client, apis, publisher
        self.env = {"REDIS_URL": cluster.url, "REDIS_CLUSTER": "true"}

    def owner(self, user_id: str) -> int:
        """The port of the primary that owns the user's channel now."""
        node = cast(RedisCluster, self.client).get_node_from_key(channels.user_channel(user_id))
        assert node is not None
        return int(node.port)


@pytest_asyncio.fixture
async def stack(
    services: SessionServices, db: None, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[ClusterStack]:
    cluster = LocalRedisCluster(Path(tempfile.mkdtemp(prefix="cc-fault-cluster-")))
    await asyncio.to_thread(cluster.start)
    monkeypatch.setattr(redis_client, "_cluster", True)  # this process talks to that cluster too
    client = redis_client.connect(cluster.url)
    await cast(RedisCluster, client).initialize()
    env = {"REDIS_URL": cluster.url, "REDIS_CLUSTER": "true", "REALTIME_SOCKET_QUEUE_SIZE": "1000"}
    apis = (start_api(services, **env), start_api(services, **env))
    try:
        await asyncio.gather(*(wait_ready(api) for api in apis))
        yield ClusterStack(cluster, client, apis, Publisher(client, settings.realtime))
    finally:
        await asyncio.gather(*(asyncio.to_thread(stop_api, api) for api in apis))
        await client.aclose()
        await asyncio.to_thread(cluster.stop)


async def _users(ids: list[uuid.UUID]) -> list[str]:
    await User.insert(*[User(id=i, email=f"f-{i.hex[:12]}@example.com", password_hash="x", full_name="F") for i in ids])
    return [str(i) for i in ids]


def _delta(seq: int) -> events.CoverLetterDelta:
    return events.CoverLetterDelta(data=events.CoverLetterDeltaData(uuid.UUID(int=1), seq, "t"))


class TaskLoad:
    """Sends `probe.tally` tasks through a broker on the cluster until stopped (a send that fails is
    retried until the broker takes it); each acknowledged task must run, counted in a Redis apart."""

    def __init__(self, broker: Any, ledger_url: str) -> None:
        self.broker, self.ledger_url = broker, ledger_url
        self.acked: list[str] = []
        self.failures = 0
        self.stop = asyncio.Event()

    async def run(self) -> None:
        while not self.stop.is_set():
            key = uuid.uuid4().hex
            while True:
                try:
                    await probe_tasks.tally.kicker().with_broker(self.broker).kiq(key, self.ledger_url)
                    break
                except Exception:  # SendTaskError around a cluster outage: send it again
                    self.failures += 1
                    await asyncio.sleep(0.1)
            self.acked.append(key)
            await asyncio.sleep(0.01)

    async def missing(self, ledger: Any, within: float) -> list[str]:
        """The acknowledged tasks that have not run after `within` seconds."""
        deadline = time.monotonic() + within
        while True:
            counts = [await ledger.get(f"tally:{key}") for key in self.acked]
            missing = [key for key, count in zip(self.acked, counts, strict=True) if not count]
            if not missing or time.monotonic() > deadline:
                return missing
            await asyncio.sleep(0.5)


class Load:
    """Publishes to every user in rounds until stopped; a publish that fails is retried until it
    gets an id (that id is what the user must receive)."""

    def __init__(self, stack: ClusterStack, users: list[str]) -> None:
        self.stack, self.users = stack, users
        self.acked: dict[str, list[str]] = {user: [] for user in users}
        self.failures = 0
        self.last_failure = 0.0  # time.monotonic() of the last failed attempt
        self.rounds = 0
        self.stop = asyncio.Event()

    async def _one(self, user: str, seq: int) -> None:
        deadline = time.monotonic() + 60
        while True:
            try:
                self.acked[user].append(await self.stack.publisher.publish(user, _delta(seq)))
                return
            except (RedisError, RedisClusterException, OSError):
                self.failures += 1
                self.last_failure = time.monotonic()
                assert time.monotonic() < deadline, "publishing failed for a minute"
                await asyncio.sleep(0.1)

    async def run(self) -> None:
        seq = 0
        while not self.stop.is_set():
            for start in range(0, len(self.users), 100):
                await asyncio.gather(*(self._one(user, seq) for user in self.users[start : start + 100]))
            self.rounds += 1
            seq += 1
            await asyncio.sleep(0.05)


class Crowd:
    """One following client per user, spread over both api processes."""

    def __init__(self, stack: ClusterStack, users: list[str]) -> None:
        self.stop = asyncio.Event()
        self.followers = [Follower(stack.client, user) for user in users]
        self.tasks = [asyncio.create_task(f.run(stack.apis[i % 2], self.stop)) for i, f in enumerate(self.followers)]

    async def connected(self) -> None:
        async with asyncio.timeout(120):
            await asyncio.gather(*(f.connected.wait() for f in self.followers))

    async def leave(self) -> None:
        self.stop.set()
        for task in self.tasks:
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)


async def _all_received(load: Load, followers: list[Follower], within: float) -> dict[str, int]:
    """Wait until every acknowledged event reached its socket; the number missing per user if not."""
    deadline = time.monotonic() + within
    while True:
        missing = {f.user_id: len(set(load.acked[f.user_id]) - set(f.received)) for f in followers}
        missing = {user: count for user, count in missing.items() if count}
        if not missing or time.monotonic() > deadline:
            return missing
        await asyncio.sleep(0.2)


async def _finish(load: Load, loader: asyncio.Task[None], crowd: Crowd) -> dict[str, int]:
    """Stop publishing; what is still missing once replays had a minute to deliver it."""
    load.stop.set()
    await loader
    missing = await _all_received(load, crowd.followers, 60)
    await crowd.leave()
    return missing


async def _flowing(load: Load, rounds: int = 5) -> None:
    """Until `rounds` more publishing rounds went through (the cluster serves again)."""
    target = load.rounds + rounds
    async with asyncio.timeout(60):
        while load.rounds < target:
            await asyncio.sleep(0.1)


def _report(name: str, load: Load, followers: list[Follower], affected: set[str], seconds: float) -> None:
    """The figures of one run (printed with `pytest -s`)."""
    acked = sum(len(ids) for ids in load.acked.values())
    received = sum(len(set(f.received)) for f in followers)
    closes = sum(f.closes[1012] for f in followers)
    print(
        f"\n{name}: {len(followers)} sockets on 2 api processes, {len(affected)} of them on the moved slots "
        "or the lost primary; "
        f"{acked} events acknowledged, {received} distinct received, {load.failures} publish attempts failed "
        f"and were retried; {closes} closes with 1012; publishing failed for {seconds:.1f} s"
    )


async def test_a_primary_killed_under_load_loses_no_event_and_no_task(
    stack: ClusterStack, services: SessionServices, settings: Settings, spawn: Spawn, tmp_path: Path
) -> None:
    ledger_server = EmbeddedRedis(tmp_path / "ledger", free_port(), persistent=False)
    ledger_server.start()
    ledger = Redis.from_url(ledger_server.url(0))  # one plain Redis, apart from the cluster
    env = settings_env(services, **stack.env, TASK_STREAM_PARTITIONS="6")
    spawn("backend.entrypoints.worker", env, *PROBE_ARGS)
    broker = build_broker(Settings.from_env(env))
    await broker.startup()
    tasks = TaskLoad(broker, ledger_server.url(0))
    sender = asyncio.create_task(tasks.run())
    users = await _users([uuid.uuid4() for _ in range(SOCKETS)])
    crowd = Crowd(stack, users)
    await crowd.connected()
    load = Load(stack, users)
    loader = asyncio.create_task(load.run())
    await asyncio.sleep(1.0)
    victim = stack.owner(users[0])
    affected = {user for user in users if stack.owner(user) == victim}
    started = time.monotonic()
    await asyncio.to_thread(stack.cluster.kill, victim)
    # the replica takes over after the node timeout; the cluster serves every slot again
    async with asyncio.timeout(60):
        while len(await asyncio.to_thread(stack.cluster.master_ports)) < 3:
            await asyncio.sleep(0.2)
    await asyncio.to_thread(stack.cluster.wait_ok, 60)
    await _flowing(load)  # events keep flowing on the new primary
    recovered = max(load.last_failure, started) - started
    missing = await _finish(load, loader, crowd)
    tasks.stop.set()
    await sender
    lost_tasks = await tasks.missing(ledger, 60)
    await broker.shutdown()
    counts = [int(await ledger.get(f"tally:{key}") or 0) for key in tasks.acked]
    twice = sum(1 for count in counts if count > 1)
    await ledger.aclose()
    ledger_server.stop()
    _report("primary killed", load, crowd.followers, affected, recovered)
    print(
        f"tasks: {len(tasks.acked)} acknowledged sends ({tasks.failures} failed attempts retried), "
        f"{len(tasks.acked) - len(lost_tasks)} ran, {twice} ran twice, {len(lost_tasks)} lost"
    )
    assert not missing, f"events lost after replay: {missing}"
    assert not lost_tasks, f"tasks lost: {len(lost_tasks)}"
    assert all(f.closes[1012] >= 1 for f in crowd.followers if f.user_id in affected)
    assert all(f.closes[1012] == 0 for f in crowd.followers if f.user_id not in affected)


def _owned_slots(cluster: LocalRedisCluster, port: int) -> list[int]:
    """The slots the primary on `port` serves, lowest first."""
    slots: list[int] = []
    for line in cluster.cli(port, "cluster", "nodes").splitlines():
        fields = line.split()
        if "myself" in fields[2]:
            for part in fields[8:]:
                if part.startswith("["):
                    continue
                low, _, high = part.partition("-")
                slots.extend(range(int(low), int(high or low) + 1))
    return sorted(slots)


def _node_id(cluster: LocalRedisCluster, port: int) -> str:
    return cluster.cli(port, "cluster", "myid").strip()


async def test_slots_migrated_live_under_load_lose_no_event_and_no_task(
    stack: ClusterStack, services: SessionServices, spawn: Spawn, tmp_path: Path
) -> None:
    """The slots moved include those of some users' channels and of one task-queue partition."""
    env = settings_env(services, **stack.env, TASK_STREAM_PARTITIONS="6")
    queue = QueueSpec.from_settings(Settings.from_env(env).worker).parts()[0]
    queue_slot = key_slot(queue.stream.encode())
    source = int(cast(RedisCluster, stack.client).get_node_from_key(queue.stream).port)  # type: ignore[union-attr]
    owned = _owned_slots(stack.cluster, source)
    moving_slots = set(owned[: max(100, owned.index(queue_slot) + 1)])  # redis-cli moves the lowest first
    movers: list[uuid.UUID] = []
    while len(movers) < 10:
        candidate = uuid.uuid4()
        if key_slot(channels.user_channel(candidate).encode()) in moving_slots:
            movers.append(candidate)
    ledger_server = EmbeddedRedis(tmp_path / "ledger", free_port(), persistent=False)
    ledger_server.start()
    ledger = Redis.from_url(ledger_server.url(0))
    spawn("backend.entrypoints.worker", env, *PROBE_ARGS)
    broker = build_broker(Settings.from_env(env))
    await broker.startup()
    tasks = TaskLoad(broker, ledger_server.url(0))
    sender = asyncio.create_task(tasks.run())
    users = await _users(movers + [uuid.uuid4() for _ in range(SOCKETS - len(movers))])
    affected = {user for user in users if key_slot(channels.user_channel(user).encode()) in moving_slots}
    crowd = Crowd(stack, users)
    await crowd.connected()
    load = Load(stack, users)
    loader = asyncio.create_task(load.run())
    await asyncio.sleep(1.0)
    target = next(port for port in stack.cluster.master_ports() if port != source)
    _, cli = redis7_binaries()
    reshard = [
        cli, "--cluster", "reshard", f"127.0.0.1:{source}",
        "--cluster-from", _node_id(stack.cluster, source), "--cluster-to", _node_id(stack.cluster, target),
        "--cluster-slots", str(len(moving_slots)), "--cluster-yes",
    ]  # fmt: skip
    started = time.monotonic()
    done = await asyncio.to_thread(subprocess.run, reshard, capture_output=True, text=True, timeout=300)
    moved = time.monotonic() - started
    print(f"\nreshard of {len(moving_slots)} slots (one task partition among them) took {moved:.1f} s")
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    owned_now = set(_owned_slots(stack.cluster, target))
    assert queue_slot in owned_now
    assert all(key_slot(channels.user_channel(user).encode()) in owned_now for user in affected)
    await _flowing(load)
    missing = await _finish(load, loader, crowd)
    tasks.stop.set()
    await sender
    lost_tasks = await tasks.missing(ledger, 60)
    await broker.shutdown()
    await ledger.aclose()
    ledger_server.stop()
    _report("slots migrated", load, crowd.followers, affected, max(load.last_failure, started) - started)
    print(
        f"tasks: {len(tasks.acked)} acknowledged sends ({tasks.failures} failed attempts retried), "
        f"{len(lost_tasks)} lost"
    )
    assert not missing, f"events lost after replay: {missing}"
    assert not lost_tasks, f"tasks lost: {len(lost_tasks)}"
    assert all(f.closes[1012] >= 1 for f in crowd.followers if f.user_id in affected)
