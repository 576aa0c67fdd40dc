"""GET/PATCH /me, password change, password reset."""

import httpx
import pytest

from backend.platform.db.tables import EmailOutbox, User
from tests import factories

NEW_PASSWORD = "an entirely new passphrase"


async def test_patch_me_changes_only_the_fields_sent(client: httpx.AsyncClient) -> None:
    account = await factories.account(client)
    changes = {
        "headline": "Backend engineer",
        "links": [{"label": "GitHub", "url": "https://github.com/ada"}],
        "target_roles": ["Staff Engineer", "Tech Lead"],
    }
    response = await client.patch("/api/v1/me", json=changes, headers=account.headers)
    assert response.status_code == 200
    body = response.json()
    assert body["headline"] == "Backend engineer" and body["full_name"] == "Ada Lovelace"
    assert body["links"] == changes["links"] and body["target_roles"] == changes["target_roles"]
    again = (await client.get("/api/v1/me", headers=account.headers)).json()
    assert again == body


@pytest.mark.parametrize(
    "changes",
    [
        {"email": "new@example.com"},
        {"role": "admin"},
        {"links": [{"label": "x", "url": "javascript:alert(1)"}]},
        {"full_name": ""},
        {"full_name": "   "},
        {"phone": "call me maybe"},
        {"target_roles": "not a list"},
    ],
    ids=["email", "role", "js-link", "empty-name", "blank-name", "bad-phone", "wrong-type"],
)
async def test_bad_profile_changes_are_refused_and_change_nothing(client: httpx.AsyncClient, changes: dict) -> None:
    account = await factories.account(client)
    before = (await client.get("/api/v1/me", headers=account.headers)).json()
    response = await client.patch("/api/v1/me", json=changes, headers=account.headers)
    assert response.status_code == 422, response.text
    assert response.json()["errors"]
    assert (await client.get("/api/v1/me", headers=account.headers)).json() == before


async def test_password_change_ends_other_sessions_and_keeps_this_one(client: httpx.AsyncClient) -> None:
    account = await factories.account(client)
    phone = await factories.login(client, account.email)
    response = await client.post(
        "/api/v1/me/password",
        json={"current_password": account.password, "new_password": NEW_PASSWORD},
        headers=account.headers,
    )
    assert response.status_code == 204
    assert (await client.get("/api/v1/me", headers=account.headers)).status_code == 200
    phone_me = await client.get("/api/v1/me", headers={"Authorization": f"Bearer {phone['access_token']}"})
    assert phone_me.status_code == 401
    phone_refresh = await client.post("/api/v1/auth/refresh", json={"refresh_token": phone["refresh_token"]})
    assert phone_refresh.status_code == 401
    old = await client.post("/api/v1/auth/login", json={"email": account.email, "password": account.password})
    assert old.status_code == 401
    await factories.login(client, account.email, NEW_PASSWORD)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"current_password": "wrong wrong wrong", "new_password": NEW_PASSWORD}, "current_password"),
        ({"current_password": factories.PASSWORD, "new_password": "short"}, "new_password"),
    ],
)
async def test_password_change_refusals_keep_the_old_password(
    client: httpx.AsyncClient, body: dict, field: str
) -> None:
    account = await factories.account(client)
    response = await client.post("/api/v1/me/password", json=body, headers=account.headers)
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == field
    await factories.login(client, account.email)


async def test_password_reset_for_an_unknown_email_is_202_and_sends_nothing(client: httpx.AsyncClient) -> None:
    response = await client.post("/api/v1/auth/password-reset", json={"email": "ghost@example.com"})
    assert response.status_code == 202
    assert await EmailOutbox.count().where(EmailOutbox.template == "password_reset") == 0


async def test_password_reset_sets_a_new_password_once_and_ends_every_session(client: httpx.AsyncClient) -> None:
    account = await factories.account(client)
    assert (await client.post("/api/v1/auth/password-reset", json={"email": account.email})).status_code == 202
    token = await factories.mailed_token(account.email, "password_reset")
    confirm = await client.post(
        "/api/v1/auth/password-reset/confirm", json={"token": token, "new_password": NEW_PASSWORD}
    )
    assert confirm.status_code == 204
    assert (await client.get("/api/v1/me", headers=account.headers)).status_code == 401
    await factories.login(client, account.email, NEW_PASSWORD)
    replay = await client.post(
        "/api/v1/auth/password-reset/confirm", json={"token": token, "new_password": "yet another passphrase"}
    )
    assert replay.status_code == 400
    await factories.login(client, account.email, NEW_PASSWORD)


async def test_password_reset_with_a_weak_password_keeps_the_token_usable(client: httpx.AsyncClient) -> None:
    account = await factories.account(client)
    await client.post("/api/v1/auth/password-reset", json={"email": account.email})
    token = await factories.mailed_token(account.email, "password_reset")
    weak = await client.post("/api/v1/auth/password-reset/confirm", json={"token": token, "new_password": "short"})
    assert weak.status_code == 422
    stored = await User.objects().where(User.email == account.email).first()
    assert stored is not None
    await factories.login(client, account.email)
    ok = await client.post("/api/v1/auth/password-reset/confirm", json={"token": token, "new_password": NEW_PASSWORD})
    assert ok.status_code == 204
