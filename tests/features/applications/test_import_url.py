"""Importing a job posting from its URL (`POST /api/v1/applications/import-url`) through the real api:
every page format of tests/fixtures/job_pages served by a real HTTP server on loopback under its
board's host name (the api's fetch policy maps those names to loopback, as DNS would), pages sent by
the browser in `html`, the 422s that keep the URL, the refused loopback, the stored snapshot
(encrypted, owner-scoped, served sandboxed), the hourly budget and idempotency."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import uuid
from collections.abc import AsyncIterator, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
import pytest_asyncio
from litestar import Litestar, Response, get
from litestar.params import FromPath
from litestar.response import Stream

from backend.platform.db.tables import Application, ApplicationEvent, ApplicationSnapshot
from backend.settings import Settings
from tests import factories, support
from tests.plugins.services import served
from tests.support import settings_env

URL = "/api/v1/applications/import-url"
PAGES = Path(__file__).parents[2] / "fixtures" / "job_pages"
EXPECTED: dict[str, dict[str, Any]] = json.loads((PAGES / "expected.json").read_text())
BY_PATH = {urlsplit(case["url"]).path: PAGES / case["file"] for case in EXPECTED.values()}
IMPORTS_PER_HOUR = 8


@get("/{path:path}", sync_to_thread=False)
def page(path: FromPath[str]) -> Response[bytes]:
    file = BY_PATH.get(path)
    if file is None:
        return Response(b"<h1>Not found</h1>", status_code=404, media_type="text/html")
    return Response(file.read_bytes(), media_type="text/html; charset=utf-8")


@get("/special/pdf", sync_to_thread=False)
def pdf() -> Response[bytes]:
    return Response(b"%PDF-1.7", media_type="application/pdf")


@get("/special/sign-in", sync_to_thread=False)
def sign_in() -> Response[bytes]:
    """What a posting behind a sign-in shows a fetcher: no title, no posting."""
    return Response(b"<html><body><form><input name=email></form></body></html>", media_type="text/html")


@get("/special/latin-1", sync_to_thread=False)
def latin_1() -> Response[bytes]:
    """Its charset only in a `<meta>`: no charset in the Content-Type (Litestar adds one to any text/* type)."""
    body = '<html><head><meta charset="iso-8859-1"><title>Ingénieur logiciel | Café</title></head><body></body>'
    return Response(body.encode("latin-1"), media_type="application/xhtml+xml")


@get("/special/endless")
async def endless() -> Stream:
    async def chunks() -> AsyncIterator[bytes]:
        while True:
            yield b"<p>" + b"x" * 65536
            await asyncio.sleep(0)

    return Stream(chunks(), media_type="text/html")


@get("/special/slow")
async def slow() -> Stream:
    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(100):
            yield b"<p>x</p>"
            await asyncio.sleep(0.2)

    return Stream(chunks(), media_type="text/html")


@pytest_asyncio.fixture(scope="module")
async def boards() -> AsyncIterator[str]:
    """The board pages on a loopback server; its base URL."""
    async with served(Litestar([pdf, sign_in, latin_1, endless, slow, page])) as url:
        yield url


async def _loopback(host: str, port: int) -> Sequence[str]:
    """The api's DNS in these tests: every board host is this machine."""
    return ["127.0.0.1"]


@pytest_asyncio.fixture(scope="module")
async def api(services: support.SessionServices, db: None) -> AsyncIterator[str]:
    """An api that may fetch loopback (JOB_FETCH_ALLOW_PRIVATE) and resolves every host to it."""
    from backend.entrypoints.api import create_app

    env = settings_env(
        services, JOB_FETCH_ALLOW_PRIVATE="true", JOB_FETCH_MAX_BYTES="200000", JOB_FETCH_TIMEOUT_SECONDS="1",
        JOB_IMPORTS_PER_HOUR=str(IMPORTS_PER_HOUR),
    )  # fmt: skip
    app = create_app(Settings.from_env(env))
    app.state.job_fetch_policy = dataclasses.replace(app.state.job_fetch_policy, resolver=_loopback)
    async with served(app) as url:
        yield url


@pytest_asyncio.fixture
async def http(api: str) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=api, timeout=30) as client:
        yield client


def on_boards(url: str, boards: str) -> str:
    """`url` (a board's https URL) as served by the loopback board server: same host, its port, http."""
    port = urlsplit(boards).port
    parts = urlsplit(url)
    return parts._replace(scheme="http", netloc=f"{parts.hostname}:{port}").geturl()


def _stored_pages(settings: Settings) -> list[Path]:
    return list(Path(settings.storage.local_dir).rglob("job-pages/*"))


async def _nothing_created() -> None:
    assert await Application.count() == 0
    assert await ApplicationEvent.count() == 0
    assert await ApplicationSnapshot.count() == 0


@pytest.mark.parametrize("name", sorted(EXPECTED))
async def test_every_format_is_imported_with_every_field(name: str, http: httpx.AsyncClient, boards: str) -> None:
    case = EXPECTED[name]
    account = await factories.account(http)
    url = on_boards(case["url"], boards)
    response = await http.post(URL, json={"url": url, "status": "applied"}, headers=account.headers)
    assert response.status_code == 201, response.text
    imported = response.json()
    application = imported["application"]
    assert {field: application[field] for field in case["fields"]} == case["fields"]
    assert (application["job_url"], application["status"], application["notes"]) == (url, "applied", "")
    assert application["applied_at"] is not None
    assert (imported["method"], imported["sources"], imported["page"]) == (case["method"], case["sources"], "fetched")
    got = await http.get(f"/api/v1/applications/{application['id']}", headers=account.headers)
    assert got.json() == application
    snapshot = await http.get(f"/api/v1/applications/{application['id']}/snapshot", headers=account.headers)
    assert snapshot.status_code == 200
    assert snapshot.content == (PAGES / case["file"]).read_bytes()
    row = await ApplicationSnapshot.select().where(ApplicationSnapshot.id == imported["snapshot_id"]).first()
    assert row is not None and (row["url"], row["final_url"], row["origin"]) == (url, url, "fetched")
    assert (str(row["application"]), row["method"]) == (application["id"], case["method"])


async def test_the_snapshot_is_served_as_sandboxed_html(http: httpx.AsyncClient, boards: str) -> None:
    account = await factories.account(http)
    url = on_boards(EXPECTED["ashby"]["url"], boards)  # the page with a script in it
    imported = (await http.post(URL, json={"url": url}, headers=account.headers)).json()
    snapshot = await http.get(f"/api/v1/applications/{imported['application']['id']}/snapshot", headers=account.headers)
    assert snapshot.headers["content-type"] == "text/html; charset=utf-8"
    policies = snapshot.headers.get_list("content-security-policy")
    assert any(p.startswith("sandbox;") and "default-src 'none'" in p for p in policies), policies
    assert snapshot.headers["x-content-type-options"] == "nosniff"
    assert snapshot.headers["cache-control"] == "no-store"
    assert b"window.__appData" in snapshot.content


async def test_board_pages_sent_by_the_browser_are_read_without_a_fetch(http: httpx.AsyncClient) -> None:
    """A page behind a sign-in: the browser sends what it shows; the board is named by the URL's host,
    which is never fetched (these hosts are not served: a fetch would fail)."""
    account = await factories.account(http)
    for name in ("workday", "greenhouse", "plain"):
        case = EXPECTED[name]
        html = (PAGES / case["file"]).read_text()
        response = await http.post(URL, json={"url": case["url"], "html": html}, headers=account.headers)
        assert response.status_code == 201, response.text
        imported = response.json()
        application = imported["application"]
        assert {field: application[field] for field in case["fields"]} == case["fields"]
        assert (application["job_url"], application["status"]) == (case["url"], "wishlist")
        assert (imported["method"], imported["sources"]) == (case["method"], case["sources"])
        assert imported["page"] == "browser"
        snapshot = await http.get(f"/api/v1/applications/{application['id']}/snapshot", headers=account.headers)
        assert snapshot.text == html
        row = await ApplicationSnapshot.select().where(ApplicationSnapshot.id == imported["snapshot_id"]).first()
        assert row is not None and (row["origin"], row["final_url"]) == ("browser", "")


async def test_pay_by_the_hour_is_noted_not_taken_as_a_yearly_salary(http: httpx.AsyncClient) -> None:
    account = await factories.account(http)
    posting = {
        "@context": "https://schema.org", "@type": "JobPosting", "title": "Barista",
        "hiringOrganization": {"@type": "Organization", "name": "Bean There"},
        "baseSalary": {"@type": "MonetaryAmount", "currency": "USD",
                       "value": {"@type": "QuantitativeValue", "minValue": 18.5, "maxValue": 22, "unitText": "HOUR"}},
    }  # fmt: skip
    html = f'<script type="application/ld+json">{json.dumps(posting)}</script>'
    body = {"url": "https://beanthere.example/jobs/1", "html": html}
    response = await http.post(URL, json=body, headers=account.headers)
    application = response.json()["application"]
    assert (application["salary_min"], application["salary_max"], application["currency"]) == (None, None, None)
    assert application["notes"] == "Pay as the posting states it: 18.50 to 22 USD per hour"


async def test_a_page_in_another_charset_is_read_in_it(http: httpx.AsyncClient, boards: str) -> None:
    account = await factories.account(http)
    response = await http.post(URL, json={"url": f"{boards}/special/latin-1"}, headers=account.headers)
    assert response.status_code == 201, response.text
    assert response.json()["application"]["role"] == "Ingénieur logiciel"


@pytest.mark.parametrize(
    ("path", "slug", "reason"),
    [
        ("/nowhere", "job-page-unreadable", "the site answered 404"),
        ("/special/pdf", "job-page-unreadable", "not a web page (application/pdf)"),
        ("/special/endless", "job-page-unreadable", "the page is larger than 200,000 bytes"),
        ("/special/slow", "job-page-unreadable", "the page did not arrive within 1 s"),
        ("/special/sign-in", "job-posting-not-found", "No job title was found on this page"),
    ],
)
async def test_a_page_that_cannot_be_read_is_422_with_its_url_and_creates_nothing(
    path: str, slug: str, reason: str, http: httpx.AsyncClient, boards: str, settings: Settings
) -> None:
    account = await factories.account(http)
    url = f"{boards}{path}"
    response = await http.post(URL, json={"url": url}, headers=account.headers)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert (problem["type"], problem["url"]) == (f"urn:career-copilot:problem:{slug}", url)
    assert reason in problem["detail"]
    await _nothing_created()
    assert not _stored_pages(settings)  # the apps of this session share DATA_DIR


async def test_loopback_and_private_addresses_are_refused_without_the_allow_flag(
    client: httpx.AsyncClient, boards: str
) -> None:
    """The session's api keeps the default policy: the server's own network is never fetched."""
    account = await factories.account(client)
    refused = "cannot be fetched: "
    for url, reason in (
        (
            f"{boards}/northwindcloud/jobs/4012345",
            refused + "127.0.0.1 resolves to a refused address: 127.0.0.1 is in 127.0.0.0/8 (loopback)",
        ),
        ("http://localhost:9/job", refused + "localhost resolves to a refused address"),
        (
            "http://169.254.169.254/latest/meta-data/",
            refused
            + "169.254.169.254 resolves to a refused address: 169.254.169.254 is in 169.254.0.0/16 (link-local)",
        ),
        ("http://[::1]:8000/", refused + "::1 resolves to a refused address: ::1 is in ::1/128 (loopback)"),
        ("http://[oops/job", "the URL is not a valid web address"),
    ):
        response = await client.post(URL, json={"url": url}, headers=account.headers)
        assert response.status_code == 422, response.text
        problem = response.json()
        assert problem["type"] == "urn:career-copilot:problem:job-page-unreadable" and problem["url"] == url
        assert reason in problem["detail"], problem["detail"]
    await _nothing_created()


async def test_the_snapshot_is_the_owners_only_and_goes_with_its_application(
    http: httpx.AsyncClient, boards: str, settings: Settings
) -> None:
    owner, other = await factories.account(http), await factories.account(http)
    imported = (
        await http.post(URL, json={"url": on_boards(EXPECTED["lever"]["url"], boards)}, headers=owner.headers)
    ).json()
    app_id = imported["application"]["id"]
    assert (await http.get(f"/api/v1/applications/{app_id}/snapshot", headers=other.headers)).status_code == 404
    assert (await http.get(f"/api/v1/applications/{uuid.uuid4()}/snapshot", headers=owner.headers)).status_code == 404
    typed = await http.post("/api/v1/applications", json={"company": "A", "role": "B"}, headers=owner.headers)
    no_page = await http.get(f"/api/v1/applications/{typed.json()['id']}/snapshot", headers=owner.headers)
    assert no_page.status_code == 404 and "no saved job posting page" in no_page.json()["detail"]
    key = f"users/{owner.user_id}/job-pages/{imported['snapshot_id']}"
    stored = Path(settings.storage.local_dir) / key
    assert stored.exists()
    assert (await http.delete(f"/api/v1/applications/{app_id}", headers=owner.headers)).status_code == 204
    assert not stored.exists() and await ApplicationSnapshot.count() == 0


async def test_the_snapshot_is_stored_encrypted(http: httpx.AsyncClient, boards: str, settings: Settings) -> None:
    account = await factories.account(http)
    imported = (
        await http.post(URL, json={"url": on_boards(EXPECTED["greenhouse"]["url"], boards)}, headers=account.headers)
    ).json()
    row = await ApplicationSnapshot.select().where(ApplicationSnapshot.id == imported["snapshot_id"]).first()
    assert row is not None and row["object_kid"] == settings.encryption.active_kid
    raw = (Path(settings.storage.local_dir) / row["object_key"]).read_bytes()
    page = (PAGES / "greenhouse.html").read_bytes()
    assert row["size"] == len(page)
    for text in (b"Northwind", b"Senior Backend Engineer", b"<html", b"app-title"):
        assert text not in raw
    assert raw[0] == 1  # an envelope blob (backend/platform/crypto/envelope.py)


async def test_an_html_body_past_the_cap_is_413_and_creates_nothing(http: httpx.AsyncClient) -> None:
    account = await factories.account(http)
    html = "<title>Engineer</title>" + "x" * 200_000
    response = await http.post(URL, json={"url": "https://acme.example/job", "html": html}, headers=account.headers)
    assert response.status_code == 413, response.text
    assert "at most 200,000" in response.json()["detail"]
    await _nothing_created()


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"url": ""},
        {"url": "ftp://example.com/job"},
        {"url": "javascript:alert(1)"},
        {"url": "https://example.com/job", "status": "hired"},
        {"url": "https://example.com/job", "company": "Acme"},
        {"url": "https://example.com/" + "x" * 2000},
    ],
)
async def test_bad_bodies_are_422(body: dict[str, Any], http: httpx.AsyncClient) -> None:
    account = await factories.account(http)
    response = await http.post(URL, json=body, headers=account.headers)
    assert response.status_code in (400, 422), response.text
    await _nothing_created()


async def test_imports_have_an_hourly_budget_per_user(http: httpx.AsyncClient) -> None:
    account, other = await factories.account(http), await factories.account(http)
    body = {"url": "https://acme.example/job", "html": "<title>Engineer</title>"}
    for _ in range(IMPORTS_PER_HOUR):
        assert (await http.post(URL, json=body, headers=account.headers)).status_code == 201
    refused = await http.post(URL, json=body, headers=account.headers)
    assert refused.status_code == 429 and int(refused.headers["retry-after"]) > 0
    assert await Application.count() == IMPORTS_PER_HOUR
    assert (await http.post(URL, json=body, headers=other.headers)).status_code == 201  # per user


async def test_an_import_is_idempotent(http: httpx.AsyncClient, boards: str) -> None:
    account = await factories.account(http)
    headers = {**account.headers, "Idempotency-Key": str(uuid.uuid4())}
    body = {"url": on_boards(EXPECTED["smartrecruiters"]["url"], boards)}
    first = await http.post(URL, json=body, headers=headers)
    again = await http.post(URL, json=body, headers=headers)
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json() == first.json() and again.headers["idempotent-replayed"] == "true"
    assert await Application.count() == 1 and await ApplicationSnapshot.count() == 1
    other = await http.post(URL, json={**body, "status": "applied"}, headers=headers)
    assert other.status_code == 422


async def test_a_read_only_token_cannot_import(http: httpx.AsyncClient) -> None:
    account = await factories.account(http)
    made = await http.post("/api/v1/me/tokens", json={"name": "ro", "scopes": ["read"]}, headers=account.headers)
    assert made.status_code == 201, made.text
    token = {"Authorization": f"Bearer {made.json()['token']}"}
    response = await http.post(URL, json={"url": "https://acme.example/job", "html": "<title>X</title>"}, headers=token)
    assert response.status_code == 403
    await _nothing_created()
