"""Which credentials survive a password reset (account recovery: none) and a voluntary password
change (personal access tokens do, as documented in the README and the operation's description)."""

import httpx

from tests import factories

NEW_PASSWORD = "an entirely new passphrase"


async def _personal_token(client: httpx.AsyncClient, account: factories.Account) -> dict[str, str]:
    made = await client.post(
        "/api/v1/me/tokens", json={"name": "sheet", "scopes": ["read", "write"]}, headers=account.headers
    )
    assert made.status_code == 201, made.text
    headers = {"Authorization": f"Bearer {made.json()['token']}"}
    assert (await client.get("/api/v1/me", headers=headers)).status_code == 200
    return headers


async def test_a_password_reset_revokes_personal_access_tokens_and_sessions(client: httpx.AsyncClient) -> None:
    account = await factories.account(client)
    pat = await _personal_token(client, account)
    assert (await client.post("/api/v1/auth/password-reset", json={"email": account.email})).status_code == 202
    token = await factories.mailed_token(account.email, "password_reset")
    confirm = await client.post(
        "/api/v1/auth/password-reset/confirm", json={"token": token, "new_password": NEW_PASSWORD}
    )
    assert confirm.status_code == 204
    for headers in (pat, account.headers):
        answer = await client.get("/api/v1/me", headers=headers)
        assert answer.status_code == 401
        assert answer.headers["content-type"].startswith("application/problem+json")
    fresh = await factories.login(client, account.email, NEW_PASSWORD)
    fresh_headers = {"Authorization": f"Bearer {fresh['access_token']}"}
    assert (await client.get("/api/v1/me/tokens", headers=fresh_headers)).json() == []
    # Tokens minted after the recovery work as usual.
    await _personal_token(
        client, factories.Account(account.email, NEW_PASSWORD, account.user_id, fresh["access_token"], "")
    )


async def test_a_password_change_keeps_personal_access_tokens_as_documented(client: httpx.AsyncClient) -> None:
    account = await factories.account(client)
    pat = await _personal_token(client, account)
    phone = await factories.login(client, account.email)
    change = await client.post(
        "/api/v1/me/password",
        json={"current_password": account.password, "new_password": NEW_PASSWORD},
        headers=account.headers,
    )
    assert change.status_code == 204
    assert (await client.get("/api/v1/me", headers=pat)).status_code == 200
    assert (await client.get("/api/v1/me/tokens", headers=account.headers)).json()[0]["name"] == "sheet"
    other = await client.get("/api/v1/me", headers={"Authorization": f"Bearer {phone['access_token']}"})
    assert other.status_code == 401
    schema = (await client.get("/schema/openapi.json")).json()
    described = schema["paths"]["/api/v1/me/password"]["post"]["description"]
    assert "Personal access tokens keep working" in " ".join(described.split())
    reset = schema["paths"]["/api/v1/auth/password-reset/confirm"]["post"]["description"]
    assert "every personal access token is revoked" in " ".join(reset.split())
