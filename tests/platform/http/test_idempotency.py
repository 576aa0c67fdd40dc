"""Idempotency-Key on create endpoints, exercised through POST /auth/register."""

import asyncio
import contextlib
import os
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import msgspec
import pymupdf
import pytest
import pytest_asyncio
import redis.asyncio as aioredis
from litestar import Litestar, post
from litestar.di import NamedDependency, Provide
from litestar.params import JSONBody
from litestar.status_codes import HTTP_201_CREATED

from backend.entrypoints.api import create_app
from backend.features.accounts import http as account_http
from backend.features.ai import quota
from backend.lifespan import lifespan_for
from backend.platform.crypto.envelope import Envelope
from backend.platform.db.engine import DB
from backend.platform.db.tables import Application, EmailOutbox, IdempotencyRecord, Resume, ResumeVersion, User
from backend.platform.http import auth, idempotency, problems, request_context
from backend.platform.http.identity import Principal
from backend.platform.http.problems import Problem
from backend.settings import Settings
from tests import ai_fixtures, factories
from tests.plugins.ai import parsed_resume
from tests.plugins.services import served

URL = "/api/v1/auth/register"
APPLICATIONS = "/api/v1/applications"
TOKENS = "/api/v1/me/tokens"
RESUMES = "/api/v1/resumes"


def _body(email: str = "idem@example.com") -> dict:
    return {"email": email, "password": factories.PASSWORD, "full_name": "Idem Potent"}


async def test_same_key_and_body_replays_the_first_answer_and_creates_once(client: httpx.AsyncClient) -> None:
    headers = {"Idempotency-Key": "key-1"}
    first = await client.post(URL, json=_body(), headers=headers)
    second = await client.post(URL, json=_body(), headers=headers)
    assert first.status_code == second.status_code == 202
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
    """Run again, the sign-up finds the account it made and mails its owner instead (same answer)."""
    first = await client.post(URL, json=_body())
    again = await client.post(URL, json=_body())
    assert first.status_code == again.status_code == 202 and first.content == again.content
    assert "idempotent-replayed" not in again.headers
    emails = await EmailOutbox.select(EmailOutbox.template).order_by(EmailOutbox.created_at)
    assert [row["template"] for row in emails] == ["verify_email", "account_exists"]


async def test_a_replayed_sign_up_says_nothing_about_the_address(client: httpx.AsyncClient) -> None:
    """Keyed sign-ups of a new and of an existing address store and replay the same answer, each owned
    by the account the address names (erased with it)."""
    await factories.register(client, "taken@example.com")
    answers = []
    for email, key in (("taken@example.com", "probe-1"), ("free@example.com", "probe-2")):
        for _ in range(2):
            answers.append(await client.post(URL, json=_body(email), headers={"Idempotency-Key": key}))
    assert {answer.status_code for answer in answers} == {202}
    assert len({answer.content for answer in answers}) == 1
    assert [answer.headers.get("idempotent-replayed") for answer in answers] == [None, "true", None, "true"]
    owners = {str(row["user"]) for row in await IdempotencyRecord.select(IdempotencyRecord.user)}
    users = {str(row["id"]) for row in await User.select(User.id)}
    assert owners == users and len(owners) == 2


async def test_a_refused_request_leaves_its_key_free_for_the_corrected_one(client: httpx.AsyncClient) -> None:
    """Bad input changes nothing, not even the key: the corrected body is created under the same key
    (a stored 422 would answer it "key reused")."""
    headers = {"Idempotency-Key": "key-3"}
    bad = {"email": "not-an-email", "password": factories.PASSWORD, "full_name": "X"}
    first = await client.post(URL, json=bad, headers=headers)
    second = await client.post(URL, json=bad, headers=headers)
    assert first.status_code == second.status_code == 422
    assert second.json() == first.json() and "idempotent-replayed" not in second.headers
    assert await IdempotencyRecord.count() == 0
    corrected = await client.post(URL, json=_body(), headers=headers)
    assert corrected.status_code == 202, corrected.text
    assert await User.count() == 1


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
    assert (first.status_code, retry.status_code) == (202, 202)
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


