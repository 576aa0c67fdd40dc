"""Resume imports without a PDF, through the real API and Postgres: LinkedIn's data export (archives
built here in LinkedIn's documented format) and JSON Resume documents. Each becomes a resume with one
`parsed` version and no file; bad input is a 422 (413 for oversized archives) listing what is wrong
and changes nothing; another user sees nothing."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from typing import Any

import httpx
import pytest

from backend.features.resumes.parsing import PARSE_TASK
from backend.platform.db.tables import Resume, ResumeVersion, TaskOutbox
from backend.settings import Settings
from tests import factories, support
from tests.features.resumes.test_upload_budgets import api
from tests.features.resumes.test_uploads import stored_files

URL = "/api/v1/resumes"
IMPORT = f"{URL}/import"

PROFILE = {
    "First Name": "Ada", "Last Name": "Lovelace", "Maiden Name": "", "Address": "12 St James's Square",
    "Birth Date": "Dec 10, 1815", "Headline": "Analytical engine programmer", "Summary": "I write programs.",
    "Industry": "Computing", "Zip Code": "SW1Y 4JH", "Geo Location": "London, England, United Kingdom",
    "Twitter Handles": "[ada]", "Websites": "[PERSONAL:https://ada.example.com,BLOG:https://notes.example.com]",
    "Instant Messengers": "",
}  # fmt: skip
POSITIONS = [
    {"Company Name": "Analytical Engines Ltd", "Title": "Programmer", "Description": "Wrote the first program.",
     "Location": "London", "Started On": "Jan 1842", "Finished On": "Sep 1843"},
    {"Company Name": "Babbage & Co", "Title": "Analyst", "Description": "", "Location": "",
     "Started On": "2015", "Finished On": ""},
]  # fmt: skip
EDUCATION = [
    {"School Name": "University of London", "Start Date": "1832", "End Date": "1835", "Notes": "Mathematics",
     "Degree Name": "Private tutoring", "Activities": "Chess"},
]  # fmt: skip


def table(rows: list[dict[str, str]], columns: list[str] | None = None) -> list[list[str]]:
    columns = columns or list(rows[0])
    return [columns, *([row.get(column, "") for column in columns] for row in rows)]


def csv_bytes(rows: list[list[str]], *, encoding: str = "utf-8", preamble: str = "") -> bytes:
    out = io.StringIO(newline="")
    out.write(preamble)
    csv.writer(out, lineterminator="\r\n").writerows(rows)
    return out.getvalue().encode(encoding)


def full_export() -> dict[str, bytes]:
    return {
        "Profile.csv": csv_bytes(table([PROFILE])),
        "Positions.csv": csv_bytes(table(POSITIONS)),
        "Education.csv": csv_bytes(table(EDUCATION)),
        "Skills.csv": csv_bytes(table([{"Name": "Mathematics"}, {"Name": "Programming"}])),
        "Languages.csv": csv_bytes(table([{"Name": "French", "Proficiency": "Professional working proficiency"}])),
        "Certifications.csv": csv_bytes(
            table(
                [
                    {
                        "Name": "Difference Engine Operator",
                        "Url": "https://cert.example.com/1",
                        "Authority": "Royal Society",
                        "Started On": "Mar 1840",
                        "Finished On": "",
                        "License Number": "RS-1",
                    },
                ]
            )
        ),
        "Email Addresses.csv": csv_bytes(
            table(
                [
                    {"Email Address": "old@example.com", "Confirmed": "Yes", "Primary": "No", "Updated On": ""},
                    {"Email Address": "ada@example.com", "Confirmed": "Yes", "Primary": "Yes", "Updated On": ""},
                ]
            )
        ),
        "PhoneNumbers.csv": csv_bytes(table([{"Extension": "", "Number": "+44 20 7946 0000", "Type": "Mobile"}])),
        "Projects.csv": csv_bytes(
            table(
                [
                    {
                        "Title": "Note G",
                        "Description": "Bernoulli numbers",
                        "Url": "https://example.com/g",
                        "Started On": "Jul 1843",
                        "Finished On": "Aug 1843",
                    },
                ]
            )
        ),
        "Connections.csv": csv_bytes(
            table([{"First Name": "Charles", "Last Name": "Babbage"}]), preamble='Notes:\r\n"Some are hidden"\r\n\r\n'
        ),
        "messages.csv": b"CONVERSATION ID,FROM\r\n1,x\r\n",
    }


def archive(files: dict[str, bytes], folder: str = "") -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in files.items():
            zf.writestr(folder + name, data)
    return buffer.getvalue()


async def send(
    client: httpx.AsyncClient, account: factories.Account, body: bytes, content_type: str, **params: str
) -> httpx.Response:
    headers = {**account.headers, "Content-Type": content_type}
    return await client.post(IMPORT, content=body, headers=headers, params=params)


def problem(response: httpx.Response, status: int, slug: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = response.json()
    assert body["type"].endswith(f":{slug}"), body
    return body


async def nothing_stored() -> None:
    assert await Resume.count() == 0 and await ResumeVersion.count() == 0


# -- LinkedIn ---------------------------------------------------------------------------------------
async def test_a_complete_linkedin_export_lands_field_by_field(client: httpx.AsyncClient, settings: Settings) -> None:
    account = await factories.account(client)
    response = await send(client, account, archive(full_export(), "Basic_LinkedInDataExport_12-01-2026/"),
                          "application/zip")  # fmt: skip
    assert response.status_code == 201, response.text
    body = response.json()
    resume, version = body["resume"], body["version"]
    assert resume["title"] == "Ada Lovelace (LinkedIn)" and resume["is_default"] is True
    assert version["status"] == "parsed" and version["source"] == "linkedin" and version["number"] == 1
    assert resume["latest_version"]["id"] == version["id"] and resume["latest_version"]["source"] == "linkedin"
    assert body["notes"] == []
    data = version["parsed"]
    assert data["basics"] == {
        "name": "Ada Lovelace",
        "label": "Analytical engine programmer",
        "email": "ada@example.com",
        "phone": "+44 20 7946 0000",
        "url": "https://ada.example.com",
        "summary": "I write programs.",
        "location": {"address": "12 St James's Square", "postalCode": "SW1Y 4JH", "city": "London",
                     "region": "England, United Kingdom"},
        "profiles": [
            {"network": "Website", "url": "https://notes.example.com"},
            {"network": "Twitter", "username": "ada", "url": "https://twitter.com/ada"},
        ],
    }  # fmt: skip
    assert data["work"] == [
        {"name": "Analytical Engines Ltd", "position": "Programmer", "location": "London", "startDate": "1842-01",
         "endDate": "1843-09", "summary": "Wrote the first program."},
        {"name": "Babbage & Co", "position": "Analyst", "startDate": "2015"},
    ]  # fmt: skip
    assert data["education"] == [
        {"institution": "University of London", "studyType": "Private tutoring", "startDate": "1832",
         "endDate": "1835", "summary": "Mathematics\nActivities: Chess"},
    ]  # fmt: skip
    assert data["skills"] == [{"name": "Mathematics"}, {"name": "Programming"}]
    assert data["languages"] == [{"language": "French", "fluency": "Professional working proficiency"}]
    assert data["certificates"] == [
        {"name": "Difference Engine Operator", "issuer": "Royal Society", "url": "https://cert.example.com/1",
         "date": "1840-03"},
    ]  # fmt: skip
    assert data["projects"] == [
        {"name": "Note G", "description": "Bernoulli numbers", "url": "https://example.com/g",
         "startDate": "1843-07", "endDate": "1843-08"},
    ]  # fmt: skip
    # stored like a parsed upload: encrypted data and text, no file, nothing queued
    row = await ResumeVersion.objects().where(ResumeVersion.id == version["id"]).first()
    assert row is not None and row.object_key is None and row.source == "linkedin" and row.status == "parsed"
    assert row.parsed is not None and b"Lovelace" not in bytes(row.parsed)
    assert row.text is not None and b"Lovelace" not in bytes(row.text)
    assert stored_files(settings) == [] and await TaskOutbox.count().where(TaskOutbox.task_name == PARSE_TASK) == 0
    # the reads: the version, the list; the original file does not exist
    got = await client.get(f"{URL}/{resume['id']}/versions/{version['id']}", headers=account.headers)
    assert got.status_code == 200 and got.json()["parsed"] == data
    listed = await client.get(f"{URL}/{resume['id']}/versions", headers=account.headers)
    assert [v["source"] for v in listed.json()] == ["linkedin"]
    download = await client.get(f"{URL}/{resume['id']}/versions/{version['id']}/file", headers=account.headers)
    assert "has no file" in problem(download, 404, "version-has-no-file")["detail"]
    # deleting it deletes it (there is no file to forget)
    deleted = await client.delete(f"{URL}/{resume['id']}", headers=account.headers)
    assert deleted.status_code == 204
    await nothing_stored()


async def test_an_import_can_be_analysed_like_an_upload(client: httpx.AsyncClient, settings: Settings) -> None:
    """The version's text is stored too: the AI's sources read the data and the text."""
    from backend.features.ai.sources import load_resume
    from backend.platform.crypto.envelope import Envelope

    account = await factories.account(client)
    response = await send(client, account, archive(full_export()), "application/x-zip-compressed", title="Mine")
    assert response.status_code == 201, response.text
    assert response.json()["resume"]["title"] == "Mine"
    loaded = await load_resume(Envelope.from_settings(settings.encryption), response.json()["version"]["id"])
    assert loaded is not None
    parsed, text = loaded
    assert parsed["basics"]["name"] == "Ada Lovelace"
    assert "Experience" in text and "Programmer · Analytical Engines Ltd · London" in text and "Mathematics" in text


async def test_missing_files_are_listed(client: httpx.AsyncClient) -> None:
    account = await factories.account(client)
    files = {k: v for k, v in full_export().items() if k not in ("Profile.csv", "Positions.csv")}
    body = problem(await send(client, account, archive(files), "application/zip"), 422, "import-invalid")
    assert body["errors"] == [
        {"field": "Profile.csv", "message": "is missing from the archive"},
        {"field": "Positions.csv", "message": "is missing from the archive"},
    ]
    assert "Profile.csv and Positions.csv" in body["detail"]
    await nothing_stored()


async def test_a_csv_without_its_columns_is_named(client: httpx.AsyncClient) -> None:
    account = await factories.account(client)
    files = {**full_export(), "Positions.csv": csv_bytes([["Company", "Role"], ["Acme", "CEO"]])}
    body = problem(await send(client, account, archive(files), "application/zip"), 422, "import-invalid")
    assert {e["field"] for e in body["errors"]} == {"Positions.csv: Company Name", "Positions.csv: Title"}
    await nothing_stored()


async def test_windows_1252_bytes_are_read_and_noted(client: httpx.AsyncClient) -> None:
    account = await factories.account(client)
    files = full_export()
    files["Profile.csv"] = csv_bytes(table([{**PROFILE, "First Name": "Zoë", "Last Name": "Müller"}]),
                                     encoding="cp1252")  # fmt: skip
    files["Positions.csv"] = csv_bytes(table([{**POSITIONS[0], "Company Name": "Café Crème GmbH"}]),
                                       encoding="cp1252")  # fmt: skip
    response = await send(client, account, archive(files), "application/zip")
    assert response.status_code == 201, response.text
    body = response.json()
    data = body["version"]["parsed"]
    assert data["basics"]["name"] == "Zoë Müller" and data["work"][0]["name"] == "Café Crème GmbH"
    notes = {note["field"]: note["message"] for note in body["notes"]}
    assert set(notes) == {"Profile.csv", "Positions.csv"}
    assert "read as Windows-1252" in notes["Profile.csv"]
    assert "row 1 First Name" in notes["Profile.csv"] and "row 1 Last Name" in notes["Profile.csv"]
    assert "row 1 Company Name" in notes["Positions.csv"]


async def test_a_notes_preamble_before_the_header_is_skipped(client: httpx.AsyncClient) -> None:
    account = await factories.account(client)
    preamble = 'Notes:\r\n"When exporting your connection data, you may notice that some of the email addresses ' \
        'are missing."\r\n\r\n'  # fmt: skip
    files = full_export()
    files["Positions.csv"] = csv_bytes(table(POSITIONS), preamble=preamble)
    files["Skills.csv"] = csv_bytes(table([{"Name": "Poetry"}]), preamble="Notes:\r\nSomething\r\n\r\n")
    response = await send(client, account, archive(files), "application/zip")
    assert response.status_code == 201, response.text
    data = response.json()["version"]["parsed"]
    assert [w["name"] for w in data["work"]] == ["Analytical Engines Ltd", "Babbage & Co"]
    assert data["skills"] == [{"name": "Poetry"}]


async def test_an_unreadable_date_is_left_out_and_noted(client: httpx.AsyncClient) -> None:
    account = await factories.account(client)
    files = {**full_export(), "Positions.csv": csv_bytes(table([{**POSITIONS[0], "Started On": "sometime"}]))}
    response = await send(client, account, archive(files), "application/zip")
    assert response.status_code == 201, response.text
    assert "startDate" not in response.json()["version"]["parsed"]["work"][0]
    assert response.json()["notes"] == [
        {
            "field": "Positions.csv row 1: Started On",
            "message": "the date 'sometime' could not be read and was left out",
        }
    ]


@pytest.mark.parametrize(
    ("body", "status", "slug", "field"),
    [
        (b"this is not a zip", 422, "import-invalid", "body"),
        (b"", 422, "import-invalid", "body"),
        ("bomb", 413, "import-too-large", "body"),
        ("entries", 413, "import-too-large", "body"),
        ("big-csv", 413, "import-too-large", "Positions.csv"),
    ],
)
async def test_hostile_archives_are_refused(
    client: httpx.AsyncClient, body: bytes | str, status: int, slug: str, field: str
) -> None:
    account = await factories.account(client)
    if body == "bomb":  # ~200 KB deflated, 300 MB unpacked
        body = archive({**full_export(), "messages.csv": b"\0" * (300 * 1024 * 1024)})
    elif body == "entries":
        body = archive({**full_export(), **{f"junk/{n}.txt": b"x" for n in range(1001)}})
    elif body == "big-csv":  # one CSV we read, past 8 MB unpacked
        body = archive({**full_export(), "Positions.csv": csv_bytes(table(POSITIONS)) + b"a," * (5 * 1024 * 1024)})
    assert isinstance(body, bytes) and len(body) < 10 * 1024 * 1024
    refused = problem(await send(client, account, body, "application/zip"), status, slug)
    assert refused["detail"]
    await nothing_stored()


async def test_the_body_is_sized_and_typed_like_uploads(client: httpx.AsyncClient) -> None:
    account = await factories.account(client)
    too_big = await send(client, account, b"PK" + b"0" * (11 * 1024 * 1024), "application/zip")
    assert too_big.status_code == 413, too_big.text
    problem(await send(client, account, b"<resume/>", "text/xml"), 415, "unsupported-media-type")
    await nothing_stored()


# -- JSON Resume ------------------------------------------------------------------------------------
JSON_RESUME: dict[str, Any] = {
    "$schema": "https://raw.githubusercontent.com/jsonresume/resume-schema/v1.0.0/schema.json",
    "basics": {
        "name": "Grace Hopper", "label": "Rear admiral", "image": "", "email": "grace@example.com",
        "phone": "(912) 555-4321", "url": "https://grace.example.com", "summary": "Compilers.",
        "location": {"address": "1 Navy Way", "postalCode": "20001", "city": "Washington", "countryCode": "US",
                     "region": "DC"},
        "profiles": [{"network": "GitHub", "username": "grace", "url": "https://github.com/grace"}],
    },
    "work": [{"name": "US Navy", "position": "Rear admiral", "url": "https://navy.mil", "startDate": "1943-12",
              "endDate": "1986-08-14", "summary": "COBOL.", "highlights": ["FLOW-MATIC", "A-0"],
              "location": "Arlington", "description": "Navy"}],
    "volunteer": [{"organization": "ACM", "position": "Speaker", "url": "https://acm.org", "startDate": "1970",
                   "endDate": "1980", "summary": "Talks", "highlights": ["Nanoseconds"]}],
    "education": [{"institution": "Yale", "url": "https://yale.edu", "area": "Mathematics", "studyType": "PhD",
                   "startDate": "1930", "endDate": "1934", "score": "4.0", "courses": ["Algebra"]}],
    "awards": [{"title": "National Medal of Technology", "date": "1991-09-16", "awarder": "USA", "summary": "x"}],
    "certificates": [{"name": "Pilot", "date": "1950-01-01", "issuer": "FAA", "url": "https://faa.gov"}],
    "publications": [{"name": "A-0", "publisher": "ACM", "releaseDate": "1952", "url": "https://a.org",
                      "summary": "Compiler"}],
    "skills": [{"name": "Compilers", "level": "Master", "keywords": ["COBOL", "FLOW-MATIC"]}],
    "languages": [{"language": "English", "fluency": "Native speaker"}],
    "interests": [{"name": "Clocks", "keywords": ["Backwards"]}],
    "references": [{"name": "Howard Aiken", "reference": "Sharp."}],
    "projects": [{"name": "UNIVAC", "startDate": "1949", "endDate": "1952", "description": "A computer",
                  "highlights": ["Bugs"], "url": "https://univac.example.com", "roles": ["Programmer"],
                  "entity": "Remington Rand", "type": "application", "keywords": ["hardware"]}],
    "meta": {"canonical": "https://x.example.com/resume.json", "version": "v1.0.0",
             "lastModified": "2017-12-24T15:53:00"},
}  # fmt: skip


def _data(value: object) -> object:
    """A JSON Resume's data: without `meta` and without empty strings, lists and objects."""
    if isinstance(value, dict):
        kept = {key: _data(item) for key, item in value.items() if key != "meta"}
        return {key: item for key, item in kept.items() if item not in ("", [], {})}
    if isinstance(value, list):
        return [_data(item) for item in value]
    return value


