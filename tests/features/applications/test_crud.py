"""Applications: CRUD, validation, BOLA, timeline."""

import uuid

import httpx
import pytest

from backend.platform.db.tables import Application, ApplicationEvent
from tests import factories

URL = "/api/v1/applications"


def body(**overrides: object) -> dict:
    return {"company": "Acme", "role": "Backend Engineer", **overrides}


async def create(client: httpx.AsyncClient, account: factories.Account, **overrides: object) -> dict:
    response = await client.post(URL, json=body(**overrides), headers=account.headers)
    assert response.status_code == 201, response.text
    return response.json()


async def test_create_get_patch_delete(client: httpx.AsyncClient) -> None:
    account = await factories.account(client)
    created = await create(
        client,
        account,
        salary_min=90_000,
        salary_max=120_000,
        currency="EUR",
        tags=["remote", "python"],
        remote="hybrid",
        job_url="https://acme.example/jobs/1",
        next_follow_up_at="2030-01-02T09:00:00Z",
    )
    assert created["status"] == "wishlist" and created["applied_at"] is None
    assert created["tags"] == ["remote", "python"] and created["currency"] == "EUR"
    got = await client.get(f"{URL}/{created['id']}", headers=account.headers)
    assert got.status_code == 200 and got.json() == created
    patched = await client.patch(f"{URL}/{created['id']}", json={"notes": "call back"}, headers=account.headers)
    assert patched.json()["notes"] == "call back" and patched.json()["company"] == "Acme"
    assert (await client.delete(f"{URL}/{created['id']}", headers=account.headers)).status_code == 204
    assert (await client.get(f"{URL}/{created['id']}", headers=account.headers)).status_code == 404
    assert await ApplicationEvent.count() == 0


async def test_status_changes_build_the_timeline_and_applied_fills_applied_at(client: httpx.AsyncClient) -> None:
    account = await factories.account(client)
    app = await create(client, account)
    for status, note in [("applied", ""), ("screening", "recruiter call"), ("interview", ""), ("rejected", "")]:
        response = await client.patch(
            f"{URL}/{app['id']}", json={"status": status, "status_note": note}, headers=account.headers
        )
        assert response.status_code == 200
        if status == "applied":
            assert response.json()["applied_at"] is not None
    await client.patch(f"{URL}/{app['id']}", json={"notes": "no status change"}, headers=account.headers)
    timeline = (await client.get(f"{URL}/{app['id']}/events", headers=account.headers)).json()
    assert [(e["from_status"], e["to_status"]) for e in timeline] == [
        (None, "wishlist"),
        ("wishlist", "applied"),
        ("applied", "screening"),
        ("screening", "interview"),
        ("interview", "rejected"),
    ]
    assert timeline[2]["note"] == "recruiter call"
    times = [e["at"] for e in timeline]
    assert times == sorted(times)


async def test_an_explicit_applied_at_is_kept(client: httpx.AsyncClient) -> None:
    account = await factories.account(client)
    app = await create(client, account, status="applied", applied_at="2024-03-01T10:00:00+01:00")
    assert app["applied_at"] == "2024-03-01T09:00:00Z"


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"salary_min": -1}, "salary_min"),
        ({"salary_min": 200, "salary_max": 100}, "salary_max"),
        ({"status": "hired"}, "status"),
        ({"applied_at": "last tuesday"}, "applied_at"),
        ({"company": "x" * 10_000}, "company"),
        ({"notes": "x" * 10_000}, "notes"),
        ({"currency": "euro"}, "currency"),
        ({"job_url": "javascript:alert(1)"}, "job_url"),
        ({"tags": ["a|b"]}, "tags"),
        ({"remote": "moon"}, "remote"),
        ({"owner": "someone-else"}, "owner"),
        ({"company": ""}, "company"),
    ],
)
async def test_bad_input_is_a_422_and_writes_nothing(client: httpx.AsyncClient, overrides: dict, field: str) -> None:
    account = await factories.account(client)
    response = await client.post(URL, json=body(**overrides), headers=account.headers)
    assert response.status_code == 422, response.text
    assert any(field in e["field"] or field in e["message"] for e in response.json()["errors"])
    assert await Application.count() == 0


