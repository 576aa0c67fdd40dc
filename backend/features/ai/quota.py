"""Per-user limits on AI endpoints and the daily token budget: 429 with Retry-After.

Requests are counted in fixed windows (a minute, a day) in Redis (`backend.platform.ratelimit`); tokens
are summed from `ai_usage` for the current UTC day, counting model calls only (the builtin provider
is free). Every model call records its usage here, with the user and the letter/analysis it served.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from redis.asyncio import Redis

from backend import errors
from backend.engines.llm import Usage
from backend.features.ai import queries
from backend.platform import ratelimit
from backend.platform.db.tables import AIUsage
from backend.settings import AISettings


def _until_midnight(now: datetime) -> int:
    tomorrow = (now + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    return int((tomorrow - now).total_seconds()) + 1


async def tokens_today(user_id: uuid.UUID, now: datetime | None = None) -> int:
    start = (now or datetime.now(UTC)).replace(hour=0, minute=0, second=0, microsecond=0)
    return await queries.model_tokens_since(user_id, start)


async def admit(redis: Redis, settings: AISettings, user_id: uuid.UUID) -> None:
    """Count one AI request of the user, or raise TooManyRequests (429, Retry-After) if over a limit."""
    windows = [
        ratelimit.Window(f"ai:rl:{user_id}:m", settings.requests_per_minute, 60),
        ratelimit.Window(f"ai:rl:{user_id}:d", settings.requests_per_day, 86400),
    ]
    now = datetime.now(UTC)
    if settings.configured and await tokens_today(user_id, now) >= settings.daily_token_budget:
        raise errors.TooManyRequests("Today's AI token budget is used up", retry_after=_until_midnight(now))
    # checked and counted in one step: concurrent requests cannot all slip under the limit
    if wait := await ratelimit.take(redis, windows):
        raise errors.TooManyRequests("Too many AI requests; try again later", retry_after=wait)


async def record(user_id: uuid.UUID, kind: str, ref_id: uuid.UUID, provider: str, model: str, usage: Usage) -> None:
    await AIUsage(
        user=user_id, kind=kind, ref_id=ref_id, provider=provider, model=model[:100],
        prompt_tokens=usage.prompt_tokens, completion_tokens=usage.completion_tokens, estimated=usage.estimated,
    ).save()  # fmt: skip
