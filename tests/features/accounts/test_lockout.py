"""Wrong passwords cannot lock the owner out: budgets are per (account, client), a client being an
IPv4 address or an IPv6 /64; past the account's budget for all clients together, only clients the
account knows (that signed in to it before) may still try; a password reset clears it all."""

import httpx

from backend.settings import Settings
from tests import factories

LOGIN = "/api/v1/auth/login"
WRONG = "not the password at all"
NEW_PASSWORD = "an entirely new passphrase"
ATTACKER, OWNER_HOME, OWNER_TRAVELLING = "198.51.100.66", "2001:db8:aa:1::10", "203.0.113.99"


async def _login(client: httpx.AsyncClient, email: str, password: str, address: str) -> httpx.Response:
    return await client.post(LOGIN, json={"email": email, "password": password}, headers={"X-Forwarded-For": address})


async def test_an_attacker_spends_only_its_own_budget(client: httpx.AsyncClient, settings: Settings) -> None:
    user = await factories.register(client)
    for _ in range(settings.auth.login_max_failures_per_account):
        assert (await _login(client, user["email"], WRONG, ATTACKER)).status_code == 401
    # The attacking client is refused, even with the right password...
    refused = await _login(client, user["email"], factories.PASSWORD, ATTACKER)
    assert refused.status_code == 429 and int(refused.headers["retry-after"]) > 0
    # ...the owner is not, from a client the account knows nor from a new one.
    assert (await _login(client, user["email"], factories.PASSWORD, OWNER_HOME)).status_code == 200
    assert (await _login(client, user["email"], factories.PASSWORD, OWNER_TRAVELLING)).status_code == 200


async def test_past_the_account_budget_only_known_clients_sign_in_and_a_reset_clears_it(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    user = await factories.register(client)
    await factories.login(client, user["email"])  # loopback signed in before: known to the account
    assert (await _login(client, user["email"], factories.PASSWORD, OWNER_HOME)).status_code == 200
    # A guesser spread over many addresses spends the account's budget for all clients.
    per_client = settings.auth.login_max_failures_per_account
    clients = [f"192.0.2.{index}" for index in range(settings.auth.login_account_slowdown_failures // per_client)]
    for address in clients:
        for _ in range(per_client):
            assert (await _login(client, user["email"], WRONG, address)).status_code == 401
    fresh = await _login(client, user["email"], WRONG, "192.0.2.200")
    assert fresh.status_code == 429
    # An unknown client is refused even with the right password; known ones still sign in...
    assert (await _login(client, user["email"], factories.PASSWORD, OWNER_TRAVELLING)).status_code == 429
    assert (await _login(client, user["email"], factories.PASSWORD, OWNER_HOME)).status_code == 200
    assert (await _login(client, user["email"], factories.PASSWORD, "2001:db8:aa:1::77")).status_code == 200  # same /64
    await factories.login(client, user["email"])
    # ...and a known client keeps its own budget: its failures do not open the account to others.
    for _ in range(per_client):
        assert (await _login(client, user["email"], WRONG, OWNER_HOME)).status_code == 401
    assert (await _login(client, user["email"], factories.PASSWORD, OWNER_HOME)).status_code == 429
    # A password reset clears every count of the account (not the per-address ones of other accounts).
    await client.post("/api/v1/auth/password-reset", json={"email": user["email"]})
    token = await factories.mailed_token(user["email"], "password_reset")
    confirmed = await client.post(
        "/api/v1/auth/password-reset/confirm", json={"token": token, "new_password": NEW_PASSWORD}
    )
    assert confirmed.status_code == 204
    for address in (OWNER_TRAVELLING, OWNER_HOME, clients[0]):
        assert (await _login(client, user["email"], NEW_PASSWORD, address)).status_code == 200, address


async def test_wrong_current_passwords_of_a_session_do_not_lock_sign_in(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    account = await factories.account(client)
    body = {"current_password": WRONG, "new_password": NEW_PASSWORD}
    for _ in range(settings.auth.login_max_failures_per_account):
        assert (await client.post("/api/v1/me/password", json=body, headers=account.headers)).status_code == 422
    right = {"current_password": account.password, "new_password": NEW_PASSWORD}
    assert (await client.post("/api/v1/me/password", json=right, headers=account.headers)).status_code == 429
    await factories.login(client, account.email)
