"""Every request writes one JSON access line that Loki and Grafana can slice (docs/deployment.md "Logs"):
request id, route template (not the raw path), status, duration and the caller's hashed id, never
the caller's id or email. The lines are rendered by the formatter production uses (`LOG_JSON=true`)."""

from __future__ import annotations

import io
import json
import logging
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from backend.platform.logging import formatter, user_hash
from tests import factories


@pytest.fixture
def json_lines() -> Iterator[io.StringIO]:
    """What the api writes meanwhile, rendered as in production (the tests' LOG_LEVEL is WARNING)."""
    logger = logging.getLogger("career_copilot.http")
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.setFormatter(formatter(json=True))
    level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        yield out
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)


def _line(out: io.StringIO, request_id: str) -> tuple[str, dict[str, Any]]:
    (line,) = [raw for raw in out.getvalue().splitlines() if json.loads(raw).get("request_id") == request_id]
    return line, json.loads(line)


async def test_a_request_line_carries_the_route_status_duration_and_a_hashed_user(
    client: httpx.AsyncClient, json_lines: io.StringIO
) -> None:
    account = await factories.account(client)
    created = await client.post(
        "/api/v1/applications", json={"company": "Acme", "role": "Engineer"}, headers=account.headers
    )
    assert created.status_code == 201, created.text
    application_id = created.json()["id"]

    response = await client.get(
        f"/api/v1/applications/{application_id}", headers={**account.headers, "X-Request-ID": "log-line-0001"}
    )
    assert response.status_code == 200
    raw, line = _line(json_lines, "log-line-0001")

    assert line["event"] == "request"
    assert line["level"] == "info"
    assert line["method"] == "GET"
    assert line["route"] == "/api/v1/applications/{application_id}"
    assert line["status"] == 200
    assert isinstance(line["duration_ms"], float | int) and line["duration_ms"] >= 0
    assert line["user_hash"] == user_hash(uuid.UUID(account.user_id)) == user_hash(account.user_id)
    assert "path" not in line and "user_id" not in line
    for secret in (account.email, account.user_id, account.user_id.replace("-", ""), application_id, account.password):
        assert secret not in raw, f"{secret!r} in the access line"


async def test_anonymous_and_unmatched_requests_have_no_user_and_no_raw_path(
    client: httpx.AsyncClient, json_lines: io.StringIO
) -> None:
    email = factories.unique_email("nobody")
    refused = await client.post(
        "/api/v1/auth/login",
        json={"email": email, "password": "wrong-password-1"},
        headers={"X-Request-ID": "log-line-0002"},
    )
    assert refused.status_code == 401
    missing = await client.get(f"/api/v1/nope/{email}", headers={"X-Request-ID": "log-line-0003"})
    assert missing.status_code == 404

    raw, login = _line(json_lines, "log-line-0002")
    assert (login["route"], login["status"], login["user_hash"]) == ("/api/v1/auth/login", 401, None)
    assert email not in raw
    raw, unmatched = _line(json_lines, "log-line-0003")
    assert (unmatched["route"], unmatched["status"]) == ("<unmatched>", 404)
    assert email not in raw and "/api/v1/nope" not in raw
