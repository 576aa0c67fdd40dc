"""Resume uploads through the real API: validation by content, encryption at rest, the outbox row,
versions, downloads, defaults, deletion, BOLA."""

from pathlib import Path

import httpx
import pymupdf
import pytest

from backend.features.resumes.parsing import PARSE_TASK
from backend.platform.db.tables import Resume, ResumeVersion, TaskOutbox
from backend.settings import Settings
from tests import factories

URL = "/api/v1/resumes"
ROOT = Path(__file__).resolve().parents[2] / "fixtures" / "resumes"


def make_pdf(lines: list[str] | None = None, pages: int = 1) -> bytes:
    doc = pymupdf.open()
    for page_number in range(pages):
        page = doc.new_page()
        for index, line in enumerate(lines or [f"Ada Lovelace page {page_number}", "ada@example.com"]):
            page.insert_text((72, 72 + 16 * index), line)
    data: bytes = doc.tobytes()
    doc.close()
    return data


async def upload(
    client: httpx.AsyncClient, account: factories.Account, content: bytes, name: str = "cv.pdf", **form: str
) -> httpx.Response:
    files = {"file": (name, content, "application/pdf")}
    return await client.post(URL, files=files, data=form, headers=account.headers)


def stored_files(settings: Settings) -> list[Path]:
    return [p for p in (Path(settings.app.data_dir) / "objects").rglob("*") if p.is_file()]


