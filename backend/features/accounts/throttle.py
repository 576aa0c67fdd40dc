"""Password guessing limits (docs/security.md, "Passwords and brute force").

Wrong passwords are budgeted per (account, client), a client being an IPv4 address or an IPv6 /64
(`ratelimit.client_key`): a guesser spends the budget of its own client, never the account owner's.
On top of that every account has a budget for all clients together (the slow-down of a distributed
guesser): once it is spent, only clients the account is *known* from may still try, each within its
own budget. A client becomes known to an account by signing in to it with the right password (a
hash of its client key kept in a Redis set per account for `LOGIN_KNOWN_CLIENT_DAYS`): a REST client
and the dashboard both get it without sending anything. A password reset clears every failure
count of the account: its counters carry a generation number that the reset moves on.

Every key of an account carries the digest of its email as its hash tag (`redis_client.tag`): on a
Redis Cluster its windows are checked and counted in one script, and its generation and known
clients are read in one round trip. The per-client window is another subject (another slot):
`ratelimit.take` takes it separately and gives the account's count back when it refuses.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from redis.asyncio import Redis

from backend import errors
from backend.platform import ratelimit, redis_client
from backend.settings import AuthSettings

SIGNED_IN = "signed-in"  # the client of a signed-in user's password re-checks (change, erasure)


def digest(value: str) -> str:
    """Keys in Redis never carry an email or an address in clear."""
    return hashlib.sha256(value.encode()).hexdigest()[:32]


def _account(email: str) -> str:
    """The account's part of its keys: the digest of its email, as their hash tag."""
    return redis_client.tag(digest(email))


def _generation_key(email: str) -> str:
    return f"rl:login:gen:{_account(email)}"


def _known_key(email: str) -> str:
    return f"rl:login:known:{_account(email)}"


def failures_prefix(email: str, generation: int) -> str:
    """The prefix of the account's failure windows of one generation (`<prefix>:c:<client>`, `<prefix>:all`)."""
    return f"rl:login:acct:{_account(email)}:{generation}"


@dataclass
class Attempt:
    """One admitted password attempt: what it counted, to give back or reset when it succeeds."""

    email: str
    client: str
    known: bool
    pair: ratelimit.Window
    refundable: list[str] = field(default_factory=list)


async def admit(redis: Redis, auth: AuthSettings, email: str, client: str, *, per_ip: bool = True) -> Attempt:
    """Count one password attempt on `email` from `client` (an address, or `SIGNED_IN`), or raise
    429 with `Retry-After` when a budget it needs is spent. Checked and counted in one atomic step,
    before any password hashing."""
    client_key = ratelimit.client_key(client)
    pipe = redis.pipeline(transaction=False)
    pipe.get(_generation_key(email))
    pipe.sismember(_known_key(email), digest(client_key))
    generation, known = await pipe.execute()
    prefix = failures_prefix(email, int(generation or 0))
    window = auth.login_window_seconds
    pair = ratelimit.Window(f"{prefix}:c:{digest(client_key)}", auth.login_max_failures_per_account, window)
    windows = [pair]
    if per_ip:
        windows.append(ratelimit.Window(f"rl:login:ip:{client_key}", auth.login_max_failures_per_ip, window))
    if not known and client != SIGNED_IN:
        windows.append(ratelimit.Window(f"{prefix}:all", auth.login_account_slowdown_failures, window))
    if wait := await ratelimit.take(redis, windows):
        raise errors.TooManyRequests("Too many failed sign-in attempts; try again later", retry_after=wait)
    return Attempt(email, client_key, bool(known), pair, [w.key for w in windows[1:]])


async def succeeded(redis: Redis, auth: AuthSettings, attempt: Attempt, *, remember: bool = True) -> None:
    """The right password: its client's failures on the account are forgotten, its own count in the
    shared windows is given back (a NAT signing many people in is not throttled by its successes),
    and the client becomes known to the account."""
    await ratelimit.reset(redis, [attempt.pair.key])
    await ratelimit.refund(redis, attempt.refundable)
    if remember and attempt.client != SIGNED_IN:
        key = _known_key(attempt.email)
        pipe = redis.pipeline(transaction=False)
        pipe.sadd(key, digest(attempt.client))
        pipe.expire(key, auth.known_client_days * 86400)
        await pipe.execute()


async def give_back(redis: Redis, attempt: Attempt) -> None:
    """Un-count an attempt whose password was never checked (the process was too busy to hash)."""
    await ratelimit.refund(redis, [attempt.pair.key, *attempt.refundable])


async def clear(redis: Redis, email: str) -> None:
    """Forget every failure counted on the account (a password reset): the next attempts count in
    fresh windows; the old ones expire on their own."""
    await redis.incr(_generation_key(email))
