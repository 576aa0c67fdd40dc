"""Which sign-in sessions are valid, remembered per api process and kept exact through Redis.

Every request with a session JWT used to ask Postgres whether the user is active and the session
neither revoked nor expired: about 200 µs of the api's CPU (asyncpg round trip and the `User` row)
plus Postgres' own work, the largest cost of a cached read (docs/benchmarks.md). Now each process
remembers the answer per (user, session), and every request checks that it still holds with one
Redis read of the user's *stamp* (`auth:stamp:<user id>`, a random value) on the cache client:
the memo is used only while the stamp is the one read before the Postgres query that filled it.
A cached read names the entry it will serve (`want`), and the stamp and that entry come back in one
Redis command (`Cache.guarded_lookup`).

Every change to who may sign in as a user (logout, refresh-token reuse, password change or reset,
disabling, role change, erasure) runs inside `AuthChanges`, which
1. before the change commits, replaces the stamp with a *changing* marker, or fails (503) and
   changes nothing: no process can keep using its memo after this, and none fills it while the
   marker stands;
2. after the commit, replaces its own marker with a new random stamp (a newer change's marker is
   left alone). If that write is lost, the marker expires after `CHANGING_TTL_SECONDS` and the memo
   is simply not used for that user until then.
So the change is seen by the very next request on every api process. A change that ends sessions also
names them (`changes.end_sockets`): once it has committed, the same step publishes `!end` on the
user's realtime channel, and every api process closes the sockets opened with them (4001). Random stamps are never
reused, so a stamp that expires or is lost with a Redis restart also reads as "changed". Other edits
of the user's row (profile, email verification) refresh the stamp after they commit
(`row_changed`), so the remembered `User` is never older than the last change made through the app.

Redis unreachable: the memo is not used, every request asks Postgres (as before). A change made
behind the app's back (SQL by hand) is seen once the memo entry is `max_age` seconds old
(`SESSION_MEMO_SECONDS`, 0 turns the memo off). No Litestar import.
"""

from __future__ import annotations

import itertools
import os
import secrets
import time
import uuid
from dataclasses import dataclass
from types import TracebackType

import structlog
from redis.asyncio import Redis

from backend.features.accounts import queries as repo
from backend.platform import redis_client
from backend.platform.cache import Cache, Guard, Hit
from backend.platform.db.tables import User
from backend.platform.logging import user_hash
from backend.platform.realtime import publisher

log = structlog.get_logger("career_copilot.sessions")

STAMP_TTL_SECONDS = 86_400  # an idle user's stamp goes away; a new one is drawn on their next request
CHANGING_TTL_SECONDS = 60  # longest a change may take between its marker and its commit
CHANGING = b"changing:"
MAX_ENTRIES = 10_000

# After a change: a new stamp, unless another change has put its own marker in the meantime.
_SETTLE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[2], 'EX', ARGV[3])
end
"""


# After an edit that does not change who may sign in: a new stamp, unless a change is under way
# (its marker must stand until that change has committed).
_REFRESH = """
local stamp = redis.call('GET', KEYS[1])
if not stamp or string.sub(stamp, 1, string.len(ARGV[3])) ~= ARGV[3] then
  redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2])
end
"""


def stamp_key(user_id: uuid.UUID) -> str:
    """The user's stamp, tagged with the user (`redis_client.tag`): on a Redis Cluster it shares a
    slot with the user's cached answers, which `Cache.guarded_lookup` reads in the same script."""
    return f"auth:stamp:{redis_client.tag(user_id)}"


_stamp_prefix = secrets.token_hex(12)  # drawn per process (again in a forked child)
_stamp_counter = itertools.count()


def _new_process_prefix() -> None:
    global _stamp_prefix
    _stamp_prefix = secrets.token_hex(12)


os.register_at_fork(after_in_child=_new_process_prefix)


def _new_stamp() -> str:
    """A value no process ever drew before: a random per-process prefix and a counter. Drawn on
    every request (in case the stamp is missing), so it must be cheap: `token_hex` was ~2% of a
    cached read."""
    return f"{_stamp_prefix}{next(_stamp_counter):x}"


@dataclass(slots=True)
class _Entry:
    user: User
    stamp: bytes
    session_expires_at: float  # epoch seconds
    fresh_until: float  # monotonic