async def test_upload_answers_202_queues_the_parse_and_stores_ciphertext(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    account = await factories.account(client)
    pdf = (ROOT / "reactive-resume-onyx.pdf").read_bytes()
    response = await upload(client, account, pdf, "Onyx CV.pdf", title="My CV")
    assert response.status_code == 202, response.text
    body = response.json()
    assert body["title"] == "My CV" and body["is_default"] is True
    version = body["latest_version"]
    assert version["status"] == "queued" and version["number"] == 1 and version["size"] == len(pdf)
    jobs = await TaskOutbox.select().where(TaskOutbox.task_name == PARSE_TASK).output(load_json=True)
    assert [job["kwargs"] for job in jobs] == [{"version_id": version["id"]}]
    row = await ResumeVersion.objects().where(ResumeVersion.id == version["id"]).first()
    assert row is not None
    raw = (Path(settings.app.data_dir) / "objects" / row.object_key).read_bytes()
    assert raw != pdf and b"%PDF" not in raw and len(raw) >= len(pdf)
    download = await client.get(f"{URL}/{body['id']}/versions/{version['id']}/file", headers=account.headers)
    assert download.status_code == 200 and download.content == pdf
    assert download.headers["content-type"] == "application/pdf"
    assert "Onyx CV.pdf" in download.headers["content-disposition"]


async def test_the_same_bytes_twice_is_a_conflict(client: httpx.AsyncClient) -> None:
    account = await factories.account(client)
    pdf = make_pdf()
    first = await upload(client, account, pdf)
    again = await upload(client, account, pdf, "renamed.pdf")
    assert again.status_code == 409 and again.json()["type"].endswith(":duplicate-upload")
    assert first.json()["id"] in again.json()["detail"]
    assert await ResumeVersion.count() == 1


@pytest.mark.parametrize(
    ("content", "status", "slug"),
    [
        (b"", 422, "resume-empty"),
        (b"GIF89a not a pdf at all", 422, "resume-not-pdf"),
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog", 422, ""),
        (b"%PDF-1.4\n" + b"0" * (10 * 1024 * 1024), 413, "payload-too-large"),
    ],
    ids=["empty", "not-a-pdf", "truncated", "oversized"],
)
async def test_bad_files_are_refused_and_nothing_is_written(
    client: httpx.AsyncClient, settings: Settings, content: bytes, status: int, slug: str
) -> None:
    account = await factories.account(client)
    before = stored_files(settings)
    response = await upload(client, account, content)
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["type"].endswith(slug)
    parse_jobs = await TaskOutbox.count().where(TaskOutbox.task_name == PARSE_TASK)
    assert await Resume.count() == 0 and await ResumeVersion.count() == 0 and parse_jobs == 0
    assert stored_files(settings) == before


async def test_a_2000_page_pdf_is_refused_at_upload(client: httpx.AsyncClient) -> None:
    account = await factories.account(client)
    response = await upload(client, account, make_pdf(["page"], pages=2000))
    assert response.status_code == 422 and response.json()["type"].endswith("resume-too-many-pages")
    assert await ResumeVersion.count() == 0


async def test_a_password_protected_pdf_is_refused_or_fails_with_a_reason(client: httpx.AsyncClient) -> None:
    account = await factories.account(client)
    doc = pymupdf.open(stream=make_pdf(), filetype="pdf")
    aes_256 = pymupdf.PDF_ENCRYPT_AES_256  # type: ignore[attr-defined]  # missing from the stubs
    locked = doc.tobytes(encryption=aes_256, user_pw="secret", owner_pw="owner")
    response = await upload(client, account, locked)
    assert response.status_code == 422 and response.json()["type"].endswith("resume-encrypted")


async def test_missing_file_field_is_a_4xx(client: httpx.AsyncClient) -> None:
    account = await factories.account(client)
    response = await client.post(URL, data={"title": "no file"}, files={"other": ("x", b"y")}, headers=account.headers)
    assert 400 <= response.status_code < 500


async def test_versions_defaults_and_deletion(client: httpx.AsyncClient, settings: Settings) -> None:
    account = await factories.account(client)
    first = (await upload(client, account, make_pdf(["First"]))).json()
    second = (await upload(client, account, make_pdf(["Second"]))).json()
    assert first["is_default"] and not second["is_default"]
    v2 = await client.post(
        f"{URL}/{first['id']}/versions", files={"file": ("v2.pdf", make_pdf(["First v2"]), "application/pdf")},
        headers=account.headers,
    )  # fmt: skip
    assert v2.status_code == 202 and v2.json()["latest_version"]["number"] == 2
    versions = (await client.get(f"{URL}/{first['id']}/versions", headers=account.headers)).json()
    assert [v["number"] for v in versions] == [1, 2]
    detail = (await client.get(f"{URL}/{first['id']}/versions/{versions[1]['id']}", headers=account.headers)).json()
    assert detail["status"] == "queued" and detail["parsed"] is None and len(detail["sha256"]) == 64
    made_default = await client.patch(f"{URL}/{second['id']}", json={"is_default": True}, headers=account.headers)
    assert made_default.json()["is_default"] is True
    assert (await client.get(f"{URL}/{first['id']}", headers=account.headers)).json()["is_default"] is False
    files_before = len(stored_files(settings))
    assert (await client.delete(f"{URL}/{second['id']}", headers=account.headers)).status_code == 204
    assert len(stored_files(settings)) == files_before - 1
    assert (await client.get(f"{URL}/{first['id']}", headers=account.headers)).json()["is_default"] is True
    listing = (await client.get(URL, headers=account.headers)).json()
    assert [r["id"] for r in listing["items"]] == [first["id"]]


async def test_other_users_get_404_everywhere(client: httpx.AsyncClient) -> None:
    alice, mallory = await factories.account(client), await factories.account(client)
    resume = (await upload(client, alice, make_pdf())).json()
    rid, vid = resume["id"], resume["latest_version"]["id"]
    for method, url in [
        ("GET", f"{URL}/{rid}"), ("PATCH", f"{URL}/{rid}"), ("DELETE", f"{URL}/{rid}"),
        ("GET", f"{URL}/{rid}/versions"), ("GET", f"{URL}/{rid}/versions/{vid}"),
        ("GET", f"{URL}/{rid}/versions/{vid}/file"),
    ]:  # fmt: skip
        payload = {"title": "pwned"} if method == "PATCH" else None
        response = await client.request(method, url, headers=mallory.headers, json=payload)
        assert response.status_code == 404, (method, url)
    steal = await client.post(
        f"{URL}/{rid}/versions", files={"file": ("x.pdf", make_pdf(["evil"]), "application/pdf")},
        headers=mallory.headers,
    )  # fmt: skip
    assert steal.status_code == 404
    assert (await client.get(URL, headers=mallory.headers)).json()["items"] == []
    assert (await client.get(f"{URL}/{rid}", headers=alice.headers)).json()["title"] == resume["title"]


async def test_erasing_the_account_removes_its_files(client: httpx.AsyncClient, settings: Settings) -> None:
    account = await factories.account(client)
    other = await factories.account(client)
    await upload(client, account, make_pdf(["Mine"]))
    await upload(client, other, make_pdf(["Theirs"]))
    assert len(stored_files(settings)) == 2
    response = await client.request(
        "DELETE", "/api/v1/me", json={"password": account.password}, headers=account.headers
    )
    assert response.status_code == 204
    remaining = stored_files(settings)
    assert len(remaining) == 1 and other.user_id in str(remaining[0])
    assert await Resume.count() == 1
