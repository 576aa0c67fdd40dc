"""POST /auth/register and /auth/verify-email: happy paths and every kind of bad input."""

import httpx
import pytest

from backend.platform.db.tables import EmailOutbox, User
from tests import factories

URL = "/api/v1/auth/register"
PROBLEM = "application/problem+json"


async def test_register_returns_the_user_with_a_lowercased_email(client: httpx.AsyncClient) -> None:
    response = await client.post(
        URL, json={"email": "  Grace.Hopper@Example.COM ", "password": factories.PASSWORD, "full_name": "Grace Hopper"}
    )
    assert response.status_code == 201
    body = response.json()
    assert body["email"] == "grace.hopper@example.com"
    assert body["role"] == "user" and body["is_active"] is True and body["email_verified"] is False
    assert "password" not in response.text and "argon2" not in response.text
    stored = await User.objects().where(User.email == "grace.hopper@example.com").first()
    assert stored is not None and stored.password_hash.startswith("$argon2id$")


async def test_duplicate_email_is_a_conflict_and_keeps_one_row(client: httpx.AsyncClient) -> None:
    await factories.register(client, "dup@example.com")
    response = await client.post(
        URL, json={"email": "DUP@example.com", "password": factories.PASSWORD, "full_name": "X"}
    )
    assert response.status_code == 409
    assert response.json()["type"].endswith(":email-taken")
    assert await User.count().where(User.email == "dup@example.com") == 1


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
