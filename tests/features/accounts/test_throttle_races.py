"""Password throttles under real concurrency: the limit is checked and counted in one step, so many
requests in flight at once cannot all pass (they did: 60 concurrent wrong passwords got 60 times 401).
Also the re-checks of a signed-in user's password (`/me/password`, `DELETE /me`), and the per-IP key."""

import asyncio
import time

import httpx
import pytest
import redis.asyncio as aioredis

from backend.features.accounts import throttle
from backend.platform import ratelimit
from backend.platform.db.tables import EmailOutbox, Session, User
from backend.settings import Settings
from tests import factories

LOGIN = "/api/v1/auth/login"
WRONG = "not the password at all"
NEW_PASSWORD = "an entirely new passphrase"


def _assert_throttled(response: httpx.Response, window: int, started: float) -> None:
    """A 429 problem whose Retry-After is what is left of a window opened after `started`."""
    assert response.status_code == 429, response.text
    assert response.json()["type"].endswith(":too-many-requests")
    left = int(response.headers["retry-after"])
    assert window - (time.monotonic() - started) - 1 <= left <= window


async def test_concurrent_wrong_passwords_for_one_account_stop_at_the_account_limit(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    user = await factories.register(client)
    started = time.monotonic()
    answers = await asyncio.gather(
        *(client.post(LOGIN, json={"email": user["email"], "password": WRONG}) for _ in range(60))
    )
    codes = [answer.status_code for answer in answers]
    assert codes.count(401) == settings.auth.login_max_failures_per_account == 5
    assert codes.count(429) == 55
    for answer in answers:
        if answer.status_code == 429:
            _assert_throttled(answer, settings.auth.login_window_seconds, started)
    locked = await client.post(LOGIN, json={"email": user["email"], "password": factories.PASSWORD})
    _assert_throttled(locked, settings.auth.login_window_seconds, started)
    assert await Session.count() == 0


async def test_concurrent_wrong_passwords_from_one_ip_stop_at_the_ip_limit(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    started = time.monotonic()
    answers = await asyncio.gather(
        *(client.post(LOGIN, json={"email": f"spray{index}@example.com", "password": WRONG}) for index in range(60))
    )
    codes = [answer.status_code for answer in answers]
    assert codes.count(401) == settings.auth.login_max_failures_per_ip == 30
    assert codes.count(429) == 30
    for answer in answers:
        if answer.status_code == 429:
            _assert_throttled(answer, settings.auth.login_window_seconds, started)


async def test_successful_sign_ins_do_not_use_up_the_ip_budget(client: httpx.AsyncClient, settings: Settings) -> None:
    """Each attempt is counted first; a success gives its count back (a NAT signs many people in)."""
    user = await factories.register(client)
    for _ in range(settings.auth.login_max_failures_per_ip + 5):
        await factories.login(client, user["email"])
    # ...and the failures still add up to the limit afterwards: only the successes were refunded.
    for index in range(settings.auth.login_max_failures_per_ip):
        wrong = await client.post(LOGIN, json={"email": f"other{index}@example.com", "password": WRONG})
        assert wrong.status_code == 401
    assert (await client.post(LOGIN, json={"email": user["email"], "password": factories.PASSWORD})).status_code == 429


@pytest.mark.parametrize("route", ["/api/v1/auth/password-reset", "/api/v1/auth/verify-email/resend"])
async def test_concurrent_email_requests_queue_at_most_three_emails(client: httpx.AsyncClient, route: str) -> None:
    user = await factories.register(client)
    await EmailOutbox.delete().where(EmailOutbox.to_address == user["email"])  # the registration's own email
    answers = await asyncio.gather(*(client.post(route, json={"email": user["email"]}) for _ in range(30)))
    assert {answer.status_code for answer in answers} == {202}
    assert await EmailOutbox.count().where(EmailOutbox.to_address == user["email"]) == 3


async def test_concurrent_wrong_current_passwords_are_throttled_per_account(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    account = await factories.account(client)
    started = time.monotonic()
    body = {"current_password": WRONG, "new_password": NEW_PASSWORD}
    answers = await asyncio.gather(
        *(client.post("/api/v1/me/password", json=body, headers=account.headers) for _ in range(25))
    )
    codes = [answer.status_code for answer in answers]
    assert codes.count(422) == 5 and codes.count(429) == 20
    for answer in answers:
        if answer.status_code == 429:
            _assert_throttled(answer, settings.auth.login_window_seconds, started)
    right = {"current_password": account.password, "new_password": NEW_PASSWORD}
    refused = await client.post("/api/v1/me/password", json=right, headers=account.headers)
    _assert_throttled(refused, settings.auth.login_window_seconds, started)
    # Signed-in sessions are one client of the account: sign-in keeps its own budgets, and the
    # password did not change.
    await factories.login(client, account.email, account.password)


async def test_the_right_current_password_works_again_once_the_window_has_passed(
    client: httpx.AsyncClient, settings: Settings, redis: aioredis.Redis
) -> None:
    account = await factories.account(client)
    body = {"current_password": WRONG, "new_password": NEW_PASSWORD}
    for _ in range(5):
        wrong = await client.post("/api/v1/me/password", json=body, headers=account.headers)
        assert wrong.status_code == 422 and wrong.json()["errors"][0]["field"] == "current_password"
    right = {"current_password": account.password, "new_password": NEW_PASSWORD}
    assert (await client.post("/api/v1/me/password", json=right, headers=account.headers)).status_code == 429
    # Let the window end now rather than in 15 minutes: expire its keys and wait until Redis drops them.
    keys = [key async for key in redis.scan_iter(match=f"{throttle.failures_prefix(account.email, 0)}:*")]
    assert keys
    for key in keys:
        assert await redis.pexpire(key, 1)
    while await redis.exists(*keys):
        await asyncio.sleep(0.005)
    assert (await client.post("/api/v1/me/password", json=right, headers=account.headers)).status_code == 204
    await factories.login(client, account.email, NEW_PASSWORD)


async def test_account_erasure_throttles_password_guesses(client: httpx.AsyncClient, settings: Settings) -> None:
    account = await factories.account(client)
    started = time.monotonic()
    for _ in range(5):
        wrong = await client.request("DELETE", "/api/v1/me", json={"password": WRONG}, headers=account.headers)
        assert wrong.status_code == 422 and wrong.json()["errors"][0]["field"] == "password"
    right = await client.request("DELETE", "/api/v1/me", json={"password": account.password}, headers=account.headers)
    _assert_throttled(right, settings.auth.login_window_seconds, started)
    assert await User.count().where(User.id == account.user_id) == 1


@pytest.mark.parametrize(
    ("address", "key"),
    [
        ("203.0.113.7", "203.0.113.7"),
        ("2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64"),
        ("2001:db8:1:2:ffff:ffff:ffff:ffff", "2001:db8:1:2::/64"),
        ("2001:DB8:1:2::1", "2001:db8:1:2::/64"),
        ("::ffff:203.0.113.7", "203.0.113.7"),
        ("::1", "::/64"),
        ("unknown", "unknown"),
    ],
)
def test_client_key_is_the_ipv4_address_or_the_ipv6_64_prefix(address: str, key: str) -> None:
    assert ratelimit.client_key(address) == key


def test_addresses_of_one_ipv6_64_share_a_key_and_neighbouring_prefixes_do_not() -> None:
    assert ratelimit.client_key("2001:db8:0:1::a") == ratelimit.client_key("2001:db8:0:1:8000::b")
    assert ratelimit.client_key("2001:db8:0:1::a") != ratelimit.client_key("2001:db8:0:2::a")
