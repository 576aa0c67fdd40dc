"""Users' personal details at rest: the `users` row holds no full name, phone, location or link in
clear (read with SQL), while every reader (GET/PATCH /me, the admin list and its search, the export,
account emails) still gets them; rows of earlier releases are moved by `manage encrypt-pii`."""

from __future__ import annotations

import asyncio
import json
import sys
import uuid
from asyncio.subprocess import PIPE
from typing import Any

import httpx

from backend.platform.crypto import pii
from backend.platform.crypto.envelope import Envelope
from backend.platform.db.tables import EmailOutbox, User
from backend.settings import Settings
from tests import factories
from tests.support import ROOT, SessionServices, settings_env

NAME, PHONE, PLACE = "Zoë Quillfeather", "+44 20 7946 0958", "Tobermory, Isle of Mull"
LINK = "https://example.org/zoe-quillfeather-portfolio"
SECRETS = (NAME, PHONE, PLACE, LINK, "Quillfeather", "7946 0958")  # a fragment no uuid or digest can hold


async def _raw_row(user_id: str) -> dict[str, Any]:
    rows = await User.raw("SELECT * FROM users WHERE id = {}", user_id)
    assert len(rows) == 1
    return dict(rows[0])


def _at_rest(row: dict[str, Any]) -> bytes:
    """Every value of the row as the bytes Postgres holds (text as UTF-8, JSON as text)."""
    out = b""
    for value in row.values():
        if isinstance(value, bytes | bytearray | memoryview):
            out += bytes(value)
        elif isinstance(value, str):
            out += value.encode()
        else:
            out += json.dumps(value, default=str, ensure_ascii=False).encode()
        out += b"\x00"
    return out


def _assert_no_plaintext(row: dict[str, Any]) -> None:
    stored = _at_rest(row)
    for secret in SECRETS:
        assert secret.encode() not in stored, secret
    assert row["full_name"] == row["phone"] == row["location"] == ""
    assert json.loads(row["links"]) == [] if isinstance(row["links"], str) else row["links"] == []


