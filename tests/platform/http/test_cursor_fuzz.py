"""Every `cursor` query parameter of the api, fuzzed: whatever a client sends as a cursor is either
one the api made for that list and that caller, or a 400 problem (`invalid-cursor`), never a 500.

The routes come from the served OpenAPI document (a new list route is fuzzed without editing this
file). Cursors tried: random bytes, base64 of JSON of every wrong shape (the sort key of another
sort, wrong types, huge numbers and strings, NUL characters, nested values), a real cursor edited,
truncated or extended, and real cursors of another user or of another list.
"""

from __future__ import annotations

import base64
import json
import random
import uuid
from typing import Any

import httpx

from backend.features.notifications import service as notification_services
from backend.platform.db.tables import CoverLetter, User
from tests import factories

PROBLEM = "application/problem+json"
SEED = 20261204


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _shapes() -> list[Any]:
    """JSON values of wrong shapes and types, including the one that reached the SQL cast."""
    some_id = str(uuid.uuid4())
    return [
        ["-updated_at", "x", "y"],
        ["updated_at", "2026-01-01", some_id],
        ["company", "\u0000", some_id],
        ["-created_at", "99999-01-01T00:00:00+00:00", some_id],
        ["next_follow_up_at", "infinity", "not-a-uuid"],
        ["2026-12-04T10:00:00+00:00", some_id],
        ["2026-12-04T10:00:00", some_id],  # no time zone
        ["x", "y"],
        [1, 2],
        [1e308, -1e308],
        [10**40, some_id],
        [None, None],
        [[], {}],
        [{"a": 1}, [some_id]],
        ["a" * 600, some_id],
        [],
        [""],
        [True, False, None],
        {"created_at": "2026-12-04T10:00:00+00:00", "id": some_id},
        "2026-12-04T10:00:00+00:00",
        123,
        None,
    ]


def _malformed(valid: list[str]) -> list[str]:
    """Cursors the api did not make (all within the parameter's declared alphabet)."""
    rng = random.Random(SEED)
    out: list[str] = []
    for length in (1, 2, 3, 15, 16, 17, 31, 64, 200, 700):
        out += [_b64(rng.randbytes(length)) for _ in range(3)]
    out += ["A", "AA", "AAA", "-", "_", "____", "A" * 1024]
    for shape in _shapes():
        payload = json.dumps(shape).encode()
        out += [_b64(payload), _b64(bytes(16) + payload), _b64(rng.randbytes(16) + payload)]
    for cursor in valid:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        for position in (0, 5, 15, 16, 20, len(raw) - 1):
            flipped = bytearray(raw)
            flipped[position] ^= 0x01
            out.append(_b64(bytes(flipped)))
        out += [cursor[:-1], cursor[:-4], cursor + "A", cursor + "AAAA", _b64(raw[:16]), _b64(raw[16:])]
        forged = raw[:16] + json.dumps(["-updated_at", "x", "y"]).encode()
        out.append(_b64(forged))
    return out


async def _cursor_routes(client: httpx.AsyncClient) -> list[str]:
    document = (await client.get("/schema/openapi.json")).json()
    routes = []
    for path, item in document["paths"].items():
        operation = item.get("get")
        if operation and any(p["name"] == "cursor" and p["in"] == "query" for p in operation.get("parameters", [])):
            routes.append(path)
    return sorted(routes)


async def _first_cursor(client: httpx.AsyncClient, path: str, headers: dict[str, str], **params: str) -> str:
    page = await client.get(path, params={"limit": "1", **params}, headers=headers)
    assert page.status_code == 200, page.text
    cursor = page.json()["next_cursor"]
    assert isinstance(cursor, str), (path, page.text)
    return cursor


async def _seed(user_id: str, client: httpx.AsyncClient, headers: dict[str, str]) -> None:
    """Two rows in every list of the user, so that each answers a next cursor."""
    for n in range(2):
        created = await client.post("/api/v1/applications", json={"company": f"Co {n}", "role": "Dev"}, headers=headers)
        assert created.status_code == 201, created.text
        await notification_services.create(uuid.UUID(user_id), "test", f"Note {n}", "body", f"/x/{n}")
        await CoverLetter(user=uuid.UUID(user_id), company=f"Co {n}", role="Dev", status="completed").save()
        contact = await client.post("/api/v1/contacts", json={"name": f"Person {n}"}, headers=headers)
        assert contact.status_code == 201, contact.text


async def test_every_cursor_parameter_answers_a_400_problem_to_any_cursor_the_api_did_not_make(
    client: httpx.AsyncClient,
) -> None:
    owner, other = await factories.account(client), await factories.account(client)
    for who in (owner, other):
        await User.update({User.role: "admin"}).where(User.id == who.user_id)
        await _seed(who.user_id, client, who.headers)

    routes = await _cursor_routes(client)
    assert set(routes) >= {
        "/api/v1/admin/users",
        "/api/v1/applications",
        "/api/v1/contacts",
        "/api/v1/cover-letters",
        "/api/v1/notifications",
    }, routes

    valid = {path: await _first_cursor(client, path, owner.headers) for path in routes}
    # The cursor of one sort is refused by another sort of the same list.
    by_company = await _first_cursor(client, "/api/v1/applications", owner.headers, sort="company")
    wrong_sort = await client.get(
        "/api/v1/applications", params={"cursor": by_company, "sort": "-updated_at"}, headers=owner.headers
    )
    assert wrong_sort.status_code == 400 and wrong_sort.json()["type"].endswith(":invalid-cursor"), wrong_sort.text

    failures: list[str] = []
    for path in routes:
        own = valid[path]
        # Real cursors: of this list for another user, and of the other lists for this user.
        theirs = await _first_cursor(client, path, other.headers)
        candidates = [theirs, *(cursor for other_path, cursor in valid.items() if other_path != path)]
        candidates += _malformed(list(valid.values()))
        assert (await client.get(path, params={"cursor": own}, headers=owner.headers)).status_code == 200
        for cursor in candidates:
            if cursor == own:
                continue
            response = await client.get(path, params={"cursor": cursor}, headers=owner.headers)
            if response.status_code >= 500:
                failures.append(f"{path} cursor={cursor[:60]}: {response.status_code}")
                continue
            problem = response.headers["content-type"].startswith(PROBLEM)
            if response.status_code != 400 or not problem or not response.json()["type"].endswith(":invalid-cursor"):
                failures.append(f"{path} cursor={cursor[:60]}: {response.status_code} {response.text[:120]}")
    assert failures == [], "\n".join(failures[:20]) + f"\n({len(failures)} in all)"


async def test_a_cursor_longer_than_declared_or_outside_its_alphabet_is_a_4xx_problem(
    client: httpx.AsyncClient,
) -> None:
    account = await factories.account(client)
    await User.update({User.role: "admin"}).where(User.id == account.user_id)
    for path in await _cursor_routes(client):
        for cursor in ("A" * 1025, "A" * 5000, "a+b/c==", "not a cursor", "é", "%00"):
            response = await client.get(path, params={"cursor": cursor}, headers=account.headers)
            assert response.status_code in (400, 422), (path, cursor, response.text)
            assert response.headers["content-type"].startswith(PROBLEM)
