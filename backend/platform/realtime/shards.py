"""The per-process fan-out on a Redis Cluster: sharded pub/sub, one subscriber connection per shard.

A user's channel is a *shard channel* (`SSUBSCRIBE`/`SPUBLISH`, Redis 7): a message is routed to
the primary that owns the channel's slot only, instead of to every node as classic pub/sub does, so
fan-out capacity grows with the shards. The channel carries the user id as its hash tag, like the
user's history stream, so one script appends to history and publishes on the same node
(`channels`, `publisher`).

`ShardedHub` keeps the bookkeeping of `Hub` (sockets per user, mailboxes, control messages) and
replaces its one connection with one per primary that holds a channel of this process's users,
opened when the first such user attaches. Each has its own reader and no retries
(`redis_client.connect_subscriber` explains why: a silent re-subscription loses what was published
meanwhile). The topology changes in two ways, and both end in the same safe place:

- a shard's connection breaks (its primary died, its replica is being promoted): the sockets of
  every user subscribed there close with 1012; clients reconnect with their last event id and
  replay from history, and their new subscription goes to the new owner once the slot map is
  re-read (`_refresh`, also done when a subscribe fails);
- a slot moves to another primary (`redis-cli --cluster reshard`, a manual failover): the old owner
  sends `sunsubscribe` for each channel of that slot. The affected users' sockets close with 1012 and
  re-subscribe on the new owner when their clients reconnect.

Either way nothing is lost: events are in the history stream before they are published, and a
client that reconnects with its last event id receives what it missed.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import cast

import structlog
from redis.asyncio import Redis
from redis.asyncio.client import PubSub
from redis.asyncio.cluster import ClusterNode, RedisCluster
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisClusterException, RedisError, ResponseError
from redis.exceptions import TimeoutError as RedisTimeoutError

from backend.platform.realtime import channels, metrics
from backend.platform.realtime.hub import CLOSE_RESTART, SUBSCRIBE_TIMEOUT, Hub

log = structlog.get_logger("career_copilot.realtime")
LOST = (RedisConnectionError, RedisTimeoutError, OSError)


class Shard:
    """One primary's pub/sub connection and the users of this process subscribed through it."""

    def __init__(self, node: ClusterNode) -> None:
        self.name = node.name
        self.client = Redis(
            host=node.host,
            port=int(node.port),
            retry=Retry(NoBackoff(), 0),
            socket_connect_timeout=5,
            health_check_interval=30,
        )
        self.pubsub: PubSub = self.client.pubsub()
        self.users: set[str] = set()
        self.reader: asyncio.Task[None] | None = None

    async def close(self) -> None:
        with contextlib.suppress(Exception):
            await self.pubsub.aclose()
        with contextlib.suppress(Exception):
            await self.client.aclose()


