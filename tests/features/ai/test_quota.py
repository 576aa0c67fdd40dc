"""Per-user rate limits and the daily token budget on AI endpoints: 429 with Retry-After."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import httpx
import pytest
import redis.asyncio as aioredis

from backend import errors
from backend.engines import llm
from backend.features.ai import quota
from backend.platform.db.tables import AIUsage, CoverLetter
from backend.settings import AISettings, Settings
from tests import ai_fixtures, factories
from tests.plugins.ai import parsed_resume

BODY = {"company": "Northwind Cloud", "role": "Senior Data Engineer", "job_description": ai_fixtures.DATA_JOB}


async def test_the_eleventh_request_in_a_minute_is_429_with_retry_after(
    client: httpx.AsyncClient, settings: Settings, marcus: Any
) -> None:
    account, vid = marcus
    for _ in range(5):
        assert (await client.post("/api/v1/cover-letters", json=BODY, headers=account.headers)).status_code == 202
        analysis = {"resume_version_id": str(vid), "job_description": "Python"}
        assert (await client.post("/api/v1/analyses", json=analysis, headers=account.headers)).status_code == 202
    response = await client.post("/api/v1/cover-letters", json=BODY, headers=account.headers)
    assert response.status_code == 429
    assert response.headers["content-type"].startswith("application/problem+json")
    assert 1 <= int(response.headers["retry-after"]) <= 60
    other = await factories.account(client)  # limits are per user: another user is not limited
    await parsed_resume(settings, other.user_id, ai_fixtures.marcus())
    assert (await client.post("/api/v1/cover-letters", json=BODY, headers=other.headers)).status_code == 202


async def test_concurrent_requests_cannot_slip_past_the_minute_limit(
    client: httpx.AsyncClient, settings: Settings, marcus: Any
) -> None:
    account, _ = marcus
    limit = settings.ai.requests_per_minute
    responses = await asyncio.gather(
        *(client.post("/api/v1/cover-letters", json=BODY, headers=account.headers) for _ in range(2 * limit))
    )
    statuses = sorted(response.status_code for response in responses)
    assert statuses == [202] * limit + [429] * limit  # checked and counted in one step
    assert await CoverLetter.count().where(CoverLetter.user == account.user_id) == limit


async def test_the_daily_token_budget_counts_model_tokens_only(
    client: httpx.AsyncClient, redis: aioredis.Redis, marcus: Any
) -> None:
    account, _ = marcus
    user_id = uuid.UUID(account.user_id)
    settings = AISettings(api_key="sk-test", daily_token_budget=1000)
    await quota.record(user_id, "cover_letter", uuid.uuid4(), "builtin", "builtin-writer-1", llm.Usage(0, 5000))
    await quota.admit(redis, settings, user_id)  # builtin tokens are free
    await AIUsage(user=user_id, kind="cover_letter", ref_id=uuid.uuid4(), provider="openai", model="m",
                  prompt_tokens=700, completion_tokens=300).save()  # fmt: skip
    with pytest.raises(errors.TooManyRequests) as raised:
        await quota.admit(redis, settings, user_id)
    assert 1 <= raised.value.retry_after <= 86401 and "budget" in raised.value.detail
