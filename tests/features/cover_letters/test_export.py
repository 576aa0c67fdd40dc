"""Exporting a cover letter over the real api: PDF, Word and plain text of the letter's text under its
role and company; 409 while it is being written or when it has no text, 422 for an unknown format,
404 for anyone but its owner."""

from __future__ import annotations

import io
import uuid
from typing import Any

import docx
import httpx
import pymupdf

from backend.settings import Settings
from tests import factories, support
from tests.plugins.services import served
from tests.support import settings_env

URL = "/api/v1/cover-letters"
TEXT = "Dear Northwind team,\n\nI would like to build your data platform.\n\nKind regards,\nMarcus"


async def test_a_letter_exports_as_pdf_docx_and_txt_for_its_owner_only(
    client: httpx.AsyncClient, marcus: tuple[factories.Account, Any]
) -> None:
    owner, _ = marcus
    other = await factories.account(client)
    body = {"company": "Northwind Cloud", "role": "Senior Data Engineer", "job_description": "Build pipelines."}
    created = await client.post(URL, json=body, headers=owner.headers)
    assert created.status_code == 202, created.text
    letter_id = created.json()["id"]
    export_url = f"{URL}/{letter_id}/export"

    queued = await client.get(export_url, params={"format": "txt"}, headers=owner.headers)  # no worker: still queued
    assert queued.status_code == 409 and queued.json()["type"].endswith("letter-streaming")

    assert (await client.post(f"{URL}/{letter_id}/cancel", headers=owner.headers)).status_code == 202
    empty = await client.get(export_url, params={"format": "pdf"}, headers=owner.headers)
    assert empty.status_code == 409 and empty.json()["type"].endswith("letter-empty")

    edited = await client.patch(f"{URL}/{letter_id}", json={"content": TEXT}, headers=owner.headers)
    assert edited.status_code == 200, edited.text

    txt = await client.get(export_url, params={"format": "txt"}, headers=owner.headers)
    assert txt.status_code == 200 and txt.headers["content-type"] == "text/plain; charset=utf-8"
    assert txt.text == TEXT + "\n"
    disposition = txt.headers["content-disposition"]
    assert disposition.startswith("attachment; filename=")
    assert "cover-letter-Northwind-Cloud-Senior-Data-Engineer.txt" in disposition

    pdf = await client.get(export_url, params={"format": "pdf"}, headers=owner.headers)
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    assert pdf.headers["content-disposition"].endswith(".pdf")
    doc = pymupdf.open(stream=pdf.content, filetype="pdf")
    assert not doc.is_repaired and all(font[1] != "n/a" for font in doc[0].get_fonts())
    lines = [line for line in doc[0].get_text().splitlines() if line]
    assert lines == [
        "Senior Data Engineer \u2014 Northwind Cloud", "Dear Northwind team,",
        "I would like to build your data platform.", "Kind regards,", "Marcus",
    ]  # fmt: skip

    word = await client.get(export_url, params={"format": "docx"}, headers=owner.headers)
    assert word.status_code == 200
    paragraphs = [p.text for p in docx.Document(io.BytesIO(word.content)).paragraphs]
    assert paragraphs[0] == "Senior Data Engineer \u2014 Northwind Cloud" and "Kind regards,\nMarcus" in paragraphs

    made = await client.post("/api/v1/me/tokens", json={"name": "read", "scopes": ["read"]}, headers=owner.headers)
    assert made.status_code == 201, made.text
    read_only = {"Authorization": f"Bearer {made.json()['token']}"}  # an export is a read
    by_token = await client.get(export_url, params={"format": "txt"}, headers=read_only)
    assert by_token.status_code == 200 and by_token.text == TEXT + "\n"

    bad = await client.get(export_url, params={"format": "json"}, headers=owner.headers)
    assert bad.status_code == 422 and bad.json()["type"].endswith("validation-error")

    for fmt in ("pdf", "docx", "txt"):
        assert (await client.get(export_url, params={"format": fmt}, headers=other.headers)).status_code == 404
    assert (await client.get(f"{URL}/{uuid.uuid4()}/export", headers=owner.headers)).status_code == 404


async def test_exports_have_an_hourly_budget_per_user_shared_by_resumes_and_letters(
    client: httpx.AsyncClient, services: support.SessionServices, marcus: tuple[factories.Account, Any]
) -> None:
    from backend.entrypoints.api import create_app

    owner, version_id = marcus
    body = {"company": "Northwind Cloud", "role": "Data Engineer", "job_description": "Build pipelines."}
    letter_id = (await client.post(URL, json=body, headers=owner.headers)).json()["id"]
    await client.post(f"{URL}/{letter_id}/cancel", headers=owner.headers)
    await client.patch(f"{URL}/{letter_id}", json={"content": TEXT}, headers=owner.headers)
    resume_id = (await client.get("/api/v1/resumes", headers=owner.headers)).json()["items"][0]["id"]
    resume_export = f"/api/v1/resumes/{resume_id}/versions/{version_id}/export"

    capped_app = create_app(Settings.from_env(settings_env(services, DOCUMENT_EXPORTS_PER_HOUR="2")))
    async with served(capped_app) as url, httpx.AsyncClient(base_url=url, timeout=30) as capped:
        assert (await capped.get(f"{URL}/{letter_id}/export", headers=owner.headers)).status_code == 200
        as_json = await capped.get(resume_export, params={"format": "json"}, headers=owner.headers)
        assert as_json.status_code == 200
        for path in (f"{URL}/{letter_id}/export", resume_export):
            refused = await capped.get(path, headers=owner.headers)
            assert refused.status_code == 429, refused.text
            assert int(refused.headers["retry-after"]) > 0 and "2 exports an hour" in refused.json()["detail"]
        # a row of someone else's is 404 before any budget is looked at
        other = await factories.account(capped)
        assert (await capped.get(f"{URL}/{letter_id}/export", headers=other.headers)).status_code == 404