class SessionMemo:
    """Per-process memo of valid sessions (see the module docstring)."""

    def __init__(self, cache: Cache | None, *, max_age_seconds: float, max_entries: int = MAX_ENTRIES) -> None:
        self.cache = cache if max_age_seconds > 0 else None
        self.max_age = max_age_seconds
        self.max_entries = max_entries
        self._entries: dict[tuple[uuid.UUID, uuid.UUID], _Entry] = {}

    async def active_user(
        self, user_id: uuid.UUID, session_id: uuid.UUID, want: tuple[str, str] | None = None
    ) -> tuple[User | None, Hit | None]:
        """The user if active and `session_id` is a live session of theirs (else None), and the
        lookup of the cache entry `want` (namespace, suffix) made in the same round trip."""
        stamp, hit = None, None
        if self.cache is not None:  # read BEFORE Postgres: a change after it moves the stamp
            guard = Guard(stamp_key(user_id), _new_stamp(), STAMP_TTL_SECONDS)
            stamp, hit = await self.cache.guarded_lookup(guard, want)
        key = (user_id, session_id)
        entry = self._entries.get(key)
        if (
            entry is not None
            and entry.stamp == stamp
            and time.monotonic() < entry.fresh_until
            and time.time() < entry.session_expires_at
        ):
            return entry.user, hit
        found = await repo.active_user_in_session(user_id, session_id)
        if found is None or stamp is None or stamp.startswith(CHANGING):
            self._entries.pop(key, None)
            return (found[0] if found is not None else None), hit
        user, session_expires_at = found
        if len(self._entries) >= self.max_entries and key not in self._entries:
            del self._entries[next(iter(self._entries))]  # the oldest entry
        self._entries[key] = _Entry(user, stamp, session_expires_at.timestamp(), time.monotonic() + self.max_age)
        return user, hit


class AuthChanges:
    """`async with AuthChanges(redis) as changes, DB.transaction():` around a change of who may sign
    in; `await changes.add(user_id)` for each user concerned, before the transaction commits. Raises
    the Redis error (a 503, with the transaction rolled back) when the marker cannot be written."""

    def __init__(self, redis: Redis) -> None:
        self.redis = redis
        self._markers: dict[uuid.UUID, str] = {}
        self._ended: list[tuple[uuid.UUID, list[str], tuple[str, ...]]] = []

    async def add(self, user_id: uuid.UUID) -> None:
        if user_id in self._markers:
            return
        marker = CHANGING.decode() + _new_stamp()
        await self.redis.set(stamp_key(user_id), marker, ex=CHANGING_TTL_SECONDS)
        self._markers[user_id] = marker

    def end_sockets(self, user_id: uuid.UUID, ended: list[str], keep: tuple[str, ...] = ()) -> None:
        """Once the change has committed, close the user's realtime sockets opened with a credential
        in `ended` (`s:<session id>`, `p:<token id>`, `s:*`, `p:*`) and not in `keep` (4001), on every
        api process. Nothing is sent when the change fails."""
        self._ended.append((user_id, ended, keep))

    async def __aenter__(self) -> AuthChanges:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        for user_id, marker in self._markers.items():
            try:
                await self.redis.eval(_SETTLE, 1, stamp_key(user_id), marker, _new_stamp(), str(STAMP_TTL_SECONDS))
            except redis_client.ERRORS as error:  # the marker expires on its own
                log.warning("session_stamp_not_settled", user_hash=user_hash(user_id), error=type(error).__name__)
        if exc_type is not None:
            return  # rolled back (or refused): no session ended
        for user_id, ended, keep in self._ended:
            try:
                await publisher.end_sockets(self.redis, user_id, ended, keep)
            except redis_client.ERRORS as error:  # the sockets close at their deadline (4002) at the latest
                log.warning("session_sockets_not_closed", user_hash=user_hash(user_id), error=type(error).__name__)


async def row_changed(redis: Redis, user_id: uuid.UUID) -> None:
    """After a committed edit of the user's row that does not change who may sign in: a new stamp,
    so that memos holding the old row reload it. Best effort (they do anyway after `max_age`)."""
    try:
        await redis.eval(_REFRESH, 1, stamp_key(user_id), _new_stamp(), str(STAMP_TTL_SECONDS), CHANGING.decode())
    except redis_client.ERRORS as error:
        log.warning("session_stamp_not_refreshed", user_hash=user_hash(user_id), error=type(error).__name__)
