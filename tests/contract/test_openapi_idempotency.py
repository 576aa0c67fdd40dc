"""Every create endpoint that honours `Idempotency-Key` documents the header, in the schema
the app serves and in the committed `openapi.json` (what clients generate from), and no other does."""

from __future__ import annotations

import json
from typing import Any

import pytest

from backend.devtools import contract
from backend.entrypoints.api import create_app
from backend.platform.http import idempotency
from backend.settings import Settings

CREATES = {  # every handler with `**idempotent()`: a new one must be added here on purpose
    ("/api/v1/auth/register", "registerUser"),
    ("/api/v1/me/tokens", "createPersonalAccessToken"),
    ("/api/v1/resumes", "uploadResume"),
    ("/api/v1/resumes/{resume_id}/versions", "uploadResumeVersion"),
    ("/api/v1/resumes/import", "importResume"),
    ("/api/v1/applications", "createApplication"),
    ("/api/v1/applications/import-url", "importApplicationFromUrl"),
    ("/api/v1/applications/{application_id}/interviews", "createInterview"),
    ("/api/v1/contacts", "createContact"),
    ("/api/v1/cover-letters", "createCoverLetter"),
    ("/api/v1/analyses", "createAnalysis"),
    ("/api/v1/resumes/{resume_id}/versions/{version_id}/analyses", "createVersionAnalysis"),
}


@pytest.fixture(scope="module")
def served() -> dict[str, Any]:
    return create_app(Settings()).openapi_schema.to_schema()


def _key_headers(operation: dict[str, Any]) -> list[dict[str, Any]]:
    return [p for p in operation.get("parameters", []) if p["in"] == "header" and p["name"] == "Idempotency-Key"]


@pytest.mark.parametrize("source", ["served", "committed"])
def test_exactly_the_idempotent_creates_document_the_key(served: dict[str, Any], source: str) -> None:
    schema = served if source == "served" else json.loads((contract.CONTRACT_DIR / "openapi.json").read_text())
    documented = set()
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            headers = _key_headers(operation)
            if not headers:
                continue
            assert method == "post", (path, method)
            (header,) = headers
            assert header["required"] is False
            assert header["schema"] == {
                "type": "string",
                "minLength": 1,
                "maxLength": 200,
                "pattern": "^[\\x21-\\x7e]+$",
            }
            assert "422" in header["description"] and "Idempotent-Replayed" in header["description"]
            documented.add((path, operation["operationId"]))
    assert documented == CREATES


def test_the_handlers_that_honour_the_key_are_the_documented_ones() -> None:
    app = create_app(Settings())
    honoured, documented = set(), set()
    for route in app.routes:
        for handler in getattr(route, "route_handlers", []):
            if handler.opt.get("idempotent"):
                honoured.add(handler.operation_id)
            if issubclass(handler.operation_class, idempotency.IdempotentOperation):  # uploads: a subclass
                documented.add(handler.operation_id)
    assert honoured == documented == {operation_id for _, operation_id in CREATES}


def test_the_operation_class_adds_the_header_once() -> None:
    operation = idempotency.IdempotentOperation(operation_id="x", parameters=[idempotency.IDEMPOTENCY_KEY])
    assert operation.parameters == [idempotency.IDEMPOTENCY_KEY]
    assert idempotency.IdempotentOperation(operation_id="y").parameters == [idempotency.IDEMPOTENCY_KEY]