async def test_a_json_resume_round_trips(client: httpx.AsyncClient) -> None:
    account = await factories.account(client)
    response = await send(client, account, json.dumps(JSON_RESUME).encode(), "application/json")
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["resume"]["title"] == "Grace Hopper (JSON Resume)" and body["notes"] == []
    version = body["version"]
    assert version["source"] == "json_resume" and version["status"] == "parsed"
    assert version["content_type"] == "application/json" and version["parsed_at"] is not None
    assert version["parsed"] == JSON_RESUME
    got = await client.get(f"{URL}/{body['resume']['id']}/versions/{version['id']}", headers=account.headers)
    assert got.json()["parsed"] == JSON_RESUME
    # exported as JSON Resume and imported again: the same data
    exported = await client.get(
        f"{URL}/{body['resume']['id']}/versions/{version['id']}/export",
        params={"format": "json"},
        headers=account.headers,
    )
    assert exported.status_code == 200, exported.text
    again = await send(client, account, exported.content, "application/json")
    assert again.status_code == 201, again.text
    # (`meta` describes the document, so the export writes its own; empty values are left out)
    assert _data(again.json()["version"]["parsed"]) == _data(JSON_RESUME)
    # another user sees nothing of it
    other = await factories.account(client)
    for path in ("", f"/versions/{version['id']}", f"/versions/{version['id']}/file", "/versions"):
        assert (await client.get(f"{URL}/{body['resume']['id']}{path}", headers=other.headers)).status_code == 404
    assert (await client.get(URL, headers=other.headers)).json()["items"] == []