async def test_bad_patches_change_nothing(client: httpx.AsyncClient) -> None:
    account = await factories.account(client)
    app = await create(client, account, salary_min=100)
    for change in ({"salary_max": 50}, {"status": "nope"}, {"unknown": 1}, {"role": ""}):
        response = await client.patch(f"{URL}/{app['id']}", json=change, headers=account.headers)
        assert response.status_code == 422, change
    assert (await client.get(f"{URL}/{app['id']}", headers=account.headers)).json() == app


async def test_other_users_applications_are_404_on_every_endpoint(client: httpx.AsyncClient) -> None:
    alice, mallory = await factories.account(client), await factories.account(client)
    app = await create(client, alice)
    target = f"{URL}/{app['id']}"
    for method, url, payload in [
        ("GET", target, None),
        ("PATCH", target, {"notes": "pwned"}),
        ("DELETE", target, None),
        ("GET", f"{target}/events", None),
    ]:
        response = await client.request(method, url, json=payload, headers=mallory.headers)
        assert response.status_code == 404, (method, url)
    listing = (await client.get(URL, headers=mallory.headers)).json()
    assert listing["items"] == []
    assert (await client.get(target, headers=alice.headers)).json() == app
    missing = await client.get(f"{URL}/{uuid.uuid4()}", headers=alice.headers)
    assert missing.status_code == 404


async def test_idempotency_key_creates_once(client: httpx.AsyncClient) -> None:
    account = await factories.account(client)
    headers = {**account.headers, "Idempotency-Key": "apply-acme"}
    first = await client.post(URL, json=body(), headers=headers)
    second = await client.post(URL, json=body(), headers=headers)
    assert first.json() == second.json()
    assert await Application.count() == 1


async def test_stats_funnel(client: httpx.AsyncClient) -> None:
    account = await factories.account(client)
    specs = [("LinkedIn", ["applied", "screening", "interview"]), ("LinkedIn", ["applied"]),
             ("Referral", ["applied", "rejected"]), ("Referral", []), ("", ["applied", "withdrawn"])]  # fmt: skip
    for source, path in specs:
        app = await create(client, account, source=source)
        for status in path:
            await client.patch(f"{URL}/{app['id']}", json={"status": status}, headers=account.headers)
    stats = (await client.get(f"{URL}/stats", headers=account.headers)).json()
    assert stats["total"] == 5
    assert stats["by_status"]["interview"] == 1 and stats["by_status"]["wishlist"] == 1
    assert stats["applied"] == 4 and stats["responded"] == 2 and stats["response_rate"] == 0.5
    assert stats["median_days_to_first_response"] is not None
    by_source = {s["source"]: s for s in stats["by_source"]}
    assert by_source["LinkedIn"]["responded"] == 1 and by_source["Referral"]["total"] == 2


async def test_a_linked_resume_version_must_be_the_users_own(client: httpx.AsyncClient) -> None:
    from backend.platform.db.tables import Resume, ResumeVersion

    account, other = await factories.account(client), await factories.account(client)
    versions = {}
    for who in (account, other):
        resume = Resume(user=uuid.UUID(who.user_id), title="CV")
        await resume.save()
        version = ResumeVersion(resume=resume.id, user=uuid.UUID(who.user_id), number=1, status="parsed",
                                filename="cv.pdf", size=1, sha256="0" * 64, object_key=f"k/{uuid.uuid4()}")  # fmt: skip
        await version.save()
        versions[who.user_id] = str(version.id)
    theirs, mine = versions[other.user_id], versions[account.user_id]
    for linked in (theirs, str(uuid.uuid4())):
        refused = await client.post(URL, json=body(resume_version_id=linked), headers=account.headers)
        assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "resume_version_id"
    assert await Application.count().where(Application.user == account.user_id) == 0
    app = await create(client, account, resume_version_id=mine)
    patched = await client.patch(f"{URL}/{app['id']}", json={"resume_version_id": theirs}, headers=account.headers)
    assert patched.status_code == 422
    assert (await client.get(f"{URL}/{app['id']}", headers=account.headers)).json()["resume_version_id"] == mine
    cleared = await client.patch(f"{URL}/{app['id']}", json={"resume_version_id": None}, headers=account.headers)
    assert cleared.status_code == 200 and cleared.json()["resume_version_id"] is None
