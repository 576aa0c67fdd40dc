"""Admin endpoints: role guard, cursor pagination, disabling accounts, the set-role CLI."""

import asyncio
import sys
from asyncio.subprocess import PIPE

import httpx
import pytest

from backend.platform.db.tables import User
from tests import factories
from tests.support import ROOT, SessionServices, settings_env


async def _admin(client: httpx.AsyncClient) -> factories.Account:
    account = await factories.account(client)
    await User.update({User.role: "admin"}).where(User.id == account.user_id)
    return account


async def test_users_and_personal_tokens_cannot_use_admin_routes(client: httpx.AsyncClient) -> None:
    user = await factories.account(client)
    response = await client.get("/api/v1/admin/users", headers=user.headers)
    assert response.status_code == 403 and response.json()["type"].endswith(":admin-required")
    admin = await _admin(client)
    pat = await client.post("/api/v1/me/tokens", json={"name": "x", "scopes": ["read"]}, headers=admin.headers)
    via_pat = await client.get("/api/v1/admin/users", headers={"Authorization": f"Bearer {pat.json()['token']}"})
    assert via_pat.status_code == 403
    assert (await client.get("/api/v1/admin/users")).status_code == 401


async def test_cursor_pagination_walks_every_user_once(client: httpx.AsyncClient) -> None:
    admin = await _admin(client)
    for _ in range(6):
        await factories.register(client)
    seen: list[str] = []
    cursor = None
    while True:
        params = {"limit": "3", **({"cursor": cursor} if cursor else {})}
        page = (await client.get("/api/v1/admin/users", params=params, headers=admin.headers)).json()
        seen += [user["id"] for user in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert len(seen) == len(set(seen)) == 7


async def test_search_and_bad_paging_parameters(client: httpx.AsyncClient) -> None:
    admin = await _admin(client)
    await factories.register(client, "findme_100%@example.com")
    found = await client.get("/api/v1/admin/users", params={"q": "FINDME_100%"}, headers=admin.headers)
    assert [u["email"] for u in found.json()["items"]] == ["findme_100%@example.com"]
    not_a_cursor = await client.get("/api/v1/admin/users", params={"cursor": "!!!"}, headers=admin.headers)
    assert not_a_cursor.status_code == 422 and not_a_cursor.json()["errors"][0]["field"] == "cursor"  # its pattern
    bad_cursor = await client.get("/api/v1/admin/users", params={"cursor": "Z2FyYmFnZQ"}, headers=admin.headers)
    assert bad_cursor.status_code == 400 and bad_cursor.json()["type"].endswith(":invalid-cursor")
    for limit in ("0", "101", "ten"):
        response = await client.get("/api/v1/admin/users", params={"limit": limit}, headers=admin.headers)
        assert response.status_code in (400, 422), limit
        assert response.headers["content-type"].startswith("application/problem+json")


async def test_disabling_a_user_ends_their_sessions_at_once(client: httpx.AsyncClient) -> None:
    admin = await _admin(client)
    user = await factories.account(client)
    response = await client.patch(
        f"/api/v1/admin/users/{user.user_id}", json={"is_active": False}, headers=admin.headers
    )
    assert response.status_code == 200 and response.json()["is_active"] is False
    assert (await client.get("/api/v1/me", headers=user.headers)).status_code == 401
    refresh = await client.post("/api/v1/auth/refresh", json={"refresh_token": user.refresh_token})
    assert refresh.status_code == 401
    enable = await client.patch(f"/api/v1/admin/users/{user.user_id}", json={"is_active": True}, headers=admin.headers)
    assert enable.status_code == 200
    await factories.login(client, user.email)


@pytest.mark.parametrize(
    ("target", "body", "status"),
    [
        ("self", {"is_active": False}, 409),
        ("self", {"role": "user"}, 409),
        ("missing", {"role": "admin"}, 404),
        ("other", {"role": "root"}, 422),
        ("other", {"email": "x@example.com"}, 422),
    ],
)
async def test_refused_admin_changes_change_nothing(
    client: httpx.AsyncClient, target: str, body: dict, status: int
) -> None:
    admin = await _admin(client)
    other = await factories.register(client)
    user_id = {"self": admin.user_id, "other": other["id"], "missing": "00000000-0000-4000-8000-000000000000"}[target]
    response = await client.patch(f"/api/v1/admin/users/{user_id}", json=body, headers=admin.headers)
    assert response.status_code == status
    assert await User.count().where(User.role == "admin") == 1
    assert await User.count().where(User.is_active.eq(False)) == 0


async def _manage(services: SessionServices, *args: str) -> tuple[int, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "backend.entrypoints.manage", *args, cwd=ROOT, env=settings_env(services), stderr=PIPE
    )
    _, stderr = await asyncio.wait_for(process.communicate(), 60)
    return process.returncode or 0, stderr.decode()


async def test_set_role_command_promotes_an_existing_account(
    client: httpx.AsyncClient, services: SessionServices
) -> None:
    user = await factories.account(client)
    code, stderr = await _manage(services, "set-role", user.email.upper(), "admin")
    assert code == 0, stderr
    assert (await client.get("/api/v1/admin/users", headers=user.headers)).status_code == 200
    code, stderr = await _manage(services, "set-role", "ghost@example.com", "admin")
    assert code == 1 and "no such account" in stderr