async def test_the_users_row_holds_no_personal_detail_in_clear_and_the_api_returns_them(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    email = factories.unique_email("zoe")
    registered = await client.post(
        "/api/v1/auth/register", json={"email": email, "password": factories.PASSWORD, "full_name": NAME}
    )
    assert registered.status_code == 202, registered.text  # sign-up says nothing of the account
    tokens = await factories.login(client, email)
    headers = {"Authorization": f"Bearer {tokens['access_token']}"}
    me = await client.get("/api/v1/me", headers=headers)
    assert me.status_code == 200 and me.json()["full_name"] == NAME, me.text
    user_id = me.json()["id"]
    _assert_no_plaintext(await _raw_row(user_id))

    patch = {"phone": PHONE, "location": PLACE, "links": [{"label": "Portfolio", "url": LINK}], "headline": "Data"}
    updated = await client.patch("/api/v1/me", json=patch, headers=headers)
    assert updated.status_code == 200, updated.text
    me = (await client.get("/api/v1/me", headers=headers)).json()
    assert (me["full_name"], me["phone"], me["location"], me["headline"]) == (NAME, PHONE, PLACE, "Data")
    assert me["links"] == [{"label": "Portfolio", "url": LINK}]
    row = await _raw_row(user_id)
    _assert_no_plaintext(row)
    envelope = Envelope.from_settings(settings.encryption)
    assert Envelope.key_id(bytes(row["pii"])) == settings.encryption.active_kid
    assert pii.read(envelope, row).phone == PHONE

    # One field changed leaves the others as they were.
    renamed = await client.patch("/api/v1/me", json={"location": "Oban"}, headers=headers)
    assert (renamed.json()["full_name"], renamed.json()["phone"], renamed.json()["location"]) == (NAME, PHONE, "Oban")

    exported = (await client.get("/api/v1/me/export", headers=headers)).json()
    assert (exported["user"]["full_name"], exported["user"]["phone"]) == (NAME, PHONE)

    # The verification email still greets the user by name.
    mail = await EmailOutbox.select(EmailOutbox.context).where(EmailOutbox.to_address == email).first()
    assert mail is not None
    context = mail["context"] if isinstance(mail["context"], dict) else json.loads(mail["context"])
    assert context["full_name"] == NAME

    admin = await factories.account(client)
    await User.update({User.role: "admin"}).where(User.id == admin.user_id)
    listed = (await client.get("/api/v1/admin/users", headers=admin.headers)).json()
    assert NAME in [item["full_name"] for item in listed["items"]]
    found = (await client.get("/api/v1/admin/users", params={"q": "quillFEATHER"}, headers=admin.headers)).json()
    assert [item["id"] for item in found["items"]] == [user_id]
    by_email = (await client.get("/api/v1/admin/users", params={"q": email.upper()}, headers=admin.headers)).json()
    assert [item["id"] for item in by_email["items"]] == [user_id]


async def test_admin_search_by_name_pages_through_every_user(client: httpx.AsyncClient) -> None:
    admin = await factories.account(client)
    await User.update({User.role: "admin"}).where(User.id == admin.user_id)
    wanted = []
    for n in range(7):
        name = f"Needle {n}" if n % 2 == 0 else f"Hay {n}"
        email = factories.unique_email("s")
        made = await client.post(
            "/api/v1/auth/register", json={"email": email, "password": factories.PASSWORD, "full_name": name}
        )
        assert made.status_code == 202, made.text
        if n % 2 == 0:
            row = await User.select(User.id).where(User.email == email).first()
            assert row is not None
            wanted.append(str(row["id"]))
    seen: list[str] = []
    cursor = None
    while True:
        params = {"q": "needle", "limit": "2", **({"cursor": cursor} if cursor else {})}
        page = (await client.get("/api/v1/admin/users", params=params, headers=admin.headers)).json()
        seen += [item["id"] for item in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert sorted(seen) == sorted(wanted) and len(seen) == len(set(seen))


async def test_encrypt_pii_moves_rows_of_earlier_releases(
    client: httpx.AsyncClient, services: SessionServices, settings: Settings
) -> None:
    admin = await factories.account(client)
    await User.update({User.role: "admin"}).where(User.id == admin.user_id)
    legacy_id = uuid.uuid4()
    await User.raw(
        "INSERT INTO users (id, email, password_hash, full_name, headline, location, phone, links, target_roles,"
        " role, is_active, created_at, updated_at)"
        " VALUES ({}, {}, 'x', {}, '', {}, {}, {}::jsonb, '{{}}', 'user', true, now(), now())",
        legacy_id,
        factories.unique_email("legacy"),
        NAME,
        PLACE,
        PHONE,
        json.dumps([{"label": "Site", "url": LINK}]),
    )
    before = (await client.get("/api/v1/admin/users", params={"q": NAME}, headers=admin.headers)).json()["items"]
    assert [(item["id"], item["phone"]) for item in before] == [(str(legacy_id), PHONE)]  # read from the old columns

    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "backend.entrypoints.manage", "encrypt-pii", "--batch", "1",
        cwd=ROOT, env=settings_env(services), stdout=PIPE, stderr=PIPE,
    )  # fmt: skip
    out, err = await process.communicate()
    assert process.returncode == 0, err.decode()
    report = json.loads(out)
    assert report["remaining"] == 0 and report["encrypted"] >= 1, report
    assert "users: " in err.decode()  # progress

    row = await _raw_row(str(legacy_id))
    _assert_no_plaintext(row)
    after = (await client.get("/api/v1/admin/users", params={"q": NAME}, headers=admin.headers)).json()["items"]
    assert [(item["id"], item["full_name"], item["location"]) for item in after] == [(str(legacy_id), NAME, PLACE)]
    assert after[0]["links"] == [{"label": "Site", "url": LINK}]
