"""Idempotency-Key on create endpoints (SPEC §4), exercised through POST /auth/register."""

import asyncio

import httpx

from backend.db.engine import DB
from backend.db.tables import IdempotencyRecord, User
from tests import factories

URL = "/api/v1/auth/register"


def _body(email: str = "idem@example.com") -> dict:
    return {"email": email, "password": factories.PASSWORD, "full_name": "Idem Potent"}


async def test_same_key_and_body_replays_the_first_answer_and_creates_once(client: httpx.AsyncClient) -> None:
    headers = {"Idempotency-Key": "key-1"}
    first = await client.post(URL, json=_body(), headers=headers)
    second = await client.post(URL, json=_body(), headers=headers)
    assert first.status_code == second.status_code == 201
    assert second.json() == first.json()
    assert second.headers["idempotent-replayed"] == "true"
    assert second.headers["content-type"] == first.headers["content-type"]
    assert await User.count() == 1


async def test_same_key_with_another_body_is_a_422(client: httpx.AsyncClient) -> None:
    headers = {"Idempotency-Key": "key-2"}
    await client.post(URL, json=_body(), headers=headers)
    other = await client.post(URL, json=_body("other@example.com"), headers=headers)
    assert other.status_code == 422
    assert other.json()["type"].endswith(":idempotency-key-reused")
    assert await User.count() == 1


async def test_without_a_key_a_retry_runs_again(client: httpx.AsyncClient) -> None:
    assert (await client.post(URL, json=_body())).status_code == 201
    assert (await client.post(URL, json=_body())).status_code == 409


async def test_client_errors_are_replayed_too(client: httpx.AsyncClient) -> None:
    headers = {"Idempotency-Key": "key-3"}
    bad = {"email": "not-an-email", "password": factories.PASSWORD, "full_name": "X"}
    first = await client.post(URL, json=bad, headers=headers)
    second = await client.post(URL, json=bad, headers=headers)
    assert first.status_code == second.status_code == 422
    assert second.json() == first.json()


async def test_a_retry_sent_the_moment_the_answer_arrives_is_replayed(client: httpx.AsyncClient) -> None:
    """The answer is stored before the client has it. A trigger makes storing it slow (0.5 s): had
    the answer gone out first, the retry would find the key still "in progress" (409)."""
    await DB.run_ddl(
        "CREATE FUNCTION slow_store() RETURNS trigger AS "
        "$$ BEGIN PERFORM pg_sleep(0.5); RETURN NEW; END $$ LANGUAGE plpgsql"
    )
    await DB.run_ddl(
        "CREATE TRIGGER slow_store BEFORE UPDATE ON idempotency_records FOR EACH ROW EXECUTE FUNCTION slow_store()"
    )
    try:
        headers = {"Idempotency-Key": "key-slow"}
        first = await client.post(URL, json=_body(), headers=headers)
        retry = await client.post(URL, json=_body(), headers=headers)
    finally:
        await DB.run_ddl("DROP TRIGGER slow_store ON idempotency_records")
        await DB.run_ddl("DROP FUNCTION slow_store()")
    assert (first.status_code, retry.status_code) == (201, 201)
    assert retry.headers["idempotent-replayed"] == "true" and retry.json() == first.json()
    assert await User.count() == 1


async def test_an_answer_that_cannot_be_stored_releases_the_key(client: httpx.AsyncClient) -> None:
    """Storing the answer fails (a trigger refuses the UPDATE): the key is released, as after a
    crash, instead of answering "still in progress" to every retry for a day."""
    await DB.run_ddl(
        "CREATE FUNCTION refuse_store() RETURNS trigger AS "
        "$$ BEGIN RAISE EXCEPTION 'store refused'; END $$ LANGUAGE plpgsql"
    )
    await DB.run_ddl(
        "CREATE TRIGGER refuse_store BEFORE UPDATE ON idempotency_records FOR EACH ROW EXECUTE FUNCTION refuse_store()"
    )
    try:
        try:
            first = await client.post(URL, json=_body(), headers={"Idempotency-Key": "key-refused"})
            assert first.status_code >= 500
        except httpx.HTTPError:
            pass  # the answer was cut off: its headers had gone out
    finally:
        await DB.run_ddl("DROP TRIGGER refuse_store ON idempotency_records")
        await DB.run_ddl("DROP FUNCTION refuse_store()")
    assert await IdempotencyRecord.count() == 0


async def test_a_malformed_key_is_refused_and_nothing_is_stored(client: httpx.AsyncClient) -> None:
    response = await client.post(URL, json=_body(), headers={"Idempotency-Key": "x" * 201})
    assert response.status_code == 400
    assert response.json()["type"].endswith(":invalid-idempotency-key")
    assert await User.count() == 0 and await IdempotencyRecord.count() == 0


async def test_keys_are_scoped_per_caller(client: httpx.AsyncClient, app_url: str) -> None:
    """The same key from two signed-in users creates for each (it is their key, not a global one)."""
    alice = await factories.account(client)
    bob = await factories.account(client)
    assert alice.user_id != bob.user_id
    stored = await IdempotencyRecord.count()
    for who in (alice, bob):
        headers = {**who.headers, "Idempotency-Key": "shared"}
        await client.post(URL, json=_body(f"for-{who.user_id[:8]}@example.com"), headers=headers)
    assert await IdempotencyRecord.count() == stored + 2
    assert await User.count() == 4


async def test_concurrent_retries_with_one_key_create_exactly_once(client: httpx.AsyncClient) -> None:
    headers = {"Idempotency-Key": "race"}
    responses = await asyncio.gather(*[client.post(URL, json=_body(), headers=headers) for _ in range(6)])
    statuses = [response.status_code for response in responses]
    assert 201 in statuses
    assert set(statuses) <= {201, 409}, statuses
    for response in responses:
        if response.status_code == 409:
            assert response.headers["retry-after"] == "1"
    assert await User.count() == 1


async def test_integrations_on_one_address_never_get_each_others_answers(client: httpx.AsyncClient) -> None:
    """Two users' personal access tokens (integrations behind one NAT: the same client address) send
    the same key and body: each creates its own application; none is replayed the other's."""
    tokens = []
    for _ in range(2):
        owner = await factories.account(client)
        made = await client.post(
            "/api/v1/me/tokens", json={"name": "sheet", "scopes": ["read", "write"]}, headers=owner.headers
        )
        assert made.status_code == 201, made.text
        tokens.append(made.json()["token"])
    answers = []
    for token in tokens:
        headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": "from-the-sheet"}
        sent = await client.post("/api/v1/applications", json={"company": "Acme", "role": "Dev"}, headers=headers)
        assert sent.status_code == 201, sent.text
        assert "idempotent-replayed" not in sent.headers
        answers.append(sent.json()["id"])
    assert answers[0] != answers[1]
    for token, app_id in zip(tokens, answers, strict=True):
        mine = await client.get("/api/v1/applications", headers={"Authorization": f"Bearer {token}"})
        assert [a["id"] for a in mine.json()["items"]] == [app_id]
