"""The budgets of uploads, through the real API: the hourly rate per user (429 + Retry-After), the
version cap per resume (409), the storage quota per user (413, also under concurrent uploads), the
duplicate check by content (the same document re-saved, with other metadata or bytes appended), and
hostile PDFs refused by the sandboxed inspection (4xx, never a hang or a 500). Each refusal changes
nothing: no row, no object, no parse job."""

from __future__ import annotations

import asyncio
import tempfile
import zlib
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import pymupdf
import pytest

from backend.features.resumes.parsing import PARSE_TASK
from backend.platform.db.tables import Resume, ResumeVersion, TaskOutbox
from backend.settings import Settings
from tests import factories, support
from tests.engines.resume_parser.samples import pdf
from tests.features.resumes.test_uploads import ROOT, make_pdf, stored_files, upload
from tests.plugins.services import served
from tests.support import settings_env

URL = "/api/v1/resumes"
LINES = ["Ada Lovelace", "Analytical engine programmer", "ada@example.com", "London, United Kingdom"]


@asynccontextmanager
async def api(services: support.SessionServices, **env: str) -> AsyncIterator[httpx.AsyncClient]:
    """A client of an api served in this process with `env` on top of the session's settings."""
    from backend.entrypoints.api import create_app

    async with (
        served(create_app(Settings.from_env(settings_env(services, **env)))) as url,
        httpx.AsyncClient(base_url=url, timeout=60) as http,
    ):
        yield http


async def add_version(
    client: httpx.AsyncClient, account: factories.Account, resume_id: str, content: bytes
) -> httpx.Response:
    files = {"file": ("v.pdf", content, "application/pdf")}
    return await client.post(f"{URL}/{resume_id}/versions", files=files, headers=account.headers)


async def nothing_changed(settings: Settings, versions: int, files: int) -> None:
    assert await ResumeVersion.count() == versions
    assert await TaskOutbox.count().where(TaskOutbox.task_name == PARSE_TASK) == versions
    assert len(stored_files(settings)) == files


def problem(response: httpx.Response, status: int, slug: str) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert body["type"].endswith(f":{slug}"), body
    return body


async def test_uploads_per_hour_are_limited_per_user(services: support.SessionServices, settings: Settings) -> None:
    async with api(services, UPLOADS_PER_HOUR="2") as client:
        account, other = await factories.account(client), await factories.account(client)
        first = await upload(client, account, make_pdf([*LINES, "one"]))
        assert first.status_code == 202
        assert (await add_version(client, account, first.json()["id"], make_pdf([*LINES, "two"]))).status_code == 202
        refused = await upload(client, account, make_pdf([*LINES, "three"]))
        problem(refused, 429, "too-many-requests")
        assert 1 <= int(refused.headers["retry-after"]) <= 3600
        await nothing_changed(settings, versions=2, files=2)
        # per user: someone else still uploads
        assert (await upload(client, other, make_pdf([*LINES, "three"]))).status_code == 202


async def test_a_resume_holds_at_most_the_version_cap(services: support.SessionServices, settings: Settings) -> None:
    async with api(services, RESUME_MAX_VERSIONS="2") as client:
        account = await factories.account(client)
        resume = (await upload(client, account, make_pdf([*LINES, "v1"]))).json()
        assert (await add_version(client, account, resume["id"], make_pdf([*LINES, "v2"]))).status_code == 202
        body = problem(
            await add_version(client, account, resume["id"], make_pdf([*LINES, "v3"])), 409, "too-many-versions"
        )
        assert "2 versions" in body["detail"]
        await nothing_changed(settings, versions=2, files=2)
        # a new resume starts its own count
        assert (await upload(client, account, make_pdf([*LINES, "v3"]))).status_code == 202


async def test_the_storage_quota_counts_every_stored_file(
    services: support.SessionServices, settings: Settings
) -> None:
    pdfs = [make_pdf([*LINES, f"file {n}"]) for n in range(3)]
    quota = sum(len(pdf) for pdf in pdfs[:2]) + 10  # two fit, not three
    async with api(services, STORAGE_QUOTA_BYTES=str(quota)) as client:
        account = await factories.account(client)
        resume = (await upload(client, account, pdfs[0])).json()
        assert (await add_version(client, account, resume["id"], pdfs[1])).status_code == 202
        body = problem(await upload(client, account, pdfs[2]), 413, "storage-quota-exceeded")
        assert "Delete" in body["detail"] and "MB" in body["detail"]
        await nothing_changed(settings, versions=2, files=2)
        # deleting frees the space
        assert (await client.delete(f"{URL}/{resume['id']}", headers=account.headers)).status_code == 204
        assert (await upload(client, account, pdfs[2])).status_code == 202


