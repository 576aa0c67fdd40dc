"""Refresh rotation with reuse detection, logout, and access tokens over real HTTP."""

from datetime import datetime, timedelta

import httpx
import pytest

from backend.platform.crypto import tokens
from backend.platform.db.tables import RefreshToken, Session, User
from backend.settings import Settings
from tests import factories


async def _refresh(client: httpx.AsyncClient, token: str) -> httpx.Response:
    return await client.post("/api/v1/auth/refresh", json={"refresh_token": token})


async def _me(client: httpx.AsyncClient, access: str) -> httpx.Response:
    return await client.get("/api/v1/me", headers={"Authorization": f"Bearer {access}"})


async def test_refresh_rotates_the_pair(client: httpx.AsyncClient) -> None:
    account = await factories.account(client)
    response = await _refresh(client, account.refresh_token)
    assert response.status_code == 200
    pair = response.json()
    assert pair["refresh_token"] != account.refresh_token
    assert (await _me(client, pair["access_token"])).status_code == 200
    assert (await _refresh(client, pair["refresh_token"])).status_code == 200


async def test_reusing_a_spent_refresh_token_revokes_the_whole_family(client: httpx.AsyncClient) -> None:
    account = await factories.account(client)
    stolen = account.refresh_token
    fresh = (await _refresh(client, stolen)).json()
    reuse = await _refresh(client, stolen)
    assert reuse.status_code == 401 and reuse.json()["type"].endswith(":token-reused")
    # the legitimate holder's newer tokens die with the family
    assert (await _refresh(client, fresh["refresh_token"])).status_code == 401
    assert (await _me(client, fresh["access_token"])).status_code == 401
    session = await Session.objects().first()
    assert session is not None and session.revoked_reason == "refresh_reuse"


async def test_other_sessions_survive_a_reuse_in_one_family(client: httpx.AsyncClient) -> None:
    account = await factories.account(client)
    laptop = await factories.login(client, account.email)
    await _refresh(client, account.refresh_token)
    await _refresh(client, account.refresh_token)
    assert (await _refresh(client, laptop["refresh_token"])).status_code == 200


async def test_logout_ends_the_session_for_both_tokens(client: httpx.AsyncClient) -> None:
    account = await factories.account(client)
    response = await client.post("/api/v1/auth/logout", json={"refresh_token": account.refresh_token})
    assert response.status_code == 204
    assert (await _refresh(client, account.refresh_token)).status_code == 401
    assert (await _me(client, account.access_token)).status_code == 401
    unknown = await client.post("/api/v1/auth/logout", json={"refresh_token": "never-issued"})
    assert unknown.status_code == 204


async def test_expired_and_unknown_refresh_tokens_are_refused(client: httpx.AsyncClient) -> None:
    account = await factories.account(client)
    await RefreshToken.update({RefreshToken.expires_at: datetime.now().astimezone() - timedelta(seconds=1)}).where(
        RefreshToken.token_hash == tokens.hash_opaque_token(account.refresh_token)
    )
    expired = await _refresh(client, account.refresh_token)
    assert expired.status_code == 401 and expired.json()["type"].endswith(":token-expired")
    assert (await _refresh(client, "x" * 43)).status_code == 401
    assert (await _refresh(client, "")).status_code == 422


async def test_me_requires_a_bearer_token(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/me")
    assert response.status_code == 401
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.headers["www-authenticate"].startswith("Bearer")
    assert (await client.get("/api/v1/me", headers={"Authorization": "Basic abc"})).status_code == 401


@pytest.mark.parametrize("how", ["expired", "alg-none", "other-key", "escalated", "future-session"])
async def test_expired_forged_and_unsigned_access_tokens_are_refused(
    client: httpx.AsyncClient, settings: Settings, how: str
) -> None:
    account = await factories.account(client)
    response = await _me(client, factories.forged_access_token(settings, account, how))
    assert response.status_code == 401, how
    assert response.headers["content-type"].startswith("application/problem+json")


async def test_a_disabled_users_access_token_stops_working_at_once(client: httpx.AsyncClient) -> None:
    account = await factories.account(client)
    await User.update({User.is_active: False}).where(User.id == account.user_id)
    assert (await _me(client, account.access_token)).status_code == 401
