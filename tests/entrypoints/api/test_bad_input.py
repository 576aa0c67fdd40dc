"""Bad input never reaches a 500 and never changes anything.

Every auth and me endpoint that takes a body gets malformed JSON, an unknown field, a wrong type, a
body over the limit, deep nesting, bytes that are not UTF-8, a NUL character in a string and a
body that is not declared as JSON; the authenticated ones also get expired, forged and unsigned
(alg=none) tokens. Each answer must be a 4xx problem+json, and every table must hold exactly the
rows it held before (a snapshot of all of them, content included). Then the other places a NUL
character used to reach Postgres (a 500): applications (body and query) and the CSV import.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import msgspec
import pymupdf
import pytest

from backend.platform.db.tables import ALL_TABLES, User
from backend.settings import Settings
from tests import factories

PROBLEM = "application/problem+json"
Body = Callable[[factories.Account], dict[str, Any]]

# (method, path, a valid body for the account, needs the account's bearer token)
ENDPOINTS: dict[str, tuple[str, str, Body, bool]] = {
    "register": ("POST", "/auth/register", lambda a: {"email": "new@example.com", "password": a.password,
                                                      "full_name": "New"}, False),
    "login": ("POST", "/auth/login", lambda a: {"email": a.email, "password": a.password}, False),
    "refresh": ("POST", "/auth/refresh", lambda a: {"refresh_token": a.refresh_token}, False),
    "logout": ("POST", "/auth/logout", lambda a: {"refresh_token": a.refresh_token}, False),
    "verify-email": ("POST", "/auth/verify-email", lambda a: {"token": "x" * 40}, False),
    "verify-resend": ("POST", "/auth/verify-email/resend", lambda a: {"email": a.email}, False),
    "password-reset": ("POST", "/auth/password-reset", lambda a: {"email": a.email}, False),
    "password-reset-confirm": ("POST", "/auth/password-reset/confirm",
                               lambda a: {"token": "x" * 40, "new_password": "another long password"}, False),
    "update-me": ("PATCH", "/me", lambda a: {"headline": "Engineer"}, True),
    "change-password": ("POST", "/me/password",
                        lambda a: {"current_password": a.password, "new_password": "another long password"}, True),
    "delete-me": ("DELETE", "/me", lambda a: {"password": a.password}, True),
    "create-token": ("POST", "/me/tokens", lambda a: {"name": "sheet", "scopes": ["read"]}, True),
    "notification-settings": ("PUT", "/me/notification-settings", lambda a: {"time_zone": "UTC"}, True),
}  # fmt: skip
AUTHENTICATED = [name for name, (*_, needs_token) in ENDPOINTS.items() if needs_token]


def _first_key(body: dict[str, Any]) -> str:
    return next(iter(body))


def _with_nul(body: dict[str, Any]) -> dict[str, Any]:
    key = next(k for k, v in body.items() if isinstance(v, str))
    return {**body, key: body[key][:3] + "\x00" + body[key][3:]}


# kind -> (raw body and content type from a valid body, expected status)
KINDS: dict[str, tuple[Callable[[dict[str, Any]], tuple[bytes, str]], int]] = {
    "malformed": (lambda b: (msgspec.json.encode(b)[:-3], "application/json"), 400),
    "unknown-field": (lambda b: (msgspec.json.encode({**b, "is_admin": True}), "application/json"), 422),
    "wrong-type": (lambda b: (msgspec.json.encode({**b, _first_key(b): {"an": "object"}}), "application/json"), 422),
    "over-the-limit": (lambda b: (msgspec.json.encode({**b, "pad": "x" * 1_100_000}), "application/json"), 413),
    "deep-nesting": (lambda b: (b"[" * 100_000, "application/json"), 400),
    "not-utf8": (lambda b: (b'{"' + _first_key(b).encode() + b'":"\xff\xfe"}', "application/json"), 400),
    "nul-character": (lambda b: (msgspec.json.encode(_with_nul(b)), "application/json"), 422),
    "not-json": (lambda b: (msgspec.json.encode(b), "text/plain"), 415),
}


async def _snapshot() -> dict[str, list[dict[str, Any]]]:
    """Every row of every table (what "nothing changed" means)."""
    return {table._meta.tablename: await table.raw(f'SELECT * FROM "{table._meta.tablename}" ORDER BY 1')
            for table in ALL_TABLES}  # fmt: skip


async def _world(client: httpx.AsyncClient) -> factories.Account:
    """An account with a live session, a personal token and a queued verification email."""
    account = await factories.account(client)
    made = await client.post(
        "/api/v1/me/tokens", json={"name": "existing", "scopes": ["read"]}, headers=account.headers
    )
    assert made.status_code == 201, made.text
    return account


def _assert_problem(response: httpx.Response, status: int) -> None:
    assert response.status_code == status, response.text[:300]
    assert response.headers["content-type"].startswith(PROBLEM)
    problem = response.json()
    assert problem["status"] == status and problem["type"].startswith("urn:career-copilot:problem:")


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("endpoint", ENDPOINTS)
async def test_bad_bodies_are_4xx_problems_and_change_nothing(
    client: httpx.AsyncClient, endpoint: str, kind: str
) -> None:
    account = await _world(client)
    method, path, valid, _ = ENDPOINTS[endpoint]
    make, status = KINDS[kind]
    content, content_type = make(valid(account))
    before = await _snapshot()
    headers = {**account.headers, "content-type": content_type}
    response = await client.request(method, f"/api/v1{path}", content=content, headers=headers)
    _assert_problem(response, status)
    assert await _snapshot() == before


@pytest.mark.parametrize(
    ("endpoint", "kind"),
    [(e, k) for e in ("register", "create-token") for k in ("malformed", "unknown-field", "nul-character")]
    + [("create-token", "forged-token")],
)
async def test_bad_input_with_an_idempotency_key_stores_no_idempotency_record(
    client: httpx.AsyncClient, settings: Settings, endpoint: str, kind: str
) -> None:
    """A request refused before its handler ran was not processed: nothing to replay, so the key
    stays free for the corrected request (as Stripe does: no result is saved when parameters fail)."""
    account = await _world(client)
    method, path, valid, _ = ENDPOINTS[endpoint]
    make, status = KINDS["malformed" if kind == "forged-token" else kind]
    content, content_type = make(valid(account))
    if kind == "forged-token":
        status, content = 401, msgspec.json.encode(valid(account))
        account.access_token = factories.forged_access_token(settings, account, "other-key")
    before = await _snapshot()
    headers = {**account.headers, "content-type": content_type, "idempotency-key": str(uuid.uuid4())}
    response = await client.request(method, f"/api/v1{path}", content=content, headers=headers)
    _assert_problem(response, status)
    assert await _snapshot() == before


@pytest.mark.parametrize("how", ["expired", "other-key", "alg-none"])
@pytest.mark.parametrize("endpoint", AUTHENTICATED)
async def test_bad_tokens_are_401_problems_and_change_nothing(
    client: httpx.AsyncClient, settings: Settings, endpoint: str, how: str
) -> None:
    account = await _world(client)
    method, path, valid, _ = ENDPOINTS[endpoint]
    before = await _snapshot()
    headers = {"Authorization": f"Bearer {factories.forged_access_token(settings, account, how)}"}
    response = await client.request(method, f"/api/v1{path}", json=valid(account), headers=headers)
    _assert_problem(response, 401)
    assert await _snapshot() == before


async def test_a_nul_character_anywhere_in_a_json_body_is_named_in_the_problem(client: httpx.AsyncClient) -> None:
    account = await _world(client)
    before = await _snapshot()
    body = {"links": [{"label": "web", "url": "https://example.com"}, {"label": "x\x00", "url": "https://a.b"}]}
    response = await client.patch("/api/v1/me", json=body, headers=account.headers)
    _assert_problem(response, 422)
    assert response.json()["errors"] == [
        {"field": "links[1].label", "message": "must not contain the NUL character (\\u0000)"}
    ]
    assert await _snapshot() == before
    # the six characters \u0000 written as text are not a NUL: they are stored as they are
    text = await client.patch("/api/v1/me", json={"headline": "C:\\u0000"}, headers=account.headers)
    assert text.status_code == 200, text.text
    assert await User.select(User.headline).where(User.id == account.user_id) == [{"headline": "C:\\u0000"}]


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("POST", "/applications", {"company": "A\x00", "role": "Engineer"}),
        ("GET", "/applications?q=%00", None),
        ("GET", "/applications?tag=a%00b&status=applied", None),
        ("GET", "/applications/%00", None),
        ("GET", "/nothing-here?x=%00", None),
    ],
    ids=["application-body", "query-q", "query-tag", "path", "unrouted-path"],
)
async def test_nul_characters_in_applications_bodies_queries_and_paths_are_422(
    client: httpx.AsyncClient, method: str, path: str, body: dict[str, Any] | None
) -> None:
    account = await _world(client)
    before = await _snapshot()
    response = await client.request(method, f"/api/v1{path}", json=body, headers=account.headers)
    _assert_problem(response, 422)
    assert len(response.headers["x-request-id"]) == 32
    assert await _snapshot() == before


async def test_a_csv_import_with_a_nul_character_is_422_and_imports_nothing(client: httpx.AsyncClient) -> None:
    account = await _world(client)
    before = await _snapshot()
    csv = b"company,role\r\nAcme,Engineer\r\nNul\x00Corp,Engineer\r\n"
    response = await client.post(
        "/api/v1/applications/import", content=csv, headers={**account.headers, "content-type": "text/csv"}
    )
    _assert_problem(response, 422)
    assert await _snapshot() == before


@pytest.mark.parametrize("field", ["title", "filename"])
async def test_a_nul_character_in_a_resume_upload_is_422_and_stores_nothing(
    client: httpx.AsyncClient, settings: Settings, field: str
) -> None:
    account = await _world(client)
    pdf = pymupdf.open()
    pdf.new_page().insert_text((72, 72), "Ada Lovelace")
    content = pdf.tobytes()
    objects = Path(settings.app.data_dir) / "objects"
    files_before = sorted(objects.rglob("*"))
    before = await _snapshot()
    name, title = (b"cv\x00.pdf", b"Main") if field == "filename" else (b"cv.pdf", b"Ma\x00in")
    boundary = b"x-boundary-x"  # written by hand: httpx would percent-encode the NUL of a file name
    body = b"".join([
        b"--%s\r\nContent-Disposition: form-data; name=\"title\"\r\n\r\n%s\r\n" % (boundary, title),
        b"--%s\r\nContent-Disposition: form-data; name=\"file\"; filename=\"%s\"\r\n" % (boundary, name),
        b"Content-Type: application/pdf\r\n\r\n%s\r\n--%s--\r\n" % (content, boundary),
    ])  # fmt: skip
    headers = {**account.headers, "content-type": f"multipart/form-data; boundary={boundary.decode()}"}
    response = await client.post("/api/v1/resumes", content=body, headers=headers)
    _assert_problem(response, 422)
    assert await _snapshot() == before
    assert sorted(objects.rglob("*")) == files_before or all(p.is_dir() for p in objects.rglob("*"))
