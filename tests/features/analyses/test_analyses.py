"""Resume analysis end to end: api → outbox → worker → `analysis.completed` on the owner's socket → GET."""

from __future__ import annotations

from typing import Any

import httpx
import redis.asyncio as aioredis

from backend.settings import Settings
from tests import ai_fixtures, factories, support
from tests.plugins.fake_openai import FakeOpenAI, Reply, words
from tests.plugins.processes import WORKER_ARGS
from tests.plugins.realtime import user_socket
from tests.support import eventually, settings_env


def _done(events: list[dict[str, Any]], analysis_id: str) -> bool:
    return any(e["type"].startswith("analysis.") and e["data"]["analysis_id"] == analysis_id for e in events)


async def test_an_analysis_scores_the_resume_against_an_application(
    client: httpx.AsyncClient, app_url: str, redis: aioredis.Redis, services: support.SessionServices,
    settings: Settings, spawn: Any, marcus: Any,
) -> None:  # fmt: skip
    account, vid = marcus
    app = await client.post(
        "/api/v1/applications",
        json={"company": "Northwind Cloud", "role": "Data Engineer", "job_description": ai_fixtures.DATA_JOB},
        headers=account.headers,
    )
    spawn("backend.entrypoints.worker", settings_env(services), *WORKER_ARGS)
    async with user_socket(redis, app_url, account.user_id) as socket:
        response = await client.post(
            "/api/v1/analyses", json={"application_id": app.json()["id"]}, headers=account.headers
        )
        assert response.status_code == 202, response.text
        aid = response.json()["id"]
        events = await socket.until(lambda evs: _done(evs, aid), within=30)
    done = [e for e in events if e["type"] == "analysis.completed"]
    result = (await client.get(f"/api/v1/analyses/{aid}", headers=account.headers)).json()
    assert result["status"] == "completed" and done[0]["data"]["score"] == result["score"]
    assert 0 <= result["score"] <= 100
    assert {"Spark", "Airflow", "Python", "Snowflake", "dbt", "SQL"} <= set(result["keywords"]["matched"])
    assert {"Kubernetes", "PostgreSQL"} <= set(result["keywords"]["missing"])
    assert {c["id"] for c in result["checks"]} == {
        "contact_complete", "sections_present", "quantified_achievements", "action_verbs", "length", "dates_consistent",
    }  # fmt: skip
    assert result["suggestions"] and result["narrative"] is None and result["provider"] == "builtin"
    # the nested form, and BOLA
    nested = await client.post(
        f"/api/v1/resumes/{uuid_of_resume(result)}/versions/{vid}/analyses",
        json={"job_description": "Python"},
        headers=account.headers,
    )
    assert nested.status_code in (202, 404)
    other = await factories.account(client)
    assert (await client.get(f"/api/v1/analyses/{aid}", headers=other.headers)).status_code == 404
    stolen = await client.post("/api/v1/analyses", json={"resume_version_id": str(vid), "job_description": "Go"},
                               headers=other.headers)  # fmt: skip
    assert stolen.status_code == 404
    empty = await client.post("/api/v1/analyses", json={"resume_version_id": str(vid)}, headers=account.headers)
    assert empty.status_code == 422 and empty.headers["content-type"].startswith("application/problem+json")


def uuid_of_resume(result: dict[str, Any]) -> str:
    return "00000000-0000-0000-0000-000000000000"  # a resume the version is not in: 404


async def test_with_a_model_configured_the_analysis_gets_a_narrative(
    client: httpx.AsyncClient, services: support.SessionServices, settings: Settings, spawn: Any, marcus: Any,
    fake_openai: FakeOpenAI,
) -> None:  # fmt: skip
    account, vid = marcus
    narrative = "Strong pipeline experience; add Kubernetes and PostgreSQL work if you have it."
    fake_openai.script = [Reply(pieces=words(narrative))]
    env = settings_env(services, OPENAI_BASE_URL=fake_openai.url, OPENAI_MODEL="test-model")
    spawn("backend.entrypoints.worker", env, *WORKER_ARGS)
    response = await client.post(
        "/api/v1/analyses", json={"resume_version_id": str(vid), "job_description": ai_fixtures.DATA_JOB},
        headers=account.headers,
    )  # fmt: skip
    aid = response.json()["id"]

    async def completed() -> dict[str, Any] | None:
        body = (await client.get(f"/api/v1/analyses/{aid}", headers=account.headers)).json()
        return body if body["status"] in ("completed", "failed") else None

    result = await eventually(completed, 30, "the analysis")
    assert isinstance(result, dict)
    assert result["status"] == "completed" and result["narrative"] == narrative and result["provider"] == "openai"
    assert "FINDINGS" in fake_openai.requests[0]["messages"][1]["content"]
