"""Contacts: CRUD, validation (422, nothing written), owner scoping (404), the text filter with
cursor pagination, links to applications in the timeline, details encrypted at rest, and the vCard
4.0 exports read back by a real parser (vobject) and checked against RFC 6350's line rules."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest
import vobject

from backend.platform.db.tables import ApplicationActivity, Contact, ContactApplication
from tests import factories

URL = "/api/v1/contacts"
APPS = "/api/v1/applications"
NAME = "Zoë Quillfeather-Ñandú"
NOTES = 'Met at PyCon; knows the CTO, \\ likes "tea".\nFollow up in March.\r\nSecond line: ' + "ü" * 60


async def application(client: httpx.AsyncClient, account: factories.Account, company: str = "Acme") -> str:
    response = await client.post(APPS, json={"company": company, "role": "Engineer"}, headers=account.headers)
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def contact_body(**overrides: Any) -> dict[str, Any]:
    return {
        "name": NAME,
        "role": "Head, Talent; EMEA",
        "company": "Acme; Sons, Ltd",
        "email": "zoe.q@example.com",
        "phone": "+44 20 7946 0958 ext. 12",
        "linkedin_url": "https://www.linkedin.com/in/zoe-quillfeather",
        "notes": NOTES,
        **overrides,
    }


async def create(client: httpx.AsyncClient, account: factories.Account, **overrides: Any) -> dict:
    response = await client.post(URL, json=contact_body(**overrides), headers=account.headers)
    assert response.status_code == 201, response.text
    return dict(response.json())


async def test_create_get_patch_delete(client: httpx.AsyncClient) -> None:
    account = await factories.account(client)
    app_id = await application(client, account)
    created = await create(client, account, application_ids=[app_id, app_id])
    assert created["name"] == NAME and created["notes"] == NOTES and created["application_ids"] == [app_id]
    got = await client.get(f"{URL}/{created['id']}", headers=account.headers)
    assert got.status_code == 200 and got.json() == created
    patched = await client.patch(
        f"{URL}/{created['id']}", json={"role": "Recruiter", "email": ""}, headers=account.headers
    )
    assert patched.status_code == 200, patched.text
    assert patched.json()["role"] == "Recruiter" and patched.json()["email"] == ""
    assert patched.json()["name"] == NAME and patched.json()["phone"] == created["phone"]
    assert (await client.delete(f"{URL}/{created['id']}", headers=account.headers)).status_code == 204
    assert (await client.get(f"{URL}/{created['id']}", headers=account.headers)).status_code == 404
    assert await ContactApplication.count() == 0


async def test_details_are_not_stored_in_clear(client: httpx.AsyncClient) -> None:
    account = await factories.account(client)
    await create(client, account, application_ids=[await application(client, account)])
    rows = await Contact.raw("SELECT * FROM contacts")
    rows += await ApplicationActivity.raw("SELECT * FROM application_activity")
    stored = b"".join(
        bytes(v) if isinstance(v, bytes | memoryview) else str(v).encode() for r in rows for v in r.values()
    )
    for secret in ("Quillfeather", "zoe.q@example.com", "7946 0958", "zoe-quillfeather", "PyCon"):
        assert secret.encode() not in stored, secret


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"name": ""}, "name"),
        ({"name": "   "}, "name"),
        ({"name": "x" * 201}, "name"),
        ({"email": "not-an-email"}, "email"),
        ({"phone": "call me maybe"}, "phone"),
        ({"linkedin_url": "https://evil.example.com/in/zoe"}, "linkedin_url"),
        ({"linkedin_url": "javascript:alert(1)"}, "linkedin_url"),
        ({"notes": "x" * 5001}, "notes"),
        ({"application_ids": [str(uuid.uuid4())]}, "application_ids"),
        ({"application_ids": ["nope"]}, "application_ids"),
        ({"owner": "mallory"}, "owner"),
    ],
)
async def test_bad_input_is_a_422_and_writes_nothing(client: httpx.AsyncClient, overrides: dict, field: str) -> None:
    account = await factories.account(client)
    response = await client.post(URL, json=contact_body(**overrides), headers=account.headers)
    assert response.status_code == 422, response.text
    assert any(field in e["field"] or field in e["message"] for e in response.json()["errors"])
    assert await Contact.count() == 0 and await ContactApplication.count() == 0


async def test_another_users_contact_or_application_is_404(client: httpx.AsyncClient) -> None:
    alice, mallory = await factories.account(client), await factories.account(client)
    contact = await create(client, alice)
    alice_app, mallory_app = await application(client, alice), await application(client, mallory)
    mallory_contact = await create(client, mallory, name="Mallory's friend")
    target = f"{URL}/{contact['id']}"
    for method, url, payload in [
        ("GET", target, None),
        ("PATCH", target, {"notes": "pwned"}),
        ("DELETE", target, None),
        ("GET", f"{target}/vcard", None),
        ("PUT", f"{target}/applications/{mallory_app}", None),
        ("DELETE", f"{target}/applications/{mallory_app}", None),
        ("PUT", f"{URL}/{mallory_contact['id']}/applications/{alice_app}", None),
        ("DELETE", f"{URL}/{mallory_contact['id']}/applications/{alice_app}", None),
        ("GET", f"{URL}?application_id={alice_app}", None),
    ]:
        response = await client.request(method, url, json=payload, headers=mallory.headers)
        assert response.status_code == 404, (method, url, response.text)
    linked = await client.patch(
        f"{URL}/{mallory_contact['id']}", json={"application_ids": [alice_app]}, headers=mallory.headers
    )
    assert linked.status_code == 422
    assert [c["id"] for c in (await client.get(URL, headers=mallory.headers)).json()["items"]] == [
        mallory_contact["id"]
    ]
    assert NAME not in (await client.get(f"{URL}/export.vcf", headers=mallory.headers)).text
    assert (await client.get(target, headers=alice.headers)).json() == contact
    assert await ContactApplication.count() == 0


async def test_text_filter_and_cursor_pagination(client: httpx.AsyncClient) -> None:
    account = await factories.account(client)
    app_id = await application(client, account)
    made = []
    for i in range(25):
        extra = {"company": "Globex"} if i % 2 else {"company": "Initech", "notes": f"coffee #{i}"}
        made.append(await create(client, account, name=f"Person {i:02d}", **extra))
    await client.put(f"{URL}/{made[3]['id']}/applications/{app_id}", headers=account.headers)

    seen: list[str] = []
    cursor = None
    while True:
        query = {"limit": 10, **({"cursor": cursor} if cursor else {})}
        page = (await client.get(URL, params=query, headers=account.headers)).json()
        seen += [c["id"] for c in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == [c["id"] for c in reversed(made)]  # newest first, each once

    matched, cursor = [], None
    while True:
        query = {"q": "GLOBEX", "limit": 5, **({"cursor": cursor} if cursor else {})}
        page = (await client.get(URL, params=query, headers=account.headers)).json()
        matched += [c["name"] for c in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert matched == [f"Person {i:02d}" for i in range(23, 0, -2)]
    coffee = (await client.get(URL, params={"q": "Coffee #1"}, headers=account.headers)).json()["items"]
    assert sorted(c["name"] for c in coffee) == ["Person 10", "Person 12", "Person 14", "Person 16", "Person 18"]
    by_app = (await client.get(URL, params={"application_id": app_id}, headers=account.headers)).json()
    assert [c["id"] for c in by_app["items"]] == [made[3]["id"]]
    bad = await client.get(URL, params={"cursor": "bm90LWEtY3Vyc29y"}, headers=account.headers)
    assert bad.status_code == 400 and bad.json()["type"].endswith("invalid-cursor")


async def test_links_enter_the_timeline(client: httpx.AsyncClient) -> None:
    account = await factories.account(client)
    first, second = await application(client, account, "Acme"), await application(client, account, "Globex")
    contact = await create(client, account, application_ids=[first])
    linked = await client.put(f"{URL}/{contact['id']}/applications/{second}", headers=account.headers)
    assert linked.status_code == 200 and set(linked.json()["application_ids"]) == {first, second}
    again = await client.put(f"{URL}/{contact['id']}/applications/{second}", headers=account.headers)
    assert again.status_code == 200
    unlinked = await client.delete(f"{URL}/{contact['id']}/applications/{first}", headers=account.headers)
    assert unlinked.status_code == 204
    replaced = await client.patch(f"{URL}/{contact['id']}", json={"application_ids": [first]}, headers=account.headers)
    assert replaced.json()["application_ids"] == [first]

    def entries(timeline: list[dict]) -> list[tuple[str, str | None]]:
        return [(e["kind"], e["contact"]["name"] if e["contact"] else e["to_status"]) for e in timeline]

    timeline = (await client.get(f"{APPS}/{first}/events", headers=account.headers)).json()
    assert entries(timeline) == [
        ("status", "wishlist"),
        ("contact_linked", NAME),
        ("contact_unlinked", NAME),
        ("contact_linked", NAME),
    ]
    assert all(e["contact"]["id"] == contact["id"] for e in timeline[1:])
    assert (await client.delete(f"{URL}/{contact['id']}", headers=account.headers)).status_code == 204
    timeline = (await client.get(f"{APPS}/{first}/events", headers=account.headers)).json()
    assert entries(timeline)[-1] == ("contact_unlinked", NAME)  # kept after the contact is gone
    second_timeline = (await client.get(f"{APPS}/{second}/events", headers=account.headers)).json()
    assert entries(second_timeline) == [("status", "wishlist"), ("contact_linked", NAME), ("contact_unlinked", NAME)]


def assert_rfc6350_lines(text: str) -> None:
    """Strict line rules: CRLF only, at most 75 octets per physical line, folds start with one space
    and never split a UTF-8 character (each physical line decodes alone)."""
    raw = text.encode()
    assert raw.endswith(b"\r\n") and b"\n" not in raw.replace(b"\r\n", b"") and b"\r" not in raw.replace(b"\r\n", b"")
    for line in raw.split(b"\r\n")[:-1]:
        assert len(line) <= 75, line
        line.decode()  # a fold inside a multi-byte character would not decode


async def test_vcard_of_one_contact_parses_back(client: httpx.AsyncClient) -> None:
    account = await factories.account(client)
    contact = await create(client, account)
    response = await client.get(f"{URL}/{contact['id']}/vcard", headers=account.headers)
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/vcard; charset=utf-8"
    assert "attachment" in response.headers["content-disposition"]
    assert_rfc6350_lines(response.text)
    lines = response.text.split("\r\n")
    assert lines[:2] == ["BEGIN:VCARD", "VERSION:4.0"]
    assert "TITLE:Head\\, Talent\\; EMEA" in lines and "ORG:Acme\\; Sons\\, Ltd" in lines
    assert any(line.startswith("NOTE:") and len(line.encode()) > 60 for line in lines)
    assert any(line.startswith(" ") for line in lines)  # the long note is folded

    card = vobject.readOne(response.text)
    assert card.version.value == "4.0"
    assert card.uid.value == f"urn:uuid:{contact['id']}"
    assert card.fn.value == NAME
    assert (card.n.value.family, card.n.value.given) == ("Quillfeather-Ñandú", "Zoë")
    assert card.org.value == ["Acme; Sons, Ltd"]
    assert card.title.value == "Head, Talent; EMEA"
    assert card.email.value == "zoe.q@example.com"
    assert card.tel.value == "+44 20 7946 0958 ext. 12"
    assert card.url.value == "https://www.linkedin.com/in/zoe-quillfeather"
    assert card.note.value == NOTES.replace("\r\n", "\n")


async def test_export_of_every_contact(client: httpx.AsyncClient) -> None:
    account = await factories.account(client)
    names = ["Ada Lovelace", "Grace, the admiral; Hopper", "Alan\\Turing", NAME]
    made = [await create(client, account, name=name, email="", phone="", linkedin_url="", notes="") for name in names]
    response = await client.get(f"{URL}/export.vcf", headers=account.headers)
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/vcard")
    assert_rfc6350_lines(response.text)
    cards = list(vobject.readComponents(response.text))
    assert [c.fn.value for c in cards] == names
    assert [c.uid.value for c in cards] == [f"urn:uuid:{c['id']}" for c in made]
    assert all("email" not in c.contents and "note" not in c.contents for c in cards)
    empty = await client.get(f"{URL}/export.vcf", headers=(await factories.account(client)).headers)
    assert empty.status_code == 200 and empty.text == ""
