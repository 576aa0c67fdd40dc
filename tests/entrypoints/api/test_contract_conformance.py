"""The served api does what its served OpenAPI says (the defects a fuzzer found, one test per kind):

- dates: a date in a year before 1900 or after 2199 (year 1 came back without its offset, breaking
  `format: date-time`) is refused with a 422 naming the field, and changes nothing; the years in
  range come back with their offset;
- media types: an answer that is not JSON is declared with its own media type, and sent with one
  Content-Type (the CSV export said `text/csv; charset=utf-8; charset=utf-8`, documented as JSON);
- constraints: what the schema declares invalid the api refuses, and what it declares valid the api
  accepts (it refused unknown fields, empty tags, unknown sorts that the schema allowed).
"""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest
from jsonschema import Draft202012Validator

from backend.platform.db.tables import Application
from tests import factories
from tests.features.resumes.test_uploads import make_pdf, upload

URL = "/api/v1/applications"
OFFSET = r"(Z|[+-]\d\d:\d\d)$"


@pytest.fixture
async def openapi(client: httpx.AsyncClient) -> dict[str, Any]:
    return dict((await client.get("/schema/openapi.json")).json())


def _validator(openapi: dict[str, Any], schema: dict[str, Any]) -> Draft202012Validator:
    """`schema` checked as JSON Schema 2020-12, its `$ref`s resolved in the served document."""
    root = {**schema, "components": openapi["components"]}
    return Draft202012Validator(root, format_checker=Draft202012Validator.FORMAT_CHECKER)


def _operation(openapi: dict[str, Any], operation_id: str) -> dict[str, Any]:
    return next(op for item in openapi["paths"].values() for op in item.values() if op["operationId"] == operation_id)


def _body_validator(openapi: dict[str, Any], operation_id: str) -> Draft202012Validator:
    content = _operation(openapi, operation_id)["requestBody"]["content"]
    return _validator(openapi, content["application/json"]["schema"])


@pytest.mark.parametrize(
    ("method", "field", "value"),
    [
        ("POST", "applied_at", "0001-01-01T00:00:00"),
        ("POST", "applied_at", "0001-01-01T00:00:00Z"),
        ("POST", "next_follow_up_at", "9999-12-31T23:59:59+14:00"),
        ("POST", "next_follow_up_at", "1899-12-31T23:59:59Z"),
        ("PATCH", "applied_at", "2200-01-01T00:00:00Z"),
        ("PATCH", "next_follow_up_at", "0001-01-01T00:00:00+01:00"),
    ],
)
async def test_a_date_outside_the_supported_years_is_refused_naming_the_field(
    client: httpx.AsyncClient, openapi: dict[str, Any], method: str, field: str, value: str
) -> None:
    account = await factories.account(client)
    made = await client.post(URL, json={"company": "Acme", "role": "Engineer"}, headers=account.headers)
    before = await Application.select().where(Application.id == made.json()["id"]).first()
    body = {"company": "Acme", "role": "Engineer", field: value}
    path = URL if method == "POST" else f"{URL}/{made.json()['id']}"
    refused = await client.request(method, path, json=body, headers=account.headers)
    assert refused.status_code == 422, refused.text
    assert refused.headers["content-type"] == "application/problem+json"
    assert refused.json()["errors"] == [{"field": field, "message": "must be in the years 1900-2199"}]
    assert await Application.count() == 1
    assert await Application.select().where(Application.id == made.json()["id"]).first() == before
    operation_id = "createApplication" if method == "POST" else "updateApplication"
    assert not _body_validator(openapi, operation_id).is_valid(body), "the schema must refuse it too"


async def test_dates_in_the_supported_years_come_back_with_their_offset(
    client: httpx.AsyncClient, openapi: dict[str, Any]
) -> None:
    account = await factories.account(client)
    body = {"company": "Acme", "role": "Engineer", "applied_at": "1900-01-01T00:00:00Z"}
    body["next_follow_up_at"] = "2199-12-31T23:59:59-05:00"
    assert _body_validator(openapi, "createApplication").is_valid(body)
    created = await client.post(URL, json=body, headers=account.headers)
    assert created.status_code == 201, created.text
    read = [
        created.json(),
        (await client.get(f"{URL}/{created.json()['id']}", headers=account.headers)).json(),
        (await client.get(URL, headers=account.headers)).json()["items"][0],
        (await client.get("/api/v1/me/export", headers=account.headers)).json()["applications"][0],
    ]
    for answer in read:
        for field in ("applied_at", "next_follow_up_at", "created_at", "updated_at"):
            assert re.search(OFFSET, answer[field]), (field, answer[field])
    assert read[0]["applied_at"].startswith("1900-01-01T00:00:00")


