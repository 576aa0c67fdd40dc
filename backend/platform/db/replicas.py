"""Read replicas with read-your-writes: which reads may go to a streaming replica, and to which one.

- **Writes** record where they end. After a write transaction commits (and after a write statement run
  outside a transaction), the engine reads the primary's `pg_current_wal_insert_lsn()` on the same
  connection, and the `Ledger` keeps the highest such position per user in Redis (one round trip), for
  a little longer than `REPLICA_MAX_LAG_MS`: every api process sees it. The user is the one the
  request authenticated, or the one a job acts for (`act_as`); writes of no one are not recorded.
- **Routed reads** are the reads that may be stale (lists, details, stats, exports), marked by the
  services with `with routed_reads(user_id):`. Outside a transaction their queries go to a replica whose
  replay position (`pg_last_wal_replay_lsn()`, checked at most every `REPLICA_LSN_CACHE_MS` per replica
  and process) has reached the user's last write; otherwise to the primary. Everything else (writes,
  reads inside a transaction, authentication, any read not marked) runs on the primary.
- A replica that is down, errors, or is further behind the primary than `REPLICA_MAX_LAG_MS`
  (`now() - pg_last_xact_replay_timestamp()`, when the primary has newer WAL) is skipped; one that
  failed is tried again after `RETRY_PAUSE_SECONDS`. A read that fails on a replica runs again on
  the primary: the client never sees a replica's error.

No Litestar here: services and jobs use it. docs/replicas.md says more.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import itertools
import math
import random
import time
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import asyncpg
import structlog
from redis.asyncio import Redis

from backend.platform import redis_client
from backend.platform.db import metrics
from backend.platform.db.fair_pool import FairPool

log = structlog.get_logger("career_copilot.db.replicas")

# Positions as byte offsets (bigint): asyncpg has no codec of its own for pg_lsn.
WRITE_POSITION_SQL = "SELECT (pg_current_wal_insert_lsn() - '0/0'::pg_lsn)::bigint"
PRIMARY_POSITION_SQL = "SELECT (pg_current_wal_flush_lsn() - '0/0'::pg_lsn)::bigint"
REPLICA_STATE_SQL = (
    "SELECT pg_is_in_recovery() AS standby, (pg_last_wal_replay_lsn() - '0/0'::pg_lsn)::bigint AS replayed, "
    "EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp())::float8 AS behind"
)
RETRY_PAUSE_SECONDS = 2.0  # a replica that failed is left alone this long
PROBE_TIMEOUT_SECONDS = 1.0
MONITOR_INTERVAL_SECONDS = 1.0  # every replica is checked this often even without reads (lag gauge, recovery)
_TTL_MARGIN_MS = 1000

# A replica that raises one of these is down (for RETRY_PAUSE_SECONDS); any other database error of a
# read on a replica (a conflict with recovery, a table it has not replayed yet) only sends that read
# to the primary, which answers it or raises its own error.
_DOWN = (
    OSError,
    TimeoutError,
    asyncpg.InterfaceError,
    asyncpg.PostgresConnectionError,
    asyncpg.CannotConnectNowError,
    asyncpg.AdminShutdownError,
    asyncpg.CrashShutdownError,
)
_RETRY_ON_PRIMARY = (*_DOWN, asyncpg.PostgresError)


# --- who reads and who writes ---------------------------------------------------------------------------


class _Acting:
    __slots__ = ("user_id",)

    def __init__(self, user_id: uuid.UUID | None = None) -> None:
        self.user_id = user_id


class _Route:
    """A block of routed reads: where they go is decided at its first query, then kept."""

    __slots__ = ("replica", "resolved", "user_id")

    def __init__(self, user_id: uuid.UUID) -> None:
        self.user_id = user_id
        self.resolved = False
        self.replica: Replica | None = None


_ACTING: contextvars.ContextVar[_Acting | None] = contextvars.ContextVar("career_copilot_db_acting", default=None)
_ROUTE: contextvars.ContextVar[_Route | None] = contextvars.ContextVar("career_copilot_db_route", default=None)


def new_request() -> None:
    """At the start of an api request: a fresh holder of the acting user, shared by the request's
    whole context. `act_as` fills it, from a dependency that may run in a child task (Litestar resolves
    independent dependencies in a task group, whose context is a copy: a value set there is lost,
    a holder filled there is not)."""
    _ACTING.set(_Acting())


def act_as(user_id: uuid.UUID) -> None:
    """The writes that follow, in this request or task, are `user_id`'s: their positions are recorded."""
    acting = _ACTING.get()
    if acting is None:
        _ACTING.set(_Acting(user_id))
    else:
        acting.user_id = user_id


def acting_user() -> uuid.UUID | None:
    acting = _ACTING.get()
    return acting.user_id if acting is not None else None


