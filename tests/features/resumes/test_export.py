"""Exporting a parsed resume version over the real api: a PDF uploaded over HTTP, parsed by a real
worker, then downloaded as PDF, Word and JSON Resume made from its parsed data; 422 before the parse
has completed and after it failed, 422 for an unknown format, 404 for anyone but the owner."""

from __future__ import annotations

import io
import json
import uuid

import docx
import httpx
import jsonschema
import pymupdf

from backend.engines.documents.json_resume import schema, to_json_resume
from backend.engines.resume_parser import parse_pdf
from backend.platform.db.tables import ResumeVersion
from tests import factories, support
from tests.plugins.processes import WORKER_ARGS, Spawn
from tests.plugins.resumes import GOOD_PDF, wait_settled
from tests.support import settings_env

URL = "/api/v1/resumes"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


async def test_a_parsed_version_exports_as_pdf_docx_and_json_for_its_owner_only(
    client: httpx.AsyncClient, services: support.SessionServices, spawn: Spawn
) -> None:
    owner, other = await factories.account(client), await factories.account(client)
    files = {"file": ("My CV.pdf", GOOD_PDF.read_bytes(), "application/pdf")}
    uploaded = await client.post(URL, files=files, headers=owner.headers)
    assert uploaded.status_code == 202, uploaded.text
    resume_id, version_id = uploaded.json()["id"], uploaded.json()["latest_version"]["id"]
    export_url = f"{URL}/{resume_id}/versions/{version_id}/export"

    # Not parsed yet (no worker runs): 422 that says so.
    early = await client.get(export_url, params={"format": "pdf"}, headers=owner.headers)
    assert early.status_code == 422, early.text
    assert early.headers["content-type"].startswith("application/problem+json")
    assert early.json()["type"].endswith("version-not-parsed")
    assert "still being parsed" in early.json()["detail"] and "queued" in early.json()["detail"]

    worker = spawn("backend.entrypoints.worker", settings_env(services), *WORKER_ARGS)
    row = await wait_settled(uuid.UUID(version_id), within=90)
    assert row["status"] == "parsed", worker.output()
    parsed = (await client.get(f"{URL}/{resume_id}/versions/{version_id}", headers=owner.headers)).json()["parsed"]
    name = parsed["basics"]["name"]

    pdf = await client.get(export_url, params={"format": "pdf"}, headers=owner.headers)
    assert pdf.status_code == 200, pdf.text
    assert pdf.headers["content-type"] == "application/pdf"
    disposition = pdf.headers["content-disposition"]
    assert disposition.startswith("attachment; filename=") and f"{name.replace(' ', '-')}-resume-v1.pdf" in disposition
    assert pdf.headers["cache-control"] == "no-store"
    doc = pymupdf.open(stream=pdf.content, filetype="pdf")
    assert not doc.is_repaired
    assert all(font[1] != "n/a" for page in doc.pages() for font in page.get_fonts())
    assert name in doc[0].get_text()
    assert any(link.get("uri") == f"mailto:{parsed['basics']['email']}" for link in doc[0].get_links())
    again = parse_pdf(pdf.content).resume  # the project's parser reads the export back
    assert again["basics"]["name"] == name and again["basics"]["email"] == parsed["basics"]["email"]
    assert [(w.get("name"), w.get("position"), w.get("startDate")) for w in again["work"]] == [
        (w.get("name"), w.get("position"), w.get("startDate")) for w in parsed["work"]
    ]

    default = await client.get(export_url, headers=owner.headers)  # no format: PDF
    assert default.status_code == 200 and default.headers["content-type"] == "application/pdf"

    word = await client.get(export_url, params={"format": "docx"}, headers=owner.headers)
    assert word.status_code == 200 and word.headers["content-type"] == DOCX
    assert word.headers["content-disposition"].endswith("-resume-v1.docx")
    assert name in "\n".join(p.text for p in docx.Document(io.BytesIO(word.content)).paragraphs)

    as_json = await client.get(export_url, params={"format": "json"}, headers=owner.headers)
    assert as_json.status_code == 200 and as_json.headers["content-type"].startswith("application/json")
    assert as_json.headers["content-disposition"].endswith("-resume-v1.json")
    document = json.loads(as_json.content)
    jsonschema.Draft4Validator(schema(), format_checker=jsonschema.Draft4Validator.FORMAT_CHECKER).validate(document)
    assert {k: v for k, v in document.items() if k != "meta"} == to_json_resume(parsed)
    assert document["meta"]["lastModified"].startswith(parsed_at_day(row))

    bad = await client.get(export_url, params={"format": "odt"}, headers=owner.headers)
    assert bad.status_code == 422 and bad.json()["type"].endswith("validation-error")
    assert "format" in bad.text

    # Anyone else: 404, whatever the format; a version of another resume: 404.
    for fmt in ("pdf", "docx", "json"):
        response = await client.get(export_url, params={"format": fmt}, headers=other.headers)
        assert response.status_code == 404, response.text
    elsewhere = await client.get(f"{URL}/{uuid.uuid4()}/versions/{version_id}/export", headers=owner.headers)
    assert elsewhere.status_code == 404
    assert (await client.get(export_url)).status_code == 401

    # A version whose parse failed: 422 with the parse's reason.
    await ResumeVersion.update({ResumeVersion.status: "failed", ResumeVersion.error: "The PDF has no text"}).where(
        ResumeVersion.id == uuid.UUID(version_id)
    )
    failed = await client.get(export_url, params={"format": "json"}, headers=owner.headers)
    assert failed.status_code == 422 and failed.json()["type"].endswith("version-not-parsed")
    assert "could not be parsed: The PDF has no text" in failed.json()["detail"]


def parsed_at_day(row: dict[str, object]) -> str:
    parsed_at = row["parsed_at"]
    assert parsed_at is not None
    return str(parsed_at)[:10]