async def test_an_invalid_json_resume_lists_every_problem_with_its_path(client: httpx.AsyncClient) -> None:
    account = await factories.account(client)
    document = {
        "basics": {"label": 7, "email": "not an address", "profiles": {"network": "x"}},
        "work": [{"name": "Acme", "startDate": "Jan 2020", "highlights": ["ok", 3]}],
        "skills": "Python",
        "hobbies": [],
    }
    body = problem(await send(client, account, json.dumps(document).encode(), "application/json"),
                   422, "import-invalid")  # fmt: skip
    assert {(e["field"], e["message"].split(",")[0].split(" not ")[0].split(" (")[0]) for e in body["errors"]} == {
        ("basics.label", "must be a string"),
        ("basics.email", "must be an e-mail address"),
        ("basics.profiles", "must be an array"),
        ("work[0].startDate", "must be a date as YYYY"),
        ("work[0].highlights[1]", "must be a string"),
        ("skills", "must be an array"),
        ("hobbies", "is"),
        ("basics.name", "is required: the name of the person the resume is about"),
    }
    (hobbies,) = [e["message"] for e in body["errors"] if e["field"] == "hobbies"]
    assert hobbies.startswith("is not a JSON Resume section (allowed: $schema, basics, work,")
    await nothing_stored()


