"""The browser's refresh token lives in an HttpOnly cookie (`X-Refresh-Cookie: 1`), guarded against CSRF;
integrations keep the JSON refresh token."""

from __future__ import annotations

from http.cookies import SimpleCookie

import httpx

from backend.platform.db.tables import Session
from backend.settings import Settings
from tests import factories

COOKIE = "ccp_refresh"


def opted_in(settings: Settings) -> dict[str, str]:
    """What the dashboard sends: the opt-in header, and the Origin browsers add to every POST."""
    return {"X-Refresh-Cookie": "1", "Origin": settings.app.public_url}


def set_cookie(response: httpx.Response) -> tuple[str, dict[str, str | bool]]:
    """The value and attributes of the one `ccp_refresh` Set-Cookie of an answer."""
    headers = [value for value in response.headers.get_list("set-cookie") if value.startswith(f"{COOKIE}=")]
    assert len(headers) == 1, response.headers.get_list("set-cookie")
    parsed = SimpleCookie()
    parsed.load(headers[0])
    morsel = parsed[COOKIE]
    flags = {part.strip().lower() for part in headers[0].split(";")[1:]}
    attributes: dict[str, str | bool] = {key: value for key, value in morsel.items() if value not in ("", False)}
    attributes["httponly"] = "httponly" in flags
    attributes["secure"] = "secure" in flags
    return morsel.value, attributes


async def sign_in_with_cookie(client: httpx.AsyncClient, settings: Settings) -> tuple[factories.Account, str, str]:
    """An account signed in the dashboard's way: (account, access token, refresh cookie)."""
    account = await factories.account(client)
    answer = await client.post(
        "/api/v1/auth/login",
        json={"email": account.email, "password": account.password},
        headers=opted_in(settings),
    )
    assert answer.status_code == 200, answer.text
    assert "refresh_token" not in answer.json()  # no script ever sees it
    value, _ = set_cookie(answer)
    return account, answer.json()["access_token"], value


async def refresh_with_cookie(client: httpx.AsyncClient, cookie: str, headers: dict[str, str]) -> httpx.Response:
    return await client.post("/api/v1/auth/refresh", json={}, headers={**headers, "Cookie": f"{COOKIE}={cookie}"})


