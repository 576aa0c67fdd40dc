"""The OpenAPI declares what the api enforces, so generated clients and fuzzers know it: unknown
fields refused, constraints of list items, the years of a date, the values of the list queries, and
the media type of every answer that is not JSON. (tests/entrypoints/api/test_contract_conformance.py
checks the same against the served api; tests/contract/test_fuzz.py lets Schemathesis look for more.)"""

from __future__ import annotations

import typing
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import msgspec
import pytest

from backend.entrypoints.api import create_app
from backend.features.applications import queries as repositories
from backend.features.applications import schemas
from backend.platform.http import pagination
from backend.platform.http.inputs import DATE_TIME_PATTERN, Input
from backend.settings import Settings


@pytest.fixture(scope="module")
def openapi() -> dict[str, Any]:
    return create_app(Settings()).openapi_schema.to_schema()


def _inputs() -> list[type[Input]]:
    found, todo = [], list(Input.__subclasses__())
    while todo:
        cls = todo.pop()
        found.append(cls)
        todo += cls.__subclasses__()
    return found


def _branches(schema: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield schema
    for branch in schema.get("oneOf", []) + schema.get("anyOf", []):
        yield from _branches(branch)


def _operation(openapi: dict[str, Any], operation_id: str) -> dict[str, Any]:
    return next(op for item in openapi["paths"].values() for op in item.values() if op["operationId"] == operation_id)


def test_every_input_schema_refuses_unknown_fields(openapi: dict[str, Any]) -> None:
    components = openapi["components"]["schemas"]
    published = [cls.__name__ for cls in _inputs() if cls.__name__ in components]
    assert {"ApplicationCreate", "RegisterRequest", "ProfileUpdate", "Link"} <= set(published)
    assert [name for name in published if components[name].get("additionalProperties") is not False] == []


def test_every_date_of_an_input_declares_the_years_it_may_have(openapi: dict[str, Any]) -> None:
    components = openapi["components"]["schemas"]
    dated = []
    for cls in _inputs():
        if cls.__name__ not in components:
            continue
        for name, prop in components[cls.__name__]["properties"].items():
            strings = [b for b in _branches(prop) if b.get("format") == "date-time"]
            if strings:
                dated.append((cls.__name__, name, [b.get("pattern") for b in strings]))
    assert ("ApplicationCreate", "applied_at", [DATE_TIME_PATTERN]) in dated
    assert ("ApplicationUpdate", "next_follow_up_at", [DATE_TIME_PATTERN]) in dated
    assert [d for d in dated if d[2] != [DATE_TIME_PATTERN]] == []


def test_constraints_of_list_items_are_declared(openapi: dict[str, Any]) -> None:
    components = openapi["components"]["schemas"]
    tags = components["ApplicationCreate"]["properties"]["tags"]
    assert tags["items"] == {"type": "string", "minLength": 1, "maxLength": 40, "pattern": "^[^|]+$"}
    roles = next(b for b in _branches(components["ProfileUpdate"]["properties"]["target_roles"]) if "items" in b)
    assert roles["items"] == {"type": "string", "minLength": 1, "maxLength": 100}


def test_the_list_queries_declare_the_values_they_take(openapi: dict[str, Any]) -> None:
    params = {p["name"]: p["schema"] for p in _operation(openapi, "listApplications")["parameters"]}
    assert params["sort"]["enum"] == list(typing.get_args(schemas.Sort)) and params["sort"]["default"] == "-updated_at"
    assert (params["limit"]["minimum"], params["limit"]["maximum"]) == (1, pagination.MAX_LIMIT)
    assert params["status"]["pattern"] == schemas.STATUS_FILTER_PATTERN
    for operation_id in ("listApplications", "listNotifications", "listCoverLetters", "adminListUsers"):
        paging = {p["name"]: p["schema"] for p in _operation(openapi, operation_id)["parameters"]}
        assert (paging["limit"]["minimum"], paging["limit"]["maximum"]) == (1, pagination.MAX_LIMIT), operation_id
        assert paging["cursor"]["pattern"] == "^[A-Za-z0-9_-]*$", operation_id


def test_the_sort_values_are_the_sorts_the_query_knows() -> None:
    assert set(typing.get_args(schemas.Sort)) == set(repositories.SORTS)


def test_answers_that_are_not_json_declare_their_media_type(openapi: dict[str, Any]) -> None:
    export = _operation(openapi, "exportApplicationsCsv")["responses"]["200"]["content"]
    assert list(export) == ["text/csv"]
    download = _operation(openapi, "downloadResumeVersion")["responses"]["200"]["content"]
    assert list(download) == ["application/pdf"]
    docx = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    resume_export = _operation(openapi, "exportResumeVersion")["responses"]["200"]["content"]
    assert set(resume_export) == {"application/pdf", docx, "application/json"}
    letter_export = _operation(openapi, "exportCoverLetter")["responses"]["200"]["content"]
    assert set(letter_export) == {"application/pdf", docx, "text/plain"}
    imported = _operation(openapi, "importApplicationsCsv")
    assert list(imported["requestBody"]["content"]) == ["text/csv"]
    assert set(imported["responses"]["422"]["content"]) == {"application/problem+json", "application/json"}
    for operation_id in ("uploadResume", "uploadResumeVersion"):
        form = _operation(openapi, operation_id)["requestBody"]["content"]["multipart/form-data"]
        assert form["encoding"]["file"]["contentType"] == "application/pdf"


def test_a_date_outside_the_years_is_refused_naming_its_field() -> None:
    from backend import errors

    with pytest.raises(errors.Unprocessable) as refused:
        msgspec.json.decode(
            b'{"company":"A","role":"B","applied_at":"0001-01-01T00:00:00Z"}', type=schemas.ApplicationCreate
        )
    assert [(e.field, e.message) for e in refused.value.errors] == [("applied_at", "must be in the years 1900-2199")]
    later = msgspec.json.decode(b'{"next_follow_up_at":"2199-12-31T23:59:59-05:00"}', type=schemas.ApplicationUpdate)
    assert isinstance(later.next_follow_up_at, datetime) and later.next_follow_up_at.year == 2199
