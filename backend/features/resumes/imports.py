"""Resumes imported without a PDF and without AI: a JSON Resume document or LinkedIn's data export.

The input is read by `backend.engines.resume_import` (in a thread: an archive's CSVs may take a moment)
and becomes a new resume with one version that is `parsed` at once: its `parsed` data is the JSON
Resume document (kept as sent, for JSON Resume) and its `text` the plain text of that data (what the
analyses and the AI read of a version), both encrypted like a parsed upload's. No file is stored
(`object_key` NULL, `source` names where it came from): downloading the original answers 404
`version-has-no-file`, and nothing is queued for the worker.

Budgets are the uploads' (docs/security.md): the input at most `MAX_BYTES` (413), the user's
`STORAGE_QUOTA_BYTES` (the stored JSON's size counts, 413 `storage-quota-exceeded`), `MAX_RESUMES`
(409), and each import counts in the user's `UPLOADS_PER_HOUR` (429), before anything is read.
Refused input changes nothing: 422 problem details list every problem found (`errors`).
"""

from __future__ import annotations

import asyncio
import hashlib
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import msgspec

from backend import errors
from backend.engines import resume_import
from backend.features.resumes import parsing, queries, schemas
from backend.features.resumes.service import MAX_BYTES, MAX_RESUMES, ResumeService
from backend.platform.db.engine import DB
from backend.platform.db.tables import Resume, ResumeVersion

FILENAMES = {"json_resume": "resume.json", "linkedin": "linkedin-export.zip"}
LABELS = {"json_resume": "JSON Resume", "linkedin": "LinkedIn"}
STORED_TYPE = "application/json"  # what the version holds, whatever it was read from


def _refused(exc: resume_import.ImportRefused) -> errors.AppError:
    field_errors = [errors.FieldError(problem.field, problem.message) for problem in exc.problems]
    if exc.kind == "too_large":
        return errors.PayloadTooLarge(exc.detail, slug="import-too-large")
    return errors.Unprocessable(exc.detail, errors=field_errors, slug="import-invalid")


async def _read(reader: Callable[[bytes], resume_import.Imported], body: bytes) -> resume_import.Imported:
    try:
        return await asyncio.to_thread(reader, body)
    except resume_import.ImportRefused as exc:
        raise _refused(exc) from None


def _title(title: str | None, imported: resume_import.Imported) -> str:
    basics = imported.resume.get("basics")
    name = basics.get("name") if isinstance(basics, dict) else None
    fallback = f"{name.strip()} ({LABELS[imported.source]})" if isinstance(name, str) and name.strip() else ""
    return ((title or "").strip() or fallback or f"Imported from {LABELS[imported.source]}")[:200]


class ResumeImports:
    """Imports of one request; the budgets and reads are the resume service's."""

    def __init__(self, resumes: ResumeService) -> None:
        self.resumes = resumes
        self.envelope = resumes.envelope

    async def json_resume(self, user_id: uuid.UUID, body: bytes, *, title: str | None) -> schemas.ResumeImported:
        return await self._import(user_id, body, resume_import.from_json_resume, title)

    async def linkedin(self, user_id: uuid.UUID, body: bytes, *, title: str | None) -> schemas.ResumeImported:
        return await self._import(user_id, body, resume_import.from_linkedin_archive, title)

    async def _import(
        self, user_id: uuid.UUID, body: bytes, reader: Callable[[bytes], resume_import.Imported], title: str | None
    ) -> schemas.ResumeImported:
        if len(body) > MAX_BYTES:
            raise errors.PayloadTooLarge(f"An import may be at most {MAX_BYTES // (1024 * 1024)} MB")
        await self.resumes._check_budgets(user_id, None, 0)  # cheapest first: a user already over quota
        await self.resumes._take_upload(user_id)
        imported = await _read(reader, body)
        data = imported.resume
        size = len(msgspec.json.encode(data))
        rid, vid = uuid.uuid4(), uuid.uuid4()
        values: dict[str, Any] = {
            "parsed": self.envelope.encrypt_json(data, parsing.parsed_aad(vid)),
            "text": self.envelope.encrypt_text(resume_import.resume_text(data), parsing.text_aad(vid)),
        }
        now = datetime.now(UTC)
        async with DB.transaction():
            await queries.lock_user_uploads(user_id)
            await self.resumes._check_budgets(user_id, None, size)
            count = await Resume.count().where(Resume.user == user_id)
            if count >= MAX_RESUMES:
                raise errors.Conflict(f"At most {MAX_RESUMES} resumes per account", slug="too-many-resumes")
            await Resume(id=rid, user=user_id, title=_title(title, imported), is_default=count == 0).save()
            await ResumeVersion(
                id=vid, resume=rid, user=user_id, number=1, status="parsed", source=imported.source,
                filename=FILENAMES[imported.source], size=size, content_type=STORED_TYPE,
                sha256=hashlib.sha256(body).hexdigest(), object_key=None, object_kid=None, pages=0,
                parsed=values["parsed"], text=values["text"], parsed_at=now,
            ).save()  # fmt: skip
        resume = await self.resumes.get(user_id, rid)
        version = await self.resumes.version(user_id, rid, vid)
        notes = [schemas.ImportNote(field=note.field, message=note.message) for note in imported.notes]
        return schemas.ResumeImported(resume=resume, version=version, notes=notes)