@contextlib.contextmanager
def routed_reads(user_id: uuid.UUID) -> Iterator[None]:
    """The queries of this block read `user_id`'s data and may be a little stale: a replica that has
    replayed the user's last write may answer them (inside a transaction they stay on the primary).
    Enter and leave it in one step of an async generator (no `yield` inside)."""
    token = _ROUTE.set(_Route(user_id))
    try:
        yield
    finally:
        _ROUTE.reset(token)


def current_route() -> _Route | None:
    return _ROUTE.get()


def reads_only(query: str) -> bool:
    """A statement that cannot write (a plain SELECT); anything else counts as a write."""
    return query.lstrip(" \t\r\n(")[:6].upper() == "SELECT"


# --- the per-user write positions -----------------------------------------------------------------------

# Keeps the highest position (a concurrent, earlier commit never lowers it) and renews the TTL.
_RECORD = """
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
if tonumber(ARGV[1]) > current then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
else
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 1
"""


class Ledger:
    """Each user's last write position, in Redis. `writer` records (the client with retries: a write
    has committed, its position matters); `reader` reads on the routed path (the cache's client: a
    Redis outage costs a quick miss, and a miss sends the read to the primary)."""

    def __init__(self, writer: Redis, reader: Redis, *, ttl_ms: int) -> None:
        self.ttl_ms = ttl_ms
        self.reader = reader
        self._record = writer.register_script(_RECORD)
        self._blind_until = 0.0  # a position was lost: every routed read of this process on the primary

    @staticmethod
    def key(user_id: uuid.UUID) -> str:
        return f"db:written:{redis_client.tag(user_id)}"  # with the user's other keys on a cluster

    def _lost(self, what: str, exc: BaseException, user_id: uuid.UUID) -> None:
        self._blind_until = time.monotonic() + self.ttl_ms / 1000
        log.warning(what, error=type(exc).__name__, detail=str(exc)[:200], user=str(user_id))

    async def after_commit(self, connection: Any, user_id: uuid.UUID) -> None:
        """Record where the primary's WAL ends now, on the `connection` that just committed
        `user_id`'s write. Never raises (the write has committed): a position it cannot record sends
        this process's routed reads to the primary for the TTL."""
        try:
            position = await connection.fetchval(WRITE_POSITION_SQL)
        except (asyncpg.PostgresError, asyncpg.InterfaceError, OSError, TimeoutError) as exc:
            self._lost("write_position_unknown", exc, user_id)
            return
        await self.record(user_id, int(position))

    async def record(self, user_id: uuid.UUID, position: int) -> None:
        try:
            await self._record(keys=[self.key(user_id)], args=[position, self.ttl_ms])
        except redis_client.ERRORS as exc:
            self._lost("write_position_not_recorded", exc, user_id)

    async def needed(self, user_id: uuid.UUID) -> int | None:
        """The position a replica must have replayed for `user_id` (0: no recent write); None when
        unknown (Redis unavailable, or a position of this process was lost): read on the primary."""
        if time.monotonic() < self._blind_until:
            return None
        try:
            raw = await self.reader.get(self.key(user_id))
        except redis_client.ERRORS:
            return None
        return int(raw) if raw else 0


# --- the replicas -----------------------------------------------------------------------------------------


@dataclass(eq=False)
class Replica:
    """One replica's pool and what its last check found."""

    index: int
    pool: FairPool
    state: str = "unknown"  # ok | lagging | down | unknown (not checked yet)
    replayed: int = 0
    behind: float | None = None  # seconds behind the primary (0: caught up), None: unknown
    error: str | None = None
    checked_at: float = -math.inf  # time.monotonic() of the last check
    retry_at: float = 0.0
    probing: asyncio.Task[None] | None = field(default=None, repr=False)

    @property
    def label(self) -> str:
        return str(self.index)