class ShardedHub(Hub):
    """`Hub` on a Redis Cluster (see the module docstring)."""

    def __init__(self, cluster: Redis, queue_size: int) -> None:
        super().__init__(cluster, queue_size)
        self._cluster = cast(RedisCluster, cluster)
        self._shards: dict[str, Shard] = {}
        self._shard_of: dict[str, Shard] = {}  # user id -> the shard its channel is subscribed on
        self._refreshing: asyncio.Task[None] | None = None

    async def _run(self) -> None:
        """Learn the slot map (retrying while the cluster is unreachable), then let shards read."""
        delay = 0.1
        while True:
            try:
                await self._cluster.initialize()
                self._connected.set()
                return
            except (RedisError, RedisClusterException, OSError) as exc:
                log.warning("realtime_cluster_unreachable", error=type(exc).__name__)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)

    async def stop(self) -> None:
        if self._refreshing is not None:  # before the client closes: a slot-map read in flight would
            self._refreshing.cancel()  # find its node cache emptied under it (KeyError in redis-py)
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._refreshing
        await super().stop()
        for shard in list(self._shards.values()):
            await self._drop(shard)

    async def _subscribe(self, user_id: str, channel: str) -> None:
        await asyncio.wait_for(self._connected.wait(), SUBSCRIBE_TIMEOUT)
        for attempt in range(3):
            shard: Shard | None = None
            try:
                node = self._cluster.get_node_from_key(channel)
                if node is None:
                    raise RedisClusterException(f"no primary serves {channel}")
                shard = await self._shard(node)
                await shard.pubsub.ssubscribe(channel)
                shard.users.add(user_id)
                self._shard_of[user_id] = shard
                return
            except (*LOST, RedisClusterException) as exc:
                if shard is not None and isinstance(exc, LOST):
                    self._lost_shard(shard, exc)
                if attempt == 2:
                    raise RedisConnectionError(f"cannot subscribe {channel}: {type(exc).__name__}") from exc
                await self._refresh_now()

    async def _unsubscribe(self, user_id: str, channel: str) -> None:
        shard = self._shard_of.pop(user_id, None)
        if shard is None:
            return
        shard.users.discard(user_id)
        await shard.pubsub.sunsubscribe(channel)

    async def _shard(self, node: ClusterNode) -> Shard:
        """The shard of `node`, connected and read (created on first use)."""
        if (shard := self._shards.get(node.name)) is not None:
            return shard
        shard = Shard(node)
        try:
            await shard.pubsub.connect()
        except BaseException:
            await shard.close()
            raise
        self._shards[node.name] = shard
        shard.reader = asyncio.create_task(self._read(shard), name=f"realtime-shard-{node.name}")
        metrics.REDIS_SHARDS.set(len(self._shards))
        return shard

    async def _read(self, shard: Shard) -> None:
        while True:
            try:
                message = await shard.pubsub.get_message(ignore_subscribe_messages=False, timeout=1.0)
            except LOST as exc:
                self._lost_shard(shard, exc)
                await shard.close()
                self._refresh_soon()
                return
            except ResponseError as exc:  # an SSUBSCRIBE refused (MOVED): the slot map is stale
                self._refused(shard, exc)
                self._refresh_soon()
                continue
            if message is None:
                continue
            if message["type"] == "sunsubscribe":
                self._unsubscribed(shard, message["channel"].decode())
            else:
                self._handle(message)

    def _unsubscribed(self, shard: Shard, channel: str) -> None:
        """A `sunsubscribe` we did not ask for (ours come after the user's group is gone): the
        channel's slot left this primary. Its sockets close with 1012 and re-subscribe elsewhere."""
        user_id = channels.user_of_channel(channel)
        confirmed = self._confirmed.get(channel)
        if self._shard_of.get(user_id) is not shard or confirmed is None or not confirmed.is_set():
            return
        log.info("realtime_slot_moved", shard=shard.name)
        self._end_users(shard, [user_id], "slot_moved")
        self._refresh_soon()

    def _refused(self, shard: Shard, exc: BaseException) -> None:
        """Close the users whose subscription on `shard` is not confirmed yet (one was refused)."""
        waiting = [user for user in shard.users if not self._is_confirmed(user)]
        log.warning("realtime_subscribe_refused", shard=shard.name, error=str(exc)[:80], users=len(waiting))
        self._end_users(shard, waiting, "slot_moved")

    def _is_confirmed(self, user_id: str) -> bool:
        confirmed = self._confirmed.get(channels.user_channel(user_id))
        return confirmed is not None and confirmed.is_set()

    def _lost_shard(self, shard: Shard, exc: BaseException) -> None:
        """The shard's connection broke: every socket subscribed through it may miss events."""
        if self._shards.get(shard.name) is not shard:
            return
        log.warning("realtime_shard_lost", shard=shard.name, error=type(exc).__name__, users=len(shard.users))
        del self._shards[shard.name]
        metrics.REDIS_SHARDS.set(len(self._shards))
        self._end_users(shard, list(shard.users), "redis_lost")

    def _end_users(self, shard: Shard, users: list[str], reason: str) -> None:
        for user_id in users:
            shard.users.discard(user_id)
            if self._shard_of.get(user_id) is shard:
                del self._shard_of[user_id]
            channel = channels.user_channel(user_id)
            if (confirmed := self._confirmed.pop(channel, None)) is not None:
                confirmed.set()  # an attach waiting for it returns its closed mailbox at once
            group = self._clients.pop(user_id, None)
            if group is None:
                continue
            metrics.SUBSCRIBED_USERS.dec()
            for client in group:
                client.close(CLOSE_RESTART)
                metrics.SOCKETS_CLOSED.labels(reason).inc()

    async def _drop(self, shard: Shard) -> None:
        self._shards.pop(shard.name, None)
        if shard.reader is not None:
            shard.reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await shard.reader
        await shard.close()

    def _refresh_soon(self) -> None:
        if self._refreshing is None or self._refreshing.done():
            self._refreshing = asyncio.create_task(self._refresh_now(), name="realtime-slot-map")

    async def _refresh_now(self) -> None:
        """Re-read the slot map from the cluster (after a failover or a slot migration)."""
        with contextlib.suppress(RedisError, RedisClusterException, OSError):
            await self._cluster.nodes_manager.initialize()