async def test_login_sets_an_httponly_secure_strict_cookie_scoped_to_the_auth_routes(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    account = await factories.account(client)
    answer = await client.post(
        "/api/v1/auth/login", json={"email": account.email, "password": account.password}, headers=opted_in(settings)
    )
    assert answer.status_code == 200
    body = answer.json()
    assert set(body) == {"access_token", "token_type", "expires_in"}
    value, attributes = set_cookie(answer)
    assert len(value) >= 32
    assert attributes["httponly"] is True and attributes["secure"] is True
    assert str(attributes["samesite"]).lower() == "strict"
    assert attributes["path"] == "/api/v1/auth"
    assert int(str(attributes["max-age"])) == settings.auth.refresh_ttl_seconds
    assert "domain" not in attributes  # host-only
    assert (
        await client.get("/api/v1/me", headers={"Authorization": f"Bearer {body['access_token']}"})
    ).status_code == 200


async def test_without_the_header_integrations_get_json_tokens_and_no_cookie(client: httpx.AsyncClient) -> None:
    account = await factories.account(client)
    answer = await client.post("/api/v1/auth/login", json={"email": account.email, "password": account.password})
    assert "refresh_token" in answer.json() and "set-cookie" not in answer.headers
    rotated = await client.post("/api/v1/auth/refresh", json={"refresh_token": answer.json()["refresh_token"]})
    assert rotated.status_code == 200 and "refresh_token" in rotated.json() and "set-cookie" not in rotated.headers
    missing = await client.post("/api/v1/auth/refresh", json={})
    assert missing.status_code == 401 and missing.json()["type"].endswith(":invalid-token")


async def test_refresh_through_the_cookie_rotates_it(client: httpx.AsyncClient, settings: Settings) -> None:
    _, _, cookie = await sign_in_with_cookie(client, settings)
    rotated = await refresh_with_cookie(client, cookie, opted_in(settings))
    assert rotated.status_code == 200, rotated.text
    assert set(rotated.json()) == {"access_token", "token_type", "expires_in"}
    new_cookie, attributes = set_cookie(rotated)
    assert new_cookie != cookie and attributes["httponly"] is True and attributes["path"] == "/api/v1/auth"
    access = rotated.json()["access_token"]
    assert (await client.get("/api/v1/me", headers={"Authorization": f"Bearer {access}"})).status_code == 200
    assert (await refresh_with_cookie(client, new_cookie, opted_in(settings))).status_code == 200


async def test_spending_the_cookie_without_the_header_or_from_another_origin_is_refused(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    _, _, cookie = await sign_in_with_cookie(client, settings)
    attempts = {
        "no header": {"Origin": settings.app.public_url},
        "foreign origin": {"X-Refresh-Cookie": "1", "Origin": "https://evil.example"},
        "no origin": {"X-Refresh-Cookie": "1"},
        "null origin": {"X-Refresh-Cookie": "1", "Origin": "null"},
    }
    for name, headers in attempts.items():
        for path in ("/api/v1/auth/refresh", "/api/v1/auth/logout"):
            refused = await client.post(path, json={}, headers={**headers, "Cookie": f"{COOKIE}={cookie}"})
            assert refused.status_code == 403, (name, path, refused.text)
            assert refused.headers["content-type"].startswith("application/problem+json")
            assert refused.json()["type"].endswith(":csrf"), name
            assert "set-cookie" not in refused.headers
    # the cookie was never spent by the refused attempts
    assert (await refresh_with_cookie(client, cookie, opted_in(settings))).status_code == 200
    # a login from a foreign origin gets no cookie either
    account = await factories.account(client)
    foreign = await client.post(
        "/api/v1/auth/login",
        json={"email": account.email, "password": account.password},
        headers={"X-Refresh-Cookie": "1", "Origin": "https://evil.example"},
    )
    assert foreign.status_code == 403 and "set-cookie" not in foreign.headers


async def test_a_reused_cookie_revokes_the_whole_session(client: httpx.AsyncClient, settings: Settings) -> None:
    _, access, stolen = await sign_in_with_cookie(client, settings)
    fresh = await refresh_with_cookie(client, stolen, opted_in(settings))
    fresh_cookie, _ = set_cookie(fresh)
    reuse = await refresh_with_cookie(client, stolen, opted_in(settings))
    assert reuse.status_code == 401 and reuse.json()["type"].endswith(":token-reused")
    assert (await refresh_with_cookie(client, fresh_cookie, opted_in(settings))).status_code == 401
    for token in (access, fresh.json()["access_token"]):
        assert (await client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})).status_code == 401
    revoked = await Session.count().where(Session.revoked_reason == "refresh_reuse")
    assert revoked == 1


async def test_logout_ends_the_cookies_session_and_clears_it(client: httpx.AsyncClient, settings: Settings) -> None:
    _, access, cookie = await sign_in_with_cookie(client, settings)
    out = await client.post(
        "/api/v1/auth/logout", json={}, headers={**opted_in(settings), "Cookie": f"{COOKIE}={cookie}"}
    )
    assert out.status_code == 204
    value, attributes = set_cookie(out)
    assert value == "" and int(str(attributes["max-age"])) == 0 and attributes["path"] == "/api/v1/auth"
    assert (await client.get("/api/v1/me", headers={"Authorization": f"Bearer {access}"})).status_code == 401
    assert (await refresh_with_cookie(client, cookie, opted_in(settings))).status_code == 401
    # signing out with no cookie left (another tab did) still answers 204 and clears it
    again = await client.post("/api/v1/auth/logout", json={}, headers=opted_in(settings))
    assert again.status_code == 204 and set_cookie(again)[0] == ""
    # without a cookie, the opted-in refresh is a plain 401 (the dashboard shows its sign-in form)
    none = await client.post("/api/v1/auth/refresh", json={}, headers=opted_in(settings))
    assert none.status_code == 401