class Router:
    """Picks the replica of a routed read and runs it there, or on the primary."""

    def __init__(
        self, ledger: Ledger, pools: Sequence[FairPool], primary: Any, *, max_lag_ms: int, cache_ms: int
    ) -> None:
        self.ledger = ledger
        self.primary = primary  # the primary's (fair) pool
        self.replicas = [Replica(index, pool) for index, pool in enumerate(pools)]
        self.max_lag = max_lag_ms / 1000
        self.cache = cache_ms / 1000
        self._turn = itertools.count(random.randrange(max(len(self.replicas), 1)))
        self._monitor: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._monitor = asyncio.create_task(self._watch(), name="replica-monitor")

    async def close(self) -> None:
        tasks = [task for task in (self._monitor, *(r.probing for r in self.replicas)) if task is not None]
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        for replica in self.replicas:
            await replica.pool.close()

    async def fetch(self, route: _Route, query: str, args: Sequence[Any]) -> list[Any]:
        """Run one query of `route`: on its replica, or on the primary (also when the replica fails)."""
        if not route.resolved:
            route.replica = await self.choose(route.user_id)
            route.resolved = True
        replica = route.replica
        if replica is not None:
            try:
                rows = await replica.pool.fetch(query, *args)
            except _RETRY_ON_PRIMARY as exc:
                route.replica = None  # the rest of the block too
                if isinstance(exc, _DOWN):
                    self._down(replica, exc)
                log.warning("replica_read_failed", replica=replica.label, error=type(exc).__name__)
            else:
                metrics.READS_ON_REPLICA.inc()
                return rows
        metrics.READS_ON_PRIMARY.inc()
        return list(await self.primary.fetch(query, *args))

    async def choose(self, user_id: uuid.UUID) -> Replica | None:
        """A replica fit for `user_id`'s reads (in turn), or None for the primary."""
        needed = await self.ledger.needed(user_id)
        if needed is None or not self.replicas:
            return None
        first = next(self._turn)
        for offset in range(len(self.replicas)):
            replica = self.replicas[(first + offset) % len(self.replicas)]
            if replica.state == "down":
                continue  # the monitor tries it again after the pause
            if time.monotonic() - replica.checked_at >= self.cache:
                await self.check(replica)
            if replica.state == "ok" and replica.replayed >= needed:
                return replica
        return None

    async def check(self, replica: Replica) -> None:
        """Refresh what `replica` reports; concurrent callers share one check."""
        task = replica.probing
        if task is None or task.done():
            task = replica.probing = asyncio.create_task(self._probe(replica))
        await asyncio.shield(task)

    async def _primary_position(self) -> int | None:
        try:
            async with asyncio.timeout(PROBE_TIMEOUT_SECONDS):
                return int(await self.primary.fetchval(PRIMARY_POSITION_SQL))
        except (*_RETRY_ON_PRIMARY, TypeError):
            return None

    async def _probe(self, replica: Replica) -> None:
        primary = await self._primary_position()  # first: a replica at or past it is caught up
        try:
            async with asyncio.timeout(PROBE_TIMEOUT_SECONDS):
                row = await replica.pool.fetchrow(REPLICA_STATE_SQL)
        except _RETRY_ON_PRIMARY as exc:
            self._down(replica, exc)
            return
        finally:
            replica.checked_at = time.monotonic()
        if not row["standby"]:
            self._down(replica, RuntimeError("not a standby (promoted, or not a replica)"))
            return
        replica.replayed = int(row["replayed"] or 0)
        behind = row["behind"]
        if primary is not None and replica.replayed >= primary:
            behind = 0.0
        replica.behind = max(0.0, behind) if behind is not None else None
        state = "ok" if replica.behind is not None and replica.behind <= self.max_lag else "lagging"
        if state != replica.state:
            (log.info if state == "ok" else log.warning)(
                "replica_state", replica=replica.label, state=state, was=replica.state, behind_s=replica.behind
            )
        replica.state, replica.error = state, None
        metrics.REPLICA_UP.labels(replica.label).set(1)
        if replica.behind is not None:
            metrics.REPLICA_LAG.labels(replica.label).set(replica.behind)

    def _down(self, replica: Replica, exc: BaseException) -> None:
        if replica.state != "down":
            log.warning("replica_down", replica=replica.label, error=type(exc).__name__, detail=str(exc)[:200])
        replica.state, replica.error = "down", f"{type(exc).__name__}: {str(exc)[:200]}"
        replica.retry_at = time.monotonic() + RETRY_PAUSE_SECONDS
        metrics.REPLICA_UP.labels(replica.label).set(0)

    async def _watch(self) -> None:
        """Check every replica once a second (after its pause, for one that is down): the lag gauge
        stays current without reads, and a replica that is back is used again."""
        while True:
            await asyncio.sleep(MONITOR_INTERVAL_SECONDS)
            now = time.monotonic()
            for replica in self.replicas:
                if replica.state == "down" and now < replica.retry_at:
                    continue
                if now - replica.checked_at >= MONITOR_INTERVAL_SECONDS / 2:
                    await self.check(replica)

    async def report(self) -> list[dict[str, Any]]:
        """Each replica's state, checked now (for /health/ready): never its address."""
        await asyncio.gather(*(self.check(replica) for replica in self.replicas))
        return [
            {
                "replica": replica.label,
                "state": replica.state,
                "lag_seconds": round(replica.behind, 3) if replica.behind is not None else None,
                **({"error": replica.error} if replica.error else {}),
            }
            for replica in self.replicas
        ]


def ttl_ms(max_lag_ms: int, cache_ms: int) -> int:
    """How long a user's write position is kept: past it, any replica within the maximum lag (as
    checked at most `cache_ms` ago) has replayed that write."""
    return max_lag_ms + cache_ms + _TTL_MARGIN_MS
