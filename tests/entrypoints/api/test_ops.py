"""Health probes, metrics, OpenAPI, request ids and error shapes."""

import asyncio

import httpx
import msgspec
import uvicorn

from backend.devtools.embedded_services import free_port
from backend.entrypoints.api import create_app
from backend.settings import Settings


async def test_liveness_and_readiness(client: httpx.AsyncClient) -> None:
    assert (await client.get("/health/live")).json() == {"status": "ok"}
    ready = await client.get("/health/ready")
    assert ready.status_code == 200
    assert ready.json() == {"status": "ok", "checks": {"postgres": "ok", "redis": "ok"}}


async def test_redis_outage_gives_503_on_readiness_and_retryable_problems(settings: Settings, db: None) -> None:
    dead = msgspec.structs.replace(
        settings, redis=msgspec.structs.replace(settings.redis, url=f"redis://127.0.0.1:{free_port()}/0")
    )
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(dead), host="127.0.0.1", port=port, log_level="warning"))
    task = asyncio.create_task(server.serve())
    try:
        while not server.started:
            await asyncio.sleep(0.02)
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as http:
            ready = await http.get("/health/ready")
            live = await http.get("/health/live")
            login = await http.post("/api/v1/auth/login", json={"email": "a@example.com", "password": "whatever1234"})
        assert login.status_code == 503
        assert login.headers["retry-after"] == "5"
        assert login.json()["type"].endswith(":service-unavailable")
        assert ready.status_code == 503
        assert ready.json()["checks"]["postgres"] == "ok"
        assert ready.json()["checks"]["redis"].startswith("error")
        assert live.status_code == 200
    finally:
        server.should_exit = True
        await task


async def test_metrics_count_requests_by_route_template(client: httpx.AsyncClient) -> None:
    for _ in range(3):
        await client.get("/api/v1/me")
    text = (await client.get("/metrics")).text
    assert "career_copilot_requests_total" in text
    lines = [line for line in text.splitlines() if line.startswith("career_copilot_requests_total")]
    me = [line for line in lines if 'path="/api/v1/me"' in line and 'status_code="401"' in line]
    assert me and float(me[0].rsplit(" ", 1)[1]) >= 3
    assert "career_copilot_request_duration_seconds_bucket" in text


async def test_openapi_has_a_unique_operation_id_for_every_operation(client: httpx.AsyncClient) -> None:
    schema = (await client.get("/schema/openapi.json")).json()
    ids = [op["operationId"] for path in schema["paths"].values() for op in path.values() if isinstance(op, dict)]
    assert len(ids) == len(set(ids)) >= 12
    assert {"registerUser", "login", "refreshTokens", "logout", "getMe", "updateMe", "changePassword"} <= set(ids)
    assert "BearerAuth" in schema["components"]["securitySchemes"]


async def test_request_ids_are_echoed_or_generated(client: httpx.AsyncClient) -> None:
    mine = await client.get("/health/live", headers={"X-Request-ID": "req-12345678"})
    assert mine.headers["x-request-id"] == "req-12345678"
    generated = await client.get("/health/live", headers={"X-Request-ID": "bad id\twith spaces"})
    assert len(generated.headers["x-request-id"]) == 32


async def test_unknown_routes_and_methods_are_problem_details(client: httpx.AsyncClient) -> None:
    missing = await client.get("/api/v1/nothing-here")
    assert missing.status_code == 404 and missing.json()["type"].endswith(":not-found")
    wrong = await client.delete("/api/v1/auth/login")
    assert wrong.status_code == 405 and wrong.headers["content-type"].startswith("application/problem+json")


async def test_cors_allows_configured_origins_only(client: httpx.AsyncClient, settings: Settings) -> None:
    allowed = settings.app.allowed_origins[0]
    preflight = {"Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "Authorization"}
    ok = await client.options("/api/v1/auth/login", headers={"Origin": allowed, **preflight})
    assert ok.headers.get("access-control-allow-origin") == allowed
    evil = await client.options("/api/v1/auth/login", headers={"Origin": "https://evil.example", **preflight})
    assert evil.headers.get("access-control-allow-origin") != "https://evil.example"
