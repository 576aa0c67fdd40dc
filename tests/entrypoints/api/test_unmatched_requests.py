"""Requests that reach no route handler (404, 405, a websocket route over plain HTTP, a refused
CORS preflight) get what routed ones get: a request id, an access-log line (route `<unmatched>`)
and a count in /metrics (path label `<unmatched>`, never the raw path). HEAD works on the health probes."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from backend.settings import Settings

PROBLEM = "application/problem+json"
UNROUTED = [
    ("GET", "/api/v1/nope-d41d8cd9", 404),
    ("PATCH", "/health/live", 405),
    ("GET", "/api/v1/realtime", 405),  # the websocket route does not answer plain HTTP
]


class _Lines(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.events: list[dict[str, Any]] = []

    def emit(self, record: logging.LogRecord) -> None:
        if isinstance(record.msg, dict):  # structlog's event dict, before rendering
            self.events.append(dict(record.msg))


@pytest.fixture
def access_log() -> Iterator[list[dict[str, Any]]]:
    """The access lines the app writes meanwhile (the tests' LOG_LEVEL is WARNING: INFO turned on)."""
    logger = logging.getLogger("career_copilot.http")
    lines, level = _Lines(), logger.level
    logger.addHandler(lines)
    logger.setLevel(logging.INFO)
    try:
        yield lines.events
    finally:
        logger.removeHandler(lines)
        logger.setLevel(level)


def _count(exposition: str, method: str, path: str, status: int) -> float:
    pattern = re.compile(r"^career_copilot_requests_total\{(?P<labels>[^}]*)\} (?P<value>\S+)$", re.M)
    for match in pattern.finditer(exposition):
        labels = match["labels"]
        if f'method="{method}"' in labels and f'path="{path}"' in labels and f'status_code="{status}"' in labels:
            return float(match["value"])
    return 0.0


@pytest.mark.parametrize(("method", "path", "status"), UNROUTED, ids=["404", "405", "websocket-route-over-http"])
async def test_unrouted_requests_get_an_id_a_log_line_and_a_count(
    client: httpx.AsyncClient, access_log: list[dict[str, Any]], method: str, path: str, status: int
) -> None:
    before = _count((await client.get("/metrics")).text, method, "<unmatched>", status)
    response = await client.request(method, path, headers={"X-Request-ID": "unrouted-12345678"})
    assert response.status_code == status
    assert response.headers["content-type"].startswith(PROBLEM)
    assert response.headers["x-request-id"] == "unrouted-12345678"
    generated = await client.request(method, path)
    assert re.fullmatch(r"[0-9a-f]{32}", generated.headers["x-request-id"])

    lines = [e for e in access_log if e.get("event") == "request" and e.get("route") == "<unmatched>"]
    assert [(e["method"], e["status"], e["request_id"]) for e in lines] == [
        (method, status, "unrouted-12345678"),
        (method, status, generated.headers["x-request-id"]),
    ]
    exposition = (await client.get("/metrics")).text
    assert _count(exposition, method, "<unmatched>", status) == before + 2
    assert f'path="{path}",status_code="{status}"' not in exposition  # the raw path is never a label value


async def test_an_unknown_method_is_counted_under_a_bounded_label(client: httpx.AsyncClient) -> None:
    response = await client.request("BREW", "/health/live")
    assert response.status_code in (400, 405)  # the HTTP server may refuse it first (httptools does)
    assert "BREW" not in (await client.get("/metrics")).text


async def test_routed_requests_are_counted_by_route_and_not_as_unmatched(client: httpx.AsyncClient) -> None:
    before = (await client.get("/metrics")).text
    assert (await client.get("/health/live")).status_code == 200
    after = (await client.get("/metrics")).text
    assert _count(after, "GET", "/health/live", 200) == _count(before, "GET", "/health/live", 200) + 1
    unmatched = [line for line in after.splitlines() if "<unmatched>" in line and 'method="GET"' in line]
    assert unmatched == [line for line in before.splitlines() if "<unmatched>" in line and 'method="GET"' in line]


async def test_head_works_on_the_health_probes(client: httpx.AsyncClient) -> None:
    for path in ("/health/live", "/health/ready"):
        response = await client.head(path)
        assert response.status_code == 200, path
        assert response.content == b""
        assert "x-request-id" in response.headers


async def test_a_refused_cors_preflight_is_a_problem_with_a_request_id(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    preflight = {"Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "Authorization"}
    evil = await client.options("/api/v1/auth/login", headers={"Origin": "https://evil.example", **preflight})
    assert evil.status_code == 400
    assert evil.headers["content-type"].startswith(PROBLEM)
    problem = evil.json()
    assert problem["type"] == "urn:career-copilot:problem:cors-refused"
    assert problem["status"] == 400 and "Origin" in problem["detail"]
    assert "access-control-allow-origin" not in evil.headers
    assert len(evil.headers["x-request-id"]) == 32
    allowed = settings.app.allowed_origins[0]
    ok = await client.options("/api/v1/auth/login", headers={"Origin": allowed, **preflight})
    assert ok.status_code == 204 and ok.headers["access-control-allow-origin"] == allowed
    assert "x-request-id" in ok.headers
