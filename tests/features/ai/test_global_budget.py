"""The system-wide daily AI spend cap: however many accounts share it, once the day's model tokens of
all users reach AI_GLOBAL_DAILY_TOKEN_BUDGET, new AI work answers 503 with Retry-After until
midnight UTC. The day's spend is one Redis counter raised atomically by each recorded model call,
seeded from `ai_usage` when Redis lost it, and not lowered when accounts are erased."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import httpx
import pytest_asyncio
import redis.asyncio as aioredis

from backend.engines import llm
from backend.features.ai import quota
from backend.platform.db.tables import Analysis, CoverLetter
from backend.settings import Settings
from tests import ai_fixtures, factories, support
from tests.plugins.ai import parsed_resume
from tests.plugins.services import served
from tests.support import settings_env

LETTER = {"company": "Northwind Cloud", "role": "Senior Data Engineer", "job_description": ai_fixtures.DATA_JOB}
CAP = 1000


@pytest_asyncio.fixture
async def capped(services: support.SessionServices, db: None) -> AsyncIterator[httpx.AsyncClient]:
    """An api with a model configured (never called here: admission happens before any call), a
    global cap of 1000 tokens and a per-user budget far above it."""
    from backend.entrypoints.api import create_app

    env = settings_env(
        services,
        OPENAI_BASE_URL="http://127.0.0.1:9/v1",
        AI_GLOBAL_DAILY_TOKEN_BUDGET=str(CAP),
        AI_DAILY_TOKEN_BUDGET="1000000",
    )
    async with served(create_app(Settings.from_env(env))) as url, httpx.AsyncClient(base_url=url, timeout=30) as http:
        yield http


async def spend(redis: aioredis.Redis, user_id: str, tokens: int) -> None:
    """What a worker does after a model call: the usage row, then the day's global counter."""
    usage = llm.Usage(prompt_tokens=tokens // 2, completion_tokens=tokens - tokens // 2)
    await quota.record(uuid.UUID(user_id), "cover_letter", uuid.uuid4(), "openai", "gpt-test", usage)
    await quota.count_spend(redis, "openai", usage)


async def ai_requests(
    client: httpx.AsyncClient, settings: Settings, account: factories.Account
) -> list[httpx.Response]:
    vid = await parsed_resume(settings, account.user_id, ai_fixtures.marcus())
    analysis = {"resume_version_id": str(vid), "job_description": "Python"}
    return [
        await client.post("/api/v1/cover-letters", json=LETTER, headers=account.headers),
        await client.post("/api/v1/analyses", json=analysis, headers=account.headers),
    ]


def assert_capped(response: httpx.Response) -> None:
    assert response.status_code == 503, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["type"].endswith(":ai-daily-budget-exhausted")
    now = datetime.now(UTC)
    until_midnight = 86400 - (now.hour * 3600 + now.minute * 60 + now.second)
    assert abs(int(response.headers["retry-after"]) - until_midnight) <= 5


async def test_throwaway_accounts_share_one_daily_cap(
    capped: httpx.AsyncClient, settings: Settings, redis: aioredis.Redis
) -> None:
    first, second, fresh = [await factories.account(capped) for _ in range(3)]
    # under the cap: work is admitted
    await spend(redis, first.user_id, 600)
    assert [r.status_code for r in await ai_requests(capped, settings, fresh)] == [202, 202]
    # each user far under their own budget, together at the cap: nobody gets new AI work
    await spend(redis, second.user_id, 400)
    newcomer = await factories.account(capped)
    for response in await ai_requests(capped, settings, newcomer):
        assert_capped(response)
    assert await CoverLetter.count().where(CoverLetter.user == newcomer.user_id) == 0
    assert await Analysis.count().where(Analysis.user == newcomer.user_id) == 0
    # erasing the accounts that spent it does not give the budget back
    for account in (first, second):
        erased = await capped.request(
            "DELETE", "/api/v1/me", json={"password": account.password}, headers=account.headers
        )
        assert erased.status_code == 204
    assert_capped(await capped.post("/api/v1/cover-letters", json=LETTER, headers=fresh.headers))
    # exported for alerting
    metrics = (await capped.get("/metrics")).text
    assert f"career_copilot_ai_tokens_spent_today {float(CAP)}" in metrics
    assert 'career_copilot_ai_refused_total{budget="global"}' in metrics


async def test_the_counter_survives_redis_losing_it(
    capped: httpx.AsyncClient, settings: Settings, redis: aioredis.Redis
) -> None:
    spender, other = await factories.account(capped), await factories.account(capped)
    await spend(redis, spender.user_id, CAP)
    await redis.flushdb()  # Redis restarted without its data: the counter is gone
    assert_capped((await ai_requests(capped, settings, other))[0])  # seeded again from ai_usage
    assert int(await redis.get(quota.spend_key(datetime.now(UTC))) or 0) == CAP


async def test_concurrent_spends_are_all_counted(redis: aioredis.Redis, db: None) -> None:
    user = await factories_user()
    assert await quota.spent_today(redis) == 0  # seeds the day's counter
    await asyncio.gather(*(spend(redis, user, 10) for _ in range(100)))
    assert await quota.spent_today(redis) == 1000
    await quota.count_spend(redis, "builtin", llm.Usage(0, 5000))  # the offline writer is free
    assert await quota.spent_today(redis) == 1000


async def factories_user() -> str:
    from tests.plugins.resumes import new_user

    return str(await new_user())