async def test_a_csv_import_with_a_date_outside_the_years_imports_nothing(client: httpx.AsyncClient) -> None:
    account = await factories.account(client)
    csv = "company,role,applied_at\r\nAcme,Engineer,2020-01-01T00:00:00Z\r\nBeta,Engineer,0001-01-01T00:00:00Z\r\n"
    headers = {**account.headers, "Content-Type": "text/csv"}
    refused = await client.post(f"{URL}/import", content=csv.encode(), headers=headers)
    assert refused.status_code == 422 and refused.headers["content-type"] == "application/json"
    assert refused.json()["rejected"] == [{"row": 2, "errors": ["must be in the years 1900-2199 - at `$.applied_at`"]}]
    assert await Application.count() == 0


async def test_answers_that_are_not_json_have_one_content_type_and_the_declared_one(
    client: httpx.AsyncClient, openapi: dict[str, Any]
) -> None:
    account = await factories.account(client)
    await client.post(URL, json={"company": "Acme", "role": "Engineer"}, headers=account.headers)
    export = await client.get(f"{URL}/export.csv", headers=account.headers)
    assert export.status_code == 200
    assert export.headers.get_list("content-type") == ["text/csv; charset=utf-8"]
    assert list(_operation(openapi, "exportApplicationsCsv")["responses"]["200"]["content"]) == ["text/csv"]
    assert export.text.startswith("company,role,")

    made = (await upload(client, account, make_pdf())).json()
    path = f"/api/v1/resumes/{made['id']}/versions/{made['latest_version']['id']}/file"
    download = await client.get(path, headers=account.headers)
    assert download.headers.get_list("content-type") == ["application/pdf"]
    assert list(_operation(openapi, "downloadResumeVersion")["responses"]["200"]["content"]) == ["application/pdf"]

    metrics = await client.get("/metrics")  # not in the OpenAPI: Prometheus' own format
    assert len(metrics.headers.get_list("content-type")) == 1
    assert metrics.headers["content-type"].startswith("text/plain; version=")


# (operation, body or query, what the api answers when the schema accepts it)
JSON_CASES: list[tuple[str, dict[str, Any]]] = [
    ("createApplication", {"company": "A", "role": "B", "tags": [""]}),
    ("createApplication", {"company": "A", "role": "B", "tags": ["a|b"]}),
    ("createApplication", {"company": "A", "role": "B", "surprise": True}),
    ("createApplication", {"company": "A", "role": "B", "applied_at": "0001-01-01T00:00:00Z"}),
    ("createApplication", {"company": "A", "role": "B", "job_url": "https://x.example/\u2028"}),
    ("createApplication", {"company": "A", "role": "B", "tags": ["x"], "applied_at": "2024-05-01T09:00:00+02:00"}),
    ("registerUser", {"email": "a..b@example.com", "password": "long enough pass", "full_name": "A"}),
    ("registerUser", {"email": "a\x1fb@example.com", "password": "long enough pass", "full_name": "A"}),
    ("registerUser", {"email": " Ada@Example.com ", "password": "long enough pass", "full_name": "A"}),
    ("registerUser", {"email": "b@example.com", "password": "long enough pass", "full_name": "\u3000"}),
    ("registerUser", {"email": "c@example.com", "password": "short", "full_name": "C"}),
    ("updateMe", {"target_roles": [""]}),
    ("updateMe", {"target_roles": ["Engineer"], "full_name": "\u00a0Grace\u00a0"}),
]


@pytest.mark.parametrize(("operation_id", "body"), JSON_CASES)
async def test_the_schema_is_the_validation_of_a_body(
    client: httpx.AsyncClient, openapi: dict[str, Any], operation_id: str, body: dict[str, Any]
) -> None:
    account = await factories.account(client)
    method, path = next(
        (method.upper(), path)
        for path, item in openapi["paths"].items()
        for method, op in item.items()
        if op["operationId"] == operation_id
    )
    answer = await client.request(method, path, json=body, headers=account.headers)
    declared_valid = _body_validator(openapi, operation_id).is_valid(body)
    assert (answer.status_code < 300) == declared_valid, (answer.status_code, answer.text, declared_valid)


QUERY_CASES = [
    {"sort": "salary"},
    {"sort": "-company"},
    {"limit": "0"},
    {"limit": "101"},
    {"limit": "100"},
    {"status": "applied,unknown"},
    {"status": "applied,,offer"},
    {"cursor": "not a cursor!"},
]


@pytest.mark.parametrize("query", QUERY_CASES)
async def test_the_schema_is_the_validation_of_a_list_query(
    client: httpx.AsyncClient, openapi: dict[str, Any], query: dict[str, str]
) -> None:
    account = await factories.account(client)
    answer = await client.get(URL, params=query, headers=account.headers)
    parameters = {p["name"]: p["schema"] for p in _operation(openapi, "listApplications")["parameters"]}
    declared_valid = all(
        _validator(openapi, parameters[name]).is_valid(int(value) if name == "limit" else value)
        for name, value in query.items()
    )
    assert (answer.status_code == 200) == declared_valid, (answer.status_code, answer.text)
    if not declared_valid:
        assert answer.status_code == 422 and answer.json()["errors"][0]["field"] == next(iter(query))