async def test_keys_are_scoped_per_caller(client: httpx.AsyncClient) -> None:
    """The same key and body from two signed-in users creates for each (it is their key, not a global one)."""
    ids = []
    for _ in range(2):
        who = await factories.account(client)
        headers = {**who.headers, "Idempotency-Key": "shared"}
        sent = await client.post(APPLICATIONS, json={"company": "Acme", "role": "Dev"}, headers=headers)
        assert sent.status_code == 201, sent.text
        assert "idempotent-replayed" not in sent.headers
        ids.append(sent.json()["id"])
    assert ids[0] != ids[1]
    assert await IdempotencyRecord.count() == 2


async def test_concurrent_retries_with_one_key_create_exactly_once(client: httpx.AsyncClient) -> None:
    headers = {"Idempotency-Key": "race"}
    responses = await asyncio.gather(*[client.post(URL, json=_body(), headers=headers) for _ in range(6)])
    statuses = [response.status_code for response in responses]
    assert 202 in statuses
    assert set(statuses) <= {202, 409}, statuses
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


# --- the body is read no further than the route's limit --------------------------------------------


def _head(path: str, *lines: str) -> bytes:
    fields = ["Host: test", "Content-Type: application/json", "Idempotency-Key: big", *lines]
    return (f"POST {path} HTTP/1.1\r\n" + "".join(f"{field}\r\n" for field in fields) + "\r\n").encode()


async def _answer(reader: asyncio.StreamReader) -> tuple[int, dict[str, Any]]:
    """Status and JSON body of the HTTP/1.1 answer on a raw connection."""
    head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1")
    fields = dict(line.lower().split(": ", 1) for line in head.split("\r\n")[1:] if ": " in line)
    body = await reader.readexactly(int(fields["content-length"]))
    return int(head.split(" ", 2)[1]), msgspec.json.decode(body)


def _address(app_url: str) -> tuple[str, int]:
    host, port = app_url.removeprefix("http://").split(":")
    return host, int(port)


