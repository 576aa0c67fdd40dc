"""POST /auth/login: credentials, and brute-force protection per account and per IP."""

import httpx

from backend.platform.db.tables import Session, User
from tests import factories

URL = "/api/v1/auth/login"


async def test_login_returns_a_bearer_pair_and_opens_a_session(client: httpx.AsyncClient) -> None:
    user = await factories.register(client)
    response = await client.post(URL, json={"email": user["email"].upper(), "password": factories.PASSWORD})
    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "bearer" and body["expires_in"] == 900
    assert body["access_token"].count(".") == 2 and body["refresh_token"]
    assert await Session.count().where(Session.user == user["id"]) == 1


async def test_wrong_password_and_unknown_email_get_the_same_401(client: httpx.AsyncClient) -> None:
    user = await factories.register(client)
    wrong = await client.post(URL, json={"email": user["email"], "password": "wrong password here"})
    unknown = await client.post(URL, json={"email": "nobody@example.com", "password": "wrong password here"})
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json()["type"] == unknown.json()["type"]
    assert wrong.json()["detail"] == unknown.json()["detail"] == "Wrong email or password"
    assert await Session.count() == 0


async def test_account_is_locked_after_repeated_failures_even_for_the_right_password(
    client: httpx.AsyncClient,
) -> None:
    user = await factories.register(client)
    for _ in range(5):
        assert (await client.post(URL, json={"email": user["email"], "password": "nope nope nope"})).status_code == 401
    locked = await client.post(URL, json={"email": user["email"], "password": factories.PASSWORD})
    assert locked.status_code == 429
    assert 0 < int(locked.headers["retry-after"]) <= 900
    assert locked.json()["type"].endswith(":too-many-requests")
    assert await Session.count() == 0


async def test_a_successful_login_resets_the_account_counter(client: httpx.AsyncClient) -> None:
    user = await factories.register(client)
    for _ in range(4):
        await client.post(URL, json={"email": user["email"], "password": "nope nope nope"})
    await factories.login(client, user["email"])
    for _ in range(4):
        await client.post(URL, json={"email": user["email"], "password": "nope nope nope"})
    await factories.login(client, user["email"])


async def test_one_ip_guessing_across_many_accounts_is_throttled(client: httpx.AsyncClient) -> None:
    victim = await factories.register(client)
    for index in range(30):
        await client.post(URL, json={"email": f"spray{index}@example.com", "password": "password123!"})
    response = await client.post(URL, json={"email": victim["email"], "password": factories.PASSWORD})
    assert response.status_code == 429 and "retry-after" in response.headers


async def test_a_disabled_account_cannot_sign_in(client: httpx.AsyncClient) -> None:
    user = await factories.register(client)
    await User.update({User.is_active: False}).where(User.id == user["id"])
    response = await client.post(URL, json={"email": user["email"], "password": factories.PASSWORD})
    assert response.status_code == 401