@pytest.mark.parametrize(
    ("body", "message"),
    [(b"{not json", "is not JSON"), (b"[1, 2]", "must be a JSON Resume object"),
     (b'{"basics": {"name": "\xff"}}', "is not UTF-8"),
     (b"[" * 100_000 + b"]" * 100_000, "nested too deeply")],
)  # fmt: skip
async def test_a_body_that_is_not_a_json_object_is_422(client: httpx.AsyncClient, body: bytes, message: str) -> None:
    account = await factories.account(client)
    refused = problem(await send(client, account, body, "application/json"), 422, "import-invalid")
    assert message in refused["errors"][0]["message"]
    await nothing_stored()


async def test_an_import_is_idempotent_with_a_key(client: httpx.AsyncClient) -> None:
    account = await factories.account(client)
    headers = {**account.headers, "Content-Type": "application/json", "Idempotency-Key": "import-1"}
    content = json.dumps(JSON_RESUME).encode()
    first = await client.post(IMPORT, content=content, headers=headers)
    again = await client.post(IMPORT, content=content, headers=headers)
    assert first.status_code == again.status_code == 201, again.text
    assert again.headers.get("idempotent-replayed") == "true" and again.json() == first.json()
    assert await ResumeVersion.count() == 1


async def test_what_reads_stored_files_skips_an_imported_version(client: httpx.AsyncClient, settings: Settings) -> None:
    """Key rotation, the object-store copy and the key report: an imported version has no file to
    rewrap, copy or count, and its encrypted data is rewrapped like any other blob."""
    from backend.features.maintenance.queries import referenced_object_keys
    from backend.platform.crypto import key_usage
    from backend.platform.crypto.envelope import Envelope
    from backend.platform.storage import build_store
    from backend.platform.storage.encrypted import EncryptedStore

    account = await factories.account(client)
    response = await send(client, account, archive(full_export()), "application/zip")
    assert response.status_code == 201, response.text
    assert await referenced_object_keys() == []
    usage = await key_usage.usage()
    assert usage[key_usage.FILES] == {} and sum(usage["resume_versions.parsed"].values()) == 1
    store = build_store(settings)
    assert isinstance(store, EncryptedStore)
    await store.open()
    try:
        # another active key: the version's data and text move to it; there is no file to move
        newer = Envelope({**settings.encryption.keys, "newer": b"\x07" * 32}, "newer")
        report = await key_usage.rewrap(newer, store, progress=lambda *_: None)
    finally:
        await store.close()
    assert report.rewrapped.get("resume_versions.parsed") == 1 and report.rewrapped.get("resume_versions.text") == 1
    assert "resume_versions.object_kid" not in report.rewrapped and not report.failed


async def test_imports_count_as_uploads_and_in_the_storage_quota(services: support.SessionServices) -> None:
    """The upload budgets: one upload an hour leaves no room for an import (429); a quota smaller than
    the stored JSON refuses it (413). Neither creates anything."""
    body = archive(full_export())
    async with api(services, UPLOADS_PER_HOUR="1") as http:
        account = await factories.account(http)
        assert (await send(http, account, body, "application/zip")).status_code == 201
        limited = await send(http, account, json.dumps(JSON_RESUME).encode(), "application/json")
        assert problem(limited, 429, "too-many-requests") and int(limited.headers["retry-after"]) > 0
    assert await ResumeVersion.count() == 1
    async with api(services, STORAGE_QUOTA_BYTES="200") as http:
        account = await factories.account(http)
        problem(await send(http, account, body, "application/zip"), 413, "storage-quota-exceeded")
    assert await ResumeVersion.count() == 1