async def test_a_body_over_the_limit_is_a_413_and_nothing_is_stored(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    body = {**_body(), "full_name": "x" * settings.app.max_body_bytes}
    response = await client.post(URL, json=body, headers={"Idempotency-Key": "too-big"})
    assert response.status_code == 413
    assert response.json()["type"].endswith(":payload-too-large") and response.json()["instance"] == URL
    without_key = await client.post(URL, json=body)  # the same answer as Litestar's own check
    assert (without_key.status_code, without_key.json()) == (413, response.json())
    assert await IdempotencyRecord.count() == 0 and await User.count() == 0


async def test_a_larger_content_length_is_refused_before_any_body_is_read(app_url: str, settings: Settings) -> None:
    """No byte of the body is ever sent: the answer can only come from the announced length."""
    reader, writer = await asyncio.open_connection(*_address(app_url))
    try:
        writer.write(_head(URL, f"Content-Length: {settings.app.max_body_bytes + 1}"))
        await writer.drain()
        status, problem = await asyncio.wait_for(_answer(reader), timeout=10)
    finally:
        writer.close()
    assert status == 413 and problem["type"].endswith(":payload-too-large")
    assert await IdempotencyRecord.count() == 0


async def test_a_chunked_body_that_never_ends_is_cut_off_at_the_limit(app_url: str, settings: Settings) -> None:
    """A chunked upload that never sends its last chunk gets its 413 once it passes the limit,
    while it is still being sent (read whole, 64 times the limit would be buffered and the
    request would wait for its end forever)."""
    chunk = b"x" * 65536
    frame = f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n"
    sent = 0
    reader, writer = await asyncio.open_connection(*_address(app_url))

    async def feed() -> None:
        nonlocal sent
        writer.write(_head(URL, "Transfer-Encoding: chunked"))
        while sent < 64 * settings.app.max_body_bytes:  # never the final chunk
            writer.write(frame)
            await writer.drain()
            sent += len(chunk)

    feeder = asyncio.create_task(feed())
    try:
        status, problem = await asyncio.wait_for(_answer(reader), timeout=20)
        assert not feeder.done(), f"the whole {sent} bytes were taken before the answer"
    finally:
        feeder.cancel()
        with contextlib.suppress(asyncio.CancelledError, ConnectionError):
            await feeder
        writer.close()
    assert status == 413 and problem["type"].endswith(":payload-too-large")
    assert await IdempotencyRecord.count() == 0


# --- a stored answer goes only to a caller whose credentials are valid now -------------------------

TOKEN_BODY = {"name": "sheet", "scopes": ["read", "write"]}


async def test_an_ended_session_gets_the_handlers_401_not_the_stored_answer(client: httpx.AsyncClient) -> None:
    owner = await factories.account(client)
    headers = {**owner.headers, "Idempotency-Key": "pat-1"}
    made = await client.post(TOKENS, json=TOKEN_BODY, headers=headers)
    assert made.status_code == 201, made.text
    assert (await client.post("/api/v1/auth/logout", json={"refresh_token": owner.refresh_token})).status_code == 204

    retried = await client.post(TOKENS, json=TOKEN_BODY, headers=headers)
    without_key = await client.post(TOKENS, json=TOKEN_BODY, headers=owner.headers)
    assert (await client.get("/api/v1/me", headers=owner.headers)).status_code == 401
    assert retried.status_code == 401 and "idempotent-replayed" not in retried.headers
    assert made.json()["token"] not in retried.text
    assert retried.json() == without_key.json()
    assert retried.headers["www-authenticate"] == without_key.headers["www-authenticate"]

    again = await factories.login(client, owner.email)  # a live session of the same user: its answer
    headers = {"Authorization": f"Bearer {again['access_token']}", "Idempotency-Key": "pat-1"}
    replayed = await client.post(TOKENS, json=TOKEN_BODY, headers=headers)
    assert replayed.status_code == 201 and replayed.headers["idempotent-replayed"] == "true"
    assert replayed.json() == made.json()


async def test_a_revoked_personal_token_gets_the_handlers_401_not_the_stored_answer(
    client: httpx.AsyncClient,
) -> None:
    owner = await factories.account(client)
    made = await client.post(TOKENS, json=TOKEN_BODY, headers=owner.headers)
    pat = {"Authorization": f"Bearer {made.json()['token']}"}
    body = {"company": "Acme", "role": "Dev"}
    created = await client.post(APPLICATIONS, json=body, headers={**pat, "Idempotency-Key": "from-the-sheet"})
    assert created.status_code == 201, created.text
    revoked = await client.delete(f"{TOKENS}/{made.json()['id']}", headers=owner.headers)
    assert revoked.status_code == 204

    retried = await client.post(APPLICATIONS, json=body, headers={**pat, "Idempotency-Key": "from-the-sheet"})
    without_key = await client.post(APPLICATIONS, json=body, headers=pat)
    assert retried.status_code == 401 and "idempotent-replayed" not in retried.headers
    assert retried.json() == without_key.json()


# --- stored answers are encrypted and belong to their user -----------------------------------------


async def test_a_stored_answer_is_encrypted_at_rest(client: httpx.AsyncClient, settings: Settings) -> None:
    """The answer of POST /me/tokens holds the token's secret: only ciphertext is stored."""
    owner = await factories.account(client)
    made = await client.post(TOKENS, json=TOKEN_BODY, headers={**owner.headers, "Idempotency-Key": "pat-2"})
    assert made.status_code == 201, made.text
    rows = await IdempotencyRecord.select(IdempotencyRecord.user, IdempotencyRecord.response_body)
    assert len(rows) == 1 and str(rows[0]["user"]) == owner.user_id
    stored = bytes(rows[0]["response_body"])
    assert made.json()["token"].encode() not in stored and b"ccp_" not in stored
    assert Envelope.key_id(stored) == settings.encryption.active_kid


async def test_erasing_the_account_erases_its_stored_answers(client: httpx.AsyncClient) -> None:
    owner, other = await factories.account(client), await factories.account(client)
    for who in (owner, other):
        headers = {**who.headers, "Idempotency-Key": "erase-me"}
        sent = await client.post(APPLICATIONS, json={"company": "Acme", "role": "Dev"}, headers=headers)
        assert sent.status_code == 201, sent.text
    assert await IdempotencyRecord.count() == 2
    erased = await client.request("DELETE", "/api/v1/me", json={"password": owner.password}, headers=owner.headers)
    assert erased.status_code == 204, erased.text
    rows = await IdempotencyRecord.select(IdempotencyRecord.user)
    assert [str(row["user"]) for row in rows] == [other.user_id]


# --- "not now" is not kept ----------------------------------------------------------------------------

LETTER = {"company": "Northwind Cloud", "role": "Senior Data Engineer", "job_description": ai_fixtures.DATA_JOB}


async def test_a_429_is_not_kept_so_the_retry_after_the_wait_runs_again(
    client: httpx.AsyncClient, redis: aioredis.Redis, settings: Settings
) -> None:
    owner = await factories.account(client)
    await parsed_resume(settings, owner.user_id, ai_fixtures.marcus())
    window = quota.rate_key(uuid.UUID(owner.user_id), "m")  # the user's AI requests of this minute: all used
    await redis.set(window, settings.ai.requests_per_minute, ex=60)
    headers = {**owner.headers, "Idempotency-Key": "letter-1"}
    refused = await client.post("/api/v1/cover-letters", json=LETTER, headers=headers)
    assert refused.status_code == 429 and int(refused.headers["retry-after"]) >= 1
    assert await IdempotencyRecord.count() == 0

    await redis.delete(window)  # the minute is over
    retried = await client.post("/api/v1/cover-letters", json=LETTER, headers=headers)
    assert retried.status_code == 202, retried.text
    assert "idempotent-replayed" not in retried.headers
    replayed = await client.post("/api/v1/cover-letters", json=LETTER, headers=headers)
    assert replayed.headers["idempotent-replayed"] == "true" and replayed.json() == retried.json()


# --- the middleware's own problems look like every other ----------------------------------------------


async def test_the_middlewares_own_problems_are_like_every_other(client: httpx.AsyncClient) -> None:
    await client.post(URL, json=_body(), headers={"Idempotency-Key": "k"})
    answers = [
        await client.post(URL, json=_body(), headers={"Idempotency-Key": "x" * 201}),  # 400
        await client.post(URL, json=_body("other@example.com"), headers={"Idempotency-Key": "k"}),  # 422
        await client.post(URL, json={"email": 1}),  # 422 from the exception handlers, for comparison
    ]
    assert [answer.status_code for answer in answers] == [400, 422, 422]
    for answer in answers:
        assert answer.headers["content-type"] == answers[-1].headers["content-type"]
        problem = msgspec.json.decode(answer.content, type=Problem)
        assert problem.instance == URL
        assert answer.content == msgspec.json.encode(problem)  # the same encoder, byte for byte


# --- a retried upload is the same request, whatever multipart boundary its client picked -----------


def _pdf(text: str) -> bytes:
    doc = pymupdf.open()
    doc.new_page().insert_text((72, 72), text)
    data: bytes = doc.tobytes()
    doc.close()
    return data


async def test_a_retried_upload_with_another_boundary_is_replayed(client: httpx.AsyncClient) -> None:
    """httpx, browsers and requests pick a new random boundary for every request: the retry of an
    upload differs from its first try in those bytes only, and must get the stored answer."""
    owner = await factories.account(client)

    async def send(path: str, key: str, content: bytes, boundary: str) -> httpx.Response:
        headers = {
            **owner.headers,
            "Idempotency-Key": key,
            "Content-Type": f"multipart/form-data; boundary={boundary}",
        }
        files = {"file": ("cv.pdf", content, "application/pdf")}
        return await client.post(path, files=files, headers=headers)

    pdf = _pdf("Ada Lovelace")
    first = await send(RESUMES, "upload-1", pdf, os.urandom(16).hex())
    retry = await send(RESUMES, "upload-1", pdf, os.urandom(16).hex())
    assert (first.status_code, retry.status_code) == (202, 202), retry.text
    assert retry.headers["idempotent-replayed"] == "true" and retry.json() == first.json()

    versions = f"{RESUMES}/{first.json()['id']}/versions"
    pdf = _pdf("Ada Lovelace v2")
    first = await send(versions, "version-1", pdf, os.urandom(16).hex())
    retry = await send(versions, "version-1", pdf, os.urandom(16).hex())
    assert (first.status_code, retry.status_code) == (202, 202), retry.text
    assert retry.headers["idempotent-replayed"] == "true" and retry.json() == first.json()
    assert await Resume.count() == 1 and await ResumeVersion.count() == 2

    other = await send(versions, "version-1", _pdf("Another file"), os.urandom(16).hex())
    assert other.status_code == 422 and other.json()["type"].endswith(":idempotency-key-reused")


# --- register's stored answer belongs to the account it created ----------------------------------


async def test_erasing_a_registered_account_erases_the_answer_of_its_register(client: httpx.AsyncClient) -> None:
    """The record (keyed by the client address, its request hash derived from the email) is the new
    user's row, and DELETE /me erases it with every other row of the user."""
    made = await client.post(URL, json=_body(), headers={"Idempotency-Key": "sign-up"})
    assert made.status_code == 202, made.text
    rows = await IdempotencyRecord.select(IdempotencyRecord.user)
    [user] = await User.select(User.id)
    assert [str(row["user"]) for row in rows] == [str(user["id"])]
    tokens = await factories.login(client, _body()["email"])
    headers = {"Authorization": f"Bearer {tokens['access_token']}"}
    erased = await client.request("DELETE", "/api/v1/me", json={"password": factories.PASSWORD}, headers=headers)
    assert erased.status_code == 204, erased.text
    assert await IdempotencyRecord.count() == 0


# --- an answer that cannot be decrypted is dropped, not a 500 for a day ---------------------------


def _unreadable(kind: str, record_id: uuid.UUID) -> bytes:
    if kind == "in-clear":  # written by an older pod that stored answers unencrypted
        return b'{"id": "written in clear"}'
    removed = Envelope({"removed": os.urandom(32)}, "removed")  # a master key since removed
    return removed.encrypt(b'{"id": "under a removed key"}', idempotency.body_aad(record_id))


@pytest.mark.parametrize("kind", ["in-clear", "removed-key"])
async def test_an_answer_that_cannot_be_decrypted_is_dropped_and_the_retry_runs(
    client: httpx.AsyncClient, kind: str
) -> None:
    owner = await factories.account(client)
    headers = {**owner.headers, "Idempotency-Key": "unreadable"}
    body = {"company": "Acme", "role": "Dev"}
    assert (await client.post(APPLICATIONS, json=body, headers=headers)).status_code == 201
    (record,) = await IdempotencyRecord.select(IdempotencyRecord.id)
    await DB.run_ddl(  # SQL, as a rollout or a removed key leaves it
        f"UPDATE idempotency_records SET response_body = decode('{_unreadable(kind, record['id']).hex()}', 'hex')"
    )

    dropped = await client.post(APPLICATIONS, json=body, headers=headers)
    assert dropped.status_code == 409, dropped.text
    assert dropped.json()["type"].endswith(":idempotency-conflict") and dropped.headers["retry-after"] == "1"
    assert await IdempotencyRecord.count() == 0

    retried = await client.post(APPLICATIONS, json=body, headers=headers)
    assert retried.status_code == 201 and "idempotent-replayed" not in retried.headers
    assert await Application.count() == 2 and await IdempotencyRecord.count() == 1


# --- only a route declared anonymous is keyed by the client address --------------------------------


def test_anonymous_idempotent_routes_are_exactly_those_without_authentication(settings: Settings) -> None:
    """`idempotent(anonymous=True)` (keys by client address, no authentication) on a route that
    documents no bearer security, and on register only; every other one authenticates its caller.
    (The session's settings: `create_app` sets this process's Redis topology.)"""
    app = create_app(settings)
    anonymous = {}
    for route in app.routes:
        for handler in getattr(route, "route_handlers", []):
            if handler.opt.get("idempotent"):
                anonymous[handler.operation_id] = handler.opt.get("idempotent_anonymous")
                assert anonymous[handler.operation_id] is (not handler.resolve_security()), handler.operation_id
    assert {operation_id for operation_id, is_anonymous in anonymous.items() if is_anonymous} == {"registerUser"}
    assert len(anonymous) == 12


async def _owner_of_the_token(principal: NamedDependency[Principal]) -> str:
    return str(principal.user.id)


@post(
    "/things",
    status_code=HTTP_201_CREATED,
    dependencies={"principal": Provide(auth.provide_principal), "owner": Provide(_owner_of_the_token)},
    **idempotency.idempotent(),
)
async def create_thing(data: JSONBody[dict[str, Any]], owner: NamedDependency[str]) -> dict[str, Any]:
    """A create whose principal reaches it through a service dependency, not its own signature."""
    return {"id": str(uuid.uuid4()), "owner": owner, **data}


@pytest_asyncio.fixture
async def things_url(settings: Settings, db: None) -> AsyncIterator[str]:
    """A tiny app of the project's pieces, served on loopback, with `create_thing` only."""
    app = Litestar(
        route_handlers=[create_thing],
        dependencies={"account_service": Provide(account_http.provide_account_service, sync_to_thread=False)},
        request_class=request_context.Request,
        exception_handlers=problems.EXCEPTION_HANDLERS,
        lifespan=[lifespan_for(settings)],
        logging_config=None,
    )
    app.state.settings = settings
    async with served(app) as url:
        yield url


async def test_a_create_without_principal_in_its_signature_still_authenticates(
    client: httpx.AsyncClient, things_url: str
) -> None:
    """Keyed by client address, a stored answer would go to anyone behind the same address: with no
    token, or to another user. Each gets what it would get without the key."""
    alice, bob = await factories.account(client), await factories.account(client)
    body = {"name": "thing"}
    async with httpx.AsyncClient(base_url=things_url, timeout=30) as things:
        made = await things.post("/things", json=body, headers={**alice.headers, "Idempotency-Key": "k"})
        assert made.status_code == 201 and made.json()["owner"] == alice.user_id, made.text
        anonymous = await things.post("/things", json=body, headers={"Idempotency-Key": "k"})
        assert anonymous.status_code == 401 and anonymous.json()["type"].endswith(":missing-token")
        assert made.json()["id"] not in anonymous.text
        other = await things.post("/things", json=body, headers={**bob.headers, "Idempotency-Key": "k"})
        assert other.status_code == 201 and "idempotent-replayed" not in other.headers
        assert other.json()["owner"] == bob.user_id
        again = await things.post("/things", json=body, headers={**alice.headers, "Idempotency-Key": "k"})
        assert again.headers["idempotent-replayed"] == "true" and again.json() == made.json()
    rows = await IdempotencyRecord.select(IdempotencyRecord.user)
    assert sorted(str(row["user"]) for row in rows) == sorted([alice.user_id, bob.user_id])