async def test_concurrent_uploads_cannot_overshoot_the_quota(
    services: support.SessionServices, settings: Settings
) -> None:
    pdfs = [make_pdf([*LINES, f"concurrent {n}"]) for n in range(4)]
    quota = 2 * max(len(pdf) for pdf in pdfs) + 10
    async with api(services, STORAGE_QUOTA_BYTES=str(quota)) as client:
        account = await factories.account(client)
        responses = await asyncio.gather(*(upload(client, account, pdf) for pdf in pdfs))
    statuses = sorted(response.status_code for response in responses)
    assert statuses == [202, 202, 413, 413], [r.text for r in responses]
    await nothing_changed(settings, versions=2, files=2)


def _resaved(data: bytes, **options: object) -> bytes:
    doc = pymupdf.open(stream=data, filetype="pdf")
    try:
        return bytes(doc.tobytes(**options))
    finally:
        doc.close()


def _new_metadata(data: bytes) -> bytes:
    doc = pymupdf.open(stream=data, filetype="pdf")
    doc.set_metadata({"title": "Another title", "author": "Someone else", "producer": "other tool"})
    out = bytes(doc.tobytes())
    doc.close()
    return out


def _incremental(data: bytes) -> bytes:
    """An editor's incremental save: new metadata appended as an update section after `%%EOF`."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "cv.pdf"
        path.write_bytes(data)
        doc = pymupdf.open(path)
        doc.set_metadata({"title": "edited"})
        doc.saveIncr()
        doc.close()
        return path.read_bytes()


VARIANTS: dict[str, Callable[[bytes], bytes]] = {
    "one-byte-appended": lambda data: data + b"\n",
    "garbage-after-eof": lambda data: data + b"\x00garbage\xff" * 64,
    "other-metadata": _new_metadata,
    "re-saved-compressed": lambda data: _resaved(data, garbage=4, deflate=True),
    "re-saved-clean": lambda data: _resaved(data, garbage=1, clean=True),
    "incremental-update": _incremental,
}


@pytest.mark.parametrize("variant", list(VARIANTS), ids=list(VARIANTS))
async def test_the_same_document_in_other_bytes_is_a_duplicate(client: httpx.AsyncClient, variant: str) -> None:
    account = await factories.account(client)
    original = (ROOT / "resume-matcher-single-column.pdf").read_bytes()
    changed = VARIANTS[variant](original)
    assert changed != original
    first = await upload(client, account, original)
    assert first.status_code == 202
    again = await upload(client, account, changed, "renamed.pdf")
    body = problem(again, 409, "duplicate-upload")
    assert first.json()["id"] in body["detail"] and "same content" in body["detail"]
    assert await ResumeVersion.count() == 1


async def test_another_document_is_not_a_duplicate(client: httpx.AsyncClient) -> None:
    account = await factories.account(client)
    assert (await upload(client, account, make_pdf([*LINES, "one"]))).status_code == 202
    assert (await upload(client, account, make_pdf([*LINES, "two"]))).status_code == 202
    # the same text on two pages instead of one is another document
    assert (await upload(client, account, make_pdf([*LINES, "one"], pages=2))).status_code == 202


def _single_page(content: bytes, filters: bytes = b"") -> bytes:
    """A one-page PDF whose content stream is `content` (already encoded with `filters`)."""
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R"
        b" /Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d %s>>\nstream\n" % (len(content), filters) + content + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    return _assemble(objects)


def _assemble(objects: list[bytes]) -> bytes:
    out, offsets = bytearray(b"%PDF-1.7\n"), []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def decompression_bomb(mebibytes: int = 1024) -> bytes:
    """A content stream of `mebibytes` MiB of spaces, deflated to ~1/1000 of that."""
    compressor = zlib.compressobj(9)
    chunk = b" " * (1 << 20)
    body = b"".join(compressor.compress(chunk) for _ in range(mebibytes)) + compressor.flush()
    return _single_page(body, b"/Filter /FlateDecode ")


def page_count_bomb(pages: int = 200_000) -> bytes:
    """A page tree that claims (and lists) 200,000 pages."""
    kids = b" ".join(b"3 0 R" for _ in range(pages))
    return _assemble(
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [" + kids + b"] /Count %d >>" % pages,
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] >>",
        ]
    )


HOSTILE: dict[str, tuple[Callable[[], bytes], str]] = {
    "decompression-bomb": (decompression_bomb, "resume-too-complex"),
    "page-count-bomb": (page_count_bomb, "resume-corrupt"),
    "deep-nesting": (lambda: pdf("deep-nesting.pdf"), "resume-corrupt"),  # MuPDF's stack overflows
    "text-bomb": (lambda: pdf("text-bomb.pdf"), "resume-too-complex"),  # 40 KB, megabytes of operators
}


@pytest.mark.parametrize("name", list(HOSTILE), ids=list(HOSTILE))
async def test_hostile_pdfs_get_a_4xx_from_the_sandboxed_inspection(
    client: httpx.AsyncClient, settings: Settings, name: str
) -> None:
    build, slug = HOSTILE[name]
    account = await factories.account(client)
    response = await upload(client, account, build())
    problem(response, 422, slug)
    await nothing_changed(settings, versions=0, files=0)
    assert await Resume.count() == 0
    # the api is fine afterwards
    assert (await upload(client, account, make_pdf([*LINES, "after"]))).status_code == 202
