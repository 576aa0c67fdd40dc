"""POST /auth/register and /auth/verify-email: happy paths and every kind of bad input."""

import httpx
import pytest

from backend.features.notifications import templates
from backend.platform.crypto import passwords
from backend.platform.db.tables import EmailOutbox, User
from backend.settings import Settings
from tests import factories

URL = "/api/v1/auth/register"
PROBLEM = "application/problem+json"


async def test_register_answers_202_and_creates_the_user_with_a_lowercased_email(client: httpx.AsyncClient) -> None:
    response = await client.post(
        URL, json={"email": "  Grace.Hopper@Example.COM ", "password": factories.PASSWORD, "full_name": "Grace Hopper"}
    )
    assert response.status_code == 202
    assert factories.PASSWORD not in response.text and "argon2" not in response.text
    stored = await User.objects().where(User.email == "grace.hopper@example.com").first()
    assert stored is not None and stored.password_hash.startswith("$argon2id$")
    assert str(stored.id) not in response.text  # the answer never names the account
    tokens = await factories.login(client, "grace.hopper@example.com")  # unverified, it signs in at once
    me = (await client.get("/api/v1/me", headers={"Authorization": f"Bearer {tokens['access_token']}"})).json()
    assert me["role"] == "user" and me["is_active"] is True and me["email_verified"] is False


async def _sign_up(client: httpx.AsyncClient, email: str, password: str, name: str) -> httpx.Response:
    return await client.post(URL, json={"email": email, "password": password, "full_name": name})


async def test_an_existing_address_gets_the_same_answer_and_an_email_instead_of_an_account(
    client: httpx.AsyncClient,
) -> None:
    """No account enumeration: the answer for an address that has an account is byte for byte the
    answer for a new one; its owner gets an "you already have an account" email, and nothing changes."""
    new = await _sign_up(client, "dup@example.com", factories.PASSWORD, "First")
    again = await _sign_up(client, "DUP@example.com", "another long password", "Second")
    assert new.status_code == again.status_code == 202
    assert new.content == again.content
    assert new.headers["content-type"] == again.headers["content-type"]
    assert set(new.headers) == set(again.headers)
    assert await User.count().where(User.email == "dup@example.com") == 1
    outbox = (
        await EmailOutbox.select().where(EmailOutbox.to_address == "dup@example.com").order_by(EmailOutbox.created_at)
    )
    assert [row["template"] for row in outbox] == ["verify_email", "account_exists"]
    tokens = await factories.login(client, "dup@example.com")  # the password did not change
    me = await client.get("/api/v1/me", headers={"Authorization": f"Bearer {tokens['access_token']}"})
    assert me.json()["full_name"] == "First"  # nor the name


async def test_both_paths_do_the_same_password_work(client: httpx.AsyncClient) -> None:
    """Equal timing by equal work: one argon2 hash on each path, nothing else costly (the api under
    test runs in this process, so its counters are readable here)."""
    before = (passwords.stats.hashes, passwords.stats.verifications)
    await _sign_up(client, "same-work@example.com", factories.PASSWORD, "A")
    after_new = (passwords.stats.hashes, passwords.stats.verifications)
    await _sign_up(client, "same-work@example.com", factories.PASSWORD, "A")
    after_existing = (passwords.stats.hashes, passwords.stats.verifications)
    assert (after_new[0] - before[0], after_new[1] - before[1]) == (1, 0)
    assert (after_existing[0] - after_new[0], after_existing[1] - after_new[1]) == (1, 0)


async def test_account_exists_emails_are_throttled_per_address(client: httpx.AsyncClient) -> None:
    """Sign-up cannot be used to flood someone's mailbox: at most 3 such emails per address and hour."""
    await factories.register(client, "flooded@example.com")
    answers = [await _sign_up(client, "flooded@example.com", factories.PASSWORD, "X") for _ in range(6)]
    assert {answer.status_code for answer in answers} == {202}
    templates = await EmailOutbox.select(EmailOutbox.template).where(EmailOutbox.to_address == "flooded@example.com")
    assert sorted(row["template"] for row in templates) == ["account_exists"] * 3 + ["verify_email"]


async def test_the_account_exists_email_links_to_sign_in(client: httpx.AsyncClient, settings: Settings) -> None:
    await factories.register(client, "exists@example.com")
    await _sign_up(client, "exists@example.com", factories.PASSWORD, "X")
    context = await factories.mailed("exists@example.com", "account_exists")
    assert context["link"] == f"{settings.app.public_url}/" and "token" not in context
    rendered = templates.render("account_exists", context)
    assert rendered.subject == "You already have a Career Copilot account"
    assert "Forgot your password?" in rendered.text and context["link"] in rendered.html


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"email": "not-an-email", "password": factories.PASSWORD, "full_name": "A"}, "email"),
        ({"email": "a@b", "password": factories.PASSWORD, "full_name": "A"}, "email"),
        ({"email": "a@example.com", "password": "short", "full_name": "A"}, "password"),
        ({"email": "a@example.com", "password": factories.PASSWORD, "full_name": "   "}, "full_name"),
        ({"email": "a@example.com", "password": factories.PASSWORD, "full_name": "A", "role": "admin"}, "role"),
        ({"email": 42, "password": factories.PASSWORD, "full_name": "A"}, "email"),
        ({"email": "a@example.com", "full_name": "A"}, "password"),
    ],
    ids=["bad-email", "email-without-tld", "short-password", "blank-name", "unknown-field", "wrong-type", "missing"],
)
async def test_bad_input_is_a_422_problem_naming_the_field_and_writes_nothing(
    client: httpx.AsyncClient, body: dict, field: str
) -> None:
    response = await client.post(URL, json=body)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    problem = response.json()
    assert problem["status"] == 422 and problem["type"].endswith(":validation-error")
    assert any(field in error["field"] or field in error["message"] for error in problem["errors"]), problem
    assert await User.count() == 0 and await EmailOutbox.count() == 0


@pytest.mark.parametrize(
    ("content", "status"),
    [(b'{"email": "a@example.com", ', 400), (b"[1, 2, 3]", 422), (b"x" * 2_000_000, 413)],
    ids=["malformed-json", "not-an-object", "huge-body"],
)
async def test_unusable_bodies_are_4xx_problems_and_write_nothing(
    client: httpx.AsyncClient, content: bytes, status: int
) -> None:
    response = await client.post(URL, content=content, headers={"content-type": "application/json"})
    assert response.status_code == status
    assert response.headers["content-type"].startswith(PROBLEM)
    assert "Traceback" not in response.text
    assert await User.count() == 0


async def test_registration_queues_a_verification_email_and_the_token_verifies_once(
    client: httpx.AsyncClient,
) -> None:
    user = await factories.register(client, "verify@example.com")
    outbox = await EmailOutbox.select().where(EmailOutbox.to_address == "verify@example.com")
    assert [row["template"] for row in outbox] == ["verify_email"]
    token = await factories.mailed_token("verify@example.com", "verify_email")
    assert (await client.post("/api/v1/auth/verify-email", json={"token": token})).status_code == 204
    tokens = await factories.login(client, user["email"])
    me = await client.get("/api/v1/me", headers={"Authorization": f"Bearer {tokens['access_token']}"})
    assert me.json()["email_verified"] is True
    again = await client.post("/api/v1/auth/verify-email", json={"token": token})
    assert again.status_code == 400 and again.json()["type"].endswith(":invalid-token")


async def test_a_made_up_verification_token_is_refused(client: httpx.AsyncClient) -> None:
    response = await client.post("/api/v1/auth/verify-email", json={"token": "made-up"})
    assert response.status_code == 400
