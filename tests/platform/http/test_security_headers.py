"""Every answer carries the browser protections (CSP, nosniff, Referrer-Policy, framing, HSTS on https);
answers to credentialed requests and auth routes are never cached; the dashboard's files keep theirs."""

from __future__ import annotations

import httpx
import msgspec

from backend.entrypoints.api import create_app
from backend.platform.http import dashboard
from backend.settings import Settings
from tests import factories
from tests.plugins.services import served

STRICT_DIRECTIVES = {
    "default-src 'self'",
    "frame-ancestors 'none'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
}


def directives(response: httpx.Response) -> set[str]:
    return {part.strip() for part in response.headers["content-security-policy"].split(";")}


def assert_protected(response: httpx.Response) -> None:
    found = directives(response)
    assert found >= STRICT_DIRECTIVES, found
    # no inline code anywhere: no script-src/style-src loosening, nothing 'unsafe-…'
    assert "unsafe" not in response.headers["content-security-policy"]
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "no-referrer"
    assert response.headers["x-frame-options"] == "DENY"
    assert len(response.headers.get_list("content-security-policy")) == 1


async def test_the_dashboard_and_its_files_are_protected_and_keep_their_caching(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    index = await client.get("/")
    assert index.status_code == 200
    assert_protected(index)
    connect = next(part for part in directives(index) if part.startswith("connect-src"))
    public = settings.app.public_url.removeprefix("http://")
    assert connect == f"connect-src 'self' ws://{public}"  # the realtime socket's origin, from PUBLIC_URL
    assert "strict-transport-security" not in index.headers  # PUBLIC_URL is http here
    for path in ("/", "/js/dashboard/src/main.js", "/styles.css"):
        static = await client.get(path)
        assert_protected(static)
        assert "no-store" not in static.headers.get("cache-control", ""), path  # static files stay cacheable
        assert "etag" in static.headers or "last-modified" in static.headers, path


async def test_the_email_link_pages_are_protected_and_never_cached(client: httpx.AsyncClient) -> None:
    for path in dashboard.EMAIL_LINK_PATHS:
        page = await client.get(f"{path}?token=x")
        assert page.status_code == 200
        assert_protected(page)
        assert page.headers.get_list("cache-control") == ["no-store"]


async def test_authenticated_json_and_auth_routes_are_never_cached(client: httpx.AsyncClient) -> None:
    user = await factories.account(client)
    for path in ("/api/v1/me", "/api/v1/applications"):
        answer = await client.get(path, headers=user.headers)
        assert answer.status_code == 200, answer.text
        assert_protected(answer)
        # exactly one Cache-Control: the handler's own (`private, no-cache`) is replaced
        assert answer.headers.get_list("cache-control") == ["no-store"], path
    listed = await client.get("/api/v1/applications", headers=user.headers)
    assert "etag" in listed.headers  # conditional requests still work for clients that send If-None-Match
    revalidated = await client.get(
        "/api/v1/applications", headers={**user.headers, "If-None-Match": listed.headers["etag"]}
    )
    assert revalidated.status_code == 304 and revalidated.headers.get_list("cache-control") == ["no-store"]
    # a bearer that does not authenticate is still a credentialed request
    refused = await client.get("/api/v1/me", headers={"Authorization": "Bearer nope"})
    assert refused.status_code == 401 and refused.headers["cache-control"] == "no-store"
    assert_protected(refused)
    # every auth route, answered or refused, with or without credentials
    signed_in = await client.post("/api/v1/auth/login", json={"email": user.email, "password": user.password})
    assert signed_in.status_code == 200 and signed_in.headers["cache-control"] == "no-store"
    bad = await client.post("/api/v1/auth/refresh", json={"refresh_token": "x" * 43})
    assert bad.status_code == 401 and bad.headers["cache-control"] == "no-store"
    assert_protected(bad)


async def test_unrouted_answers_are_protected_too(client: httpx.AsyncClient) -> None:
    missing = await client.get("/api/v1/no-such-route")
    assert missing.status_code == 404
    assert_protected(missing)
    health = await client.get("/health/live")
    assert_protected(health)
    assert "no-store" not in health.headers.get("cache-control", "")  # no credentials: not private


async def test_hsts_and_a_wss_socket_origin_only_with_an_https_public_url(settings: Settings) -> None:
    https = msgspec.structs.replace(
        settings, app=msgspec.structs.replace(settings.app, public_url="https://copilot.example")
    )
    async with served(create_app(https)) as url, httpx.AsyncClient(base_url=url) as http:
        for path in ("/", "/health/live", "/api/v1/me"):
            answer = await http.get(path)
            assert answer.headers["strict-transport-security"] == "max-age=31536000; includeSubDomains", path
            assert "connect-src 'self' wss://copilot.example" in directives(answer)
