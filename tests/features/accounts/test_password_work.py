"""Routes that need no account never let a client make the api hash passwords at will: the reset
token is checked before the new password is hashed, and sign-up and reset confirmations are limited
per client (an IPv4 address or an IPv6 /64) before any hashing. The api under test runs in this
process, so the argon2 counters of `passwords.stats` are the ones it moves."""

import asyncio

import httpx

from backend.platform.crypto import passwords
from backend.settings import Settings
from tests import factories

CONFIRM = "/api/v1/auth/password-reset/confirm"
REGISTER = "/api/v1/auth/register"
NEW_PASSWORD = "an entirely new passphrase"


def _from(address: str) -> dict[str, str]:
    """Headers of a request from `address` (the test api trusts X-Forwarded-For from loopback)."""
    return {"X-Forwarded-For": address}


async def test_a_made_up_reset_token_is_refused_without_hashing_the_new_password(client: httpx.AsyncClient) -> None:
    before = passwords.stats.hashes
    for index in range(5):
        bad = await client.post(CONFIRM, json={"token": f"made-up-{index}", "new_password": NEW_PASSWORD})
        assert bad.status_code == 400 and bad.json()["type"].endswith(":invalid-token")
    assert passwords.stats.hashes == before


async def test_reset_confirmations_are_limited_per_client_before_the_token_is_checked(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    limit = settings.auth.reset_confirm_max_per_ip
    for index in range(limit):
        answer = await client.post(
            CONFIRM, json={"token": f"guess-{index}", "new_password": NEW_PASSWORD}, headers=_from("2001:db8:7:7::1")
        )
        assert answer.status_code == 400
    # Another address of the same IPv6 /64 is the same client...
    refused = await client.post(
        CONFIRM, json={"token": "guess", "new_password": NEW_PASSWORD}, headers=_from("2001:db8:7:7:ffff::2")
    )
    assert refused.status_code == 429 and int(refused.headers["retry-after"]) > 0
    # ...even with a real token; the next /64 is another client.
    user = await factories.register(client)
    await client.post("/api/v1/auth/password-reset", json={"email": user["email"]})
    token = await factories.mailed_token(user["email"], "password_reset")
    body = {"token": token, "new_password": NEW_PASSWORD}
    assert (await client.post(CONFIRM, json=body, headers=_from("2001:db8:7:7::3"))).status_code == 429
    assert (await client.post(CONFIRM, json=body, headers=_from("2001:db8:7:8::3"))).status_code == 204
    await factories.login(client, user["email"], NEW_PASSWORD)


async def test_sign_ups_are_limited_per_client_before_any_hashing(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    limit = settings.auth.register_max_per_ip
    for _ in range(limit):
        body = {"email": factories.unique_email(), "password": factories.PASSWORD, "full_name": "Bulk"}
        assert (await client.post(REGISTER, json=body, headers=_from("198.51.100.20"))).status_code == 202
    before = passwords.stats.hashes
    body = {"email": factories.unique_email(), "password": factories.PASSWORD, "full_name": "Bulk"}
    refused = await client.post(REGISTER, json=body, headers=_from("198.51.100.20"))
    assert refused.status_code == 429 and refused.json()["type"].endswith(":too-many-requests")
    assert passwords.stats.hashes == before
    assert (await client.post(REGISTER, json=body, headers=_from("198.51.100.21"))).status_code == 202


async def test_a_busy_process_refuses_at_once_and_does_not_count_the_attempt(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    """With every argon2 slot busy and no queue, sign-ins are refused at once (429 `busy`,
    Retry-After: 1); those refused attempts were not guesses and leave the client's budget alone."""
    user = await factories.register(client)
    saved = passwords._limiter
    passwords.configure(concurrency=1, queue=0)
    try:
        body = {"email": user["email"], "password": "not the password at all"}
        burst = await asyncio.gather(
            *(client.post("/api/v1/auth/login", json=body) for _ in range(settings.auth.login_max_failures_per_account))
        )
    finally:
        passwords._limiter = saved
    busy = [answer for answer in burst if answer.status_code == 429]
    checked = [answer for answer in burst if answer.status_code == 401]
    assert busy and len(busy) + len(checked) == len(burst)
    assert all(a.json()["type"].endswith(":busy") and a.headers["retry-after"] == "1" for a in busy)
    left = settings.auth.login_max_failures_per_account - len(checked)
    answers = [(await client.post("/api/v1/auth/login", json=body)).status_code for _ in range(left + 1)]
    assert answers == [401] * left + [429]
