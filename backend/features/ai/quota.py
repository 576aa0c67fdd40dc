"""Limits on AI endpoints: per-user request windows and daily token budget (429 with Retry-After),
and the system-wide daily spend cap (503 with Retry-After until midnight UTC).

Requests are counted in fixed windows (a minute, a day) in Redis (`backend.platform.ratelimit`); a
user's tokens are summed from `ai_usage` for the current UTC day, counting model calls only (the
builtin provider is free). Every model call records its usage here, with the user and the
letter/analysis it served.

The global cap exists because per-user budgets multiply with accounts, and accounts are free. The
day's spend of all users is one Redis counter (`ai:spend:<YYYY-MM-DD>`), raised atomically (INCRBY)
by each recorded model call once its transaction committed, and read by every admission. When the
key is missing (the first call of the day, or Redis lost its data) the first reader seeds it from
`ai_usage` (the sum of today's model tokens, `SET NX`, so concurrent seeders agree); from then on
the counter only grows. So after a Redis loss the cap is back to the truth in Postgres, except for
tokens of users erased meanwhile (their rows go with them) and of calls committed between the seed's
sum and their own INCRBY (an increment on a missing key is skipped so as not to double count):
bounded, and the counter is never reset by deleting accounts. Work admitted before the cap was
reached still runs, so the day may overshoot by what the letters and analyses in flight spend
(each at most `AI_MAX_OUTPUT_TOKENS` plus its prompt).
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import structlog
from prometheus_client import Counter, Gauge
from redis.asyncio import Redis

from backend import errors
from backend.engines.llm import Usage
from backend.features.ai import queries
from backend.platform import ratelimit, redis_client
from backend.platform.db.tables import AIUsage
from backend.settings import AISettings

log = structlog.get_logger("career_copilot.ai.quota")

SPEND_TTL_SECONDS = 2 * 86400  # a day's counter outlives its day, then goes
GLOBAL_BUDGET_SLUG = "ai-daily-budget-exhausted"

SPENT_TODAY = Gauge(
    "career_copilot_ai_tokens_spent_today", "Model tokens all users spent this UTC day (as of the last admission)"
)
DAILY_CAP = Gauge("career_copilot_ai_global_daily_token_budget", "AI_GLOBAL_DAILY_TOKEN_BUDGET (0: no cap)")
REFUSED = Counter("career_copilot_ai_refused", "AI requests refused by a budget", ["budget"])

# KEYS[1] the day's counter; ARGV[1] tokens. Raised only when it exists: a missing one is seeded
# from Postgres by the next reader, which already sees these tokens.
_ADD = """
if redis.call('EXISTS', KEYS[1]) == 1 then return redis.call('INCRBY', KEYS[1], ARGV[1]) end
return false
"""


def _until_midnight(now: datetime) -> int:
    tomorrow = (now + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    return int((tomorrow - now).total_seconds()) + 1


def _day_start(now: datetime) -> datetime:
    return now.replace(hour=0, minute=0, second=0, microsecond=0)


def rate_key(user_id: uuid.UUID, span: str) -> str:
    """The user's AI request window of `span` (`m` a minute, `d` a day). Tagged with the user: on a
    Redis Cluster both windows share a slot and are checked and counted in one script."""
    return f"ai:rl:{redis_client.tag(user_id)}:{span}"


def spend_key(now: datetime) -> str:
    return f"ai:spend:{now.astimezone(UTC).date().isoformat()}"


async def tokens_today(user_id: uuid.UUID, now: datetime | None = None) -> int:
    return await queries.model_tokens_since(user_id, _day_start(now or datetime.now(UTC)))


async def spent_today(redis: Redis, now: datetime | None = None) -> int:
    """Model tokens all users spent this UTC day: the Redis counter, seeded from `ai_usage` when missing."""
    now = now or datetime.now(UTC)
    key = spend_key(now)
    value = await redis.get(key)
    if value is None:
        total = await queries.all_model_tokens_since(_day_start(now))
        await redis.set(key, total, ex=SPEND_TTL_SECONDS, nx=True)
        value = await redis.get(key)
    spent = int(value) if value is not None else total
    SPENT_TODAY.set(spent)
    return spent


async def admit(redis: Redis, settings: AISettings, user_id: uuid.UUID) -> None:
    """Count one AI request of the user, or raise TooManyRequests (429, Retry-After) if over a user
    limit, or ServiceUnavailable (503, Retry-After) once the whole system's daily spend reached its cap."""
    windows = [
        ratelimit.Window(rate_key(user_id, "m"), settings.requests_per_minute, 60),
        ratelimit.Window(rate_key(user_id, "d"), settings.requests_per_day, 86400),
    ]
    now = datetime.now(UTC)
    if settings.configured:
        cap = settings.global_daily_token_budget
        DAILY_CAP.set(cap)
        if cap and await spent_today(redis, now) >= cap:
            REFUSED.labels("global").inc()
            raise errors.ServiceUnavailable(
                "The service's AI budget for today is used up; AI features are back after midnight UTC",
                slug=GLOBAL_BUDGET_SLUG,
                retry_after=_until_midnight(now),
            )
        if await tokens_today(user_id, now) >= settings.daily_token_budget:
            REFUSED.labels("user").inc()
            raise errors.TooManyRequests("Today's AI token budget is used up", retry_after=_until_midnight(now))
    # checked and counted in one step: concurrent requests cannot all slip under the limit
    if wait := await ratelimit.take(redis, windows):
        REFUSED.labels("rate").inc()
        raise errors.TooManyRequests("Too many AI requests; try again later", retry_after=wait)


async def record(user_id: uuid.UUID, kind: str, ref_id: uuid.UUID, provider: str, model: str, usage: Usage) -> None:
    """The usage row of one model call (in the caller's transaction); then call `count_spend`."""
    await AIUsage(
        user=user_id, kind=kind, ref_id=ref_id, provider=provider, model=model[:100],
        prompt_tokens=usage.prompt_tokens, completion_tokens=usage.completion_tokens, estimated=usage.estimated,
    ).save()  # fmt: skip


async def count_spend(redis: Redis | None, provider: str, usage: Usage, now: datetime | None = None) -> None:
    """Add a committed model call's tokens to the day's global spend (best effort: a Redis outage here
    under-counts by this call; the builtin provider is free)."""
    tokens = usage.prompt_tokens + usage.completion_tokens
    if redis is None or provider == "builtin" or tokens <= 0:
        return
    try:
        await redis.register_script(_ADD)(keys=[spend_key(now or datetime.now(UTC))], args=[tokens])
    except Exception as exc:
        log.warning("ai_spend_not_counted", tokens=tokens, error=type(exc).__name__)
