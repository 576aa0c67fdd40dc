"""Resume rules: validate the PDF by content, store it encrypted, record the version and its parse
job in one transaction, read results back decrypted. No Litestar import."""

from __future__ import annotations

import hashlib
import os
import uuid
from datetime import UTC, datetime
from typing import Any

import anyio.to_thread
import structlog

from backend import errors
from backend.engines.resume_parser.document import inspect_pdf
from backend.features.resumes import parsing, schemas
from backend.platform.crypto.envelope import Envelope
from backend.platform.db.engine import DB
from backend.platform.db.replicas import routed_reads
from backend.platform.db.tables import Resume, ResumeVersion
from backend.platform.storage import ObjectStore
from tasks import outbox

log = structlog.get_logger("career_copilot.resumes")
MAX_BYTES = 10 * 1024 * 1024
MAX_PAGES = 20
MAX_RESUMES = 100


def object_key(user_id: uuid.UUID, resume_id: uuid.UUID, version_id: uuid.UUID) -> str:
    return f"users/{user_id}/resumes/{resume_id}/versions/{version_id}"


def _summary(row: dict[str, Any]) -> schemas.VersionSummary:
    return schemas.VersionSummary(
        id=row["id"], number=row["number"], status=row["status"], filename=row["filename"], size=row["size"],
        content_type=row["content_type"], created_at=row["created_at"],
    )  # fmt: skip


def version_out(envelope: Envelope, row: dict[str, Any]) -> schemas.VersionOut:
    """A version with its parsed data (decrypted)."""
    parsed = None
    if row["parsed"] is not None:
        parsed = envelope.decrypt_json(bytes(row["parsed"]), f"resume_versions.parsed:{row['id']}")
    return schemas.VersionOut(
        id=row["id"], number=row["number"], status=row["status"], filename=row["filename"], size=row["size"],
        content_type=row["content_type"], created_at=row["created_at"], sha256=row["sha256"], pages=row["pages"],
        parsed=parsed, error=row["error"], error_code=row["error_code"], parsed_at=row["parsed_at"],
    )  # fmt: skip


def resume_out(row: dict[str, Any], latest: dict[str, Any] | None) -> schemas.ResumeOut:
    return schemas.ResumeOut(
        id=row["id"], title=row["title"], is_default=row["is_default"], created_at=row["created_at"],
        updated_at=row["updated_at"], latest_version=_summary(latest) if latest else None,
    )  # fmt: skip


class ResumeService:
    def __init__(self, store: ObjectStore, envelope: Envelope) -> None:
        self.store = store
        self.envelope = envelope

    # -- uploads -----------------------------------------------------------------------------------
    async def upload(
        self, user_id: uuid.UUID, data: bytes, filename: str, *, title: str | None = None,
        resume_id: uuid.UUID | None = None,
    ) -> schemas.ResumeOut:  # fmt: skip
        """A new resume (no `resume_id`) or a new version of one; parsing is queued, not awaited."""
        if len(data) > MAX_BYTES:
            raise errors.PayloadTooLarge(f"A resume may be at most {MAX_BYTES // (1024 * 1024)} MB")
        if resume_id is not None:
            await self._owned(user_id, resume_id)
        # Parses only the page tree: cheap, but off the event loop anyway.
        info = await anyio.to_thread.run_sync(lambda: inspect_pdf(data, max_pages=MAX_PAGES))
        digest = hashlib.sha256(data).hexdigest()
        duplicate = (
            await ResumeVersion.select(ResumeVersion.id, ResumeVersion.resume)
            .where((ResumeVersion.user == user_id) & (ResumeVersion.sha256 == digest))
            .first()
        )
        if duplicate is not None:
            raise errors.Conflict(
                f"This exact file is already uploaded (resume {duplicate['resume']}, version {duplicate['id']})",
                slug="duplicate-upload",
            )
        new_resume = resume_id is None
        rid, vid = resume_id or uuid.uuid4(), uuid.uuid4()
        key = object_key(user_id, rid, vid)
        await self.store.put(key, data, "application/pdf")  # before the commit: never a row without its file
        try:
            async with DB.transaction():
                if new_resume:
                    count = await Resume.count().where(Resume.user == user_id)
                    if count >= MAX_RESUMES:
                        raise errors.Conflict(f"At most {MAX_RESUMES} resumes per account", slug="too-many-resumes")
                    clean_title = (title or "").strip()[:200] or os.path.splitext(filename)[0][:200] or "Resume"
                    await Resume(id=rid, user=user_id, title=clean_title, is_default=count == 0).save()
                locked = await Resume.select(Resume.id).where(Resume.id == rid).lock_rows("UPDATE").first()
                assert locked is not None
                last = (
                    await ResumeVersion.select(ResumeVersion.number)
                    .where(ResumeVersion.resume == rid)
                    .order_by(ResumeVersion.number, ascending=False)
                    .first()
                )
                await ResumeVersion(
                    id=vid, resume=rid, user=user_id, number=(last["number"] + 1) if last else 1, status="queued",
                    filename=filename[:255] or "resume.pdf", size=len(data), sha256=digest, object_key=key,
                    object_kid=self.envelope.active_kid,
                    pages=info.pages,
                ).save()  # fmt: skip
                await Resume.update({Resume.updated_at: datetime.now(UTC)}).where(Resume.id == rid)
                await outbox.enqueue(parsing.PARSE_TASK, version_id=str(vid))
        except BaseException:
            await self._forget_object(key)
            raise
        return await self.get(user_id, rid)

    async def _forget_object(self, key: str) -> None:
        try:
            await self.store.delete(key)
        except Exception as exc:  # an orphan object is harmless; a crash here would hide the real error
            log.warning("orphan_object", error=type(exc).__name__)

    # -- reads -------------------------------------------------------------------------------------
    async def _owned(self, user_id: uuid.UUID, resume_id: uuid.UUID) -> dict[str, Any]:
        row = await Resume.select().where((Resume.id == resume_id) & (Resume.user == user_id)).first()
        if row is None:
            raise errors.NotFound("No such resume")
        return row

    async def _out(self, row: dict[str, Any]) -> schemas.ResumeOut:
        latest = (
            await ResumeVersion.select()
            .where(ResumeVersion.resume == row["id"])
            .order_by(ResumeVersion.number, ascending=False)
            .first()
        )
        return resume_out(row, latest)

    async def get(self, user_id: uuid.UUID, resume_id: uuid.UUID) -> schemas.ResumeOut:
        with routed_reads(user_id):
            return await self._out(await self._owned(user_id, resume_id))

    async def list_all(self, user_id: uuid.UUID) -> schemas.ResumePage:
        with routed_reads(user_id):
            rows = await Resume.select().where(Resume.user == user_id).order_by(Resume.created_at, ascending=False)
            return schemas.ResumePage(items=[await self._out(row) for row in rows])

    async def update(self, user_id: uuid.UUID, resume_id: uuid.UUID, body: schemas.ResumeUpdate) -> schemas.ResumeOut:
        await self._owned(user_id, resume_id)
        async with DB.transaction():
            if body.is_default is True:
                await Resume.update({Resume.is_default: False}).where(Resume.user == user_id)
                await Resume.update({Resume.is_default: True}).where(Resume.id == resume_id)
            if isinstance(body.title, str):
                await Resume.update({Resume.title: body.title.strip() or "Resume"}).where(Resume.id == resume_id)
            await Resume.update({Resume.updated_at: datetime.now(UTC)}).where(Resume.id == resume_id)
        return await self.get(user_id, resume_id)

    async def delete(self, user_id: uuid.UUID, resume_id: uuid.UUID) -> None:
        """Delete the resume, its versions and their stored files; another resume becomes default."""
        row = await self._owned(user_id, resume_id)
        keys = await ResumeVersion.select(ResumeVersion.object_key).where(ResumeVersion.resume == resume_id)
        async with DB.transaction():
            await Resume.delete().where(Resume.id == resume_id)
            if row["is_default"]:
                successor = (
                    await Resume.select(Resume.id)
                    .where(Resume.user == user_id)
                    .order_by(Resume.updated_at, ascending=False)
                    .first()
                )
                if successor is not None:
                    await Resume.update({Resume.is_default: True}).where(Resume.id == successor["id"])
        for key in keys:
            await self._forget_object(key["object_key"])

    async def versions(self, user_id: uuid.UUID, resume_id: uuid.UUID) -> list[schemas.VersionSummary]:
        with routed_reads(user_id):
            await self._owned(user_id, resume_id)
            rows = await ResumeVersion.select().where(ResumeVersion.resume == resume_id).order_by(ResumeVersion.number)
        return [_summary(row) for row in rows]

    async def _version(self, user_id: uuid.UUID, resume_id: uuid.UUID, version_id: uuid.UUID) -> dict[str, Any]:
        row = (
            await ResumeVersion.select()
            .where(
                (ResumeVersion.id == version_id) & (ResumeVersion.resume == resume_id) & (ResumeVersion.user == user_id)
            )
            .first()
        )
        if row is None:
            raise errors.NotFound("No such resume version")
        return row

    async def version(self, user_id: uuid.UUID, resume_id: uuid.UUID, version_id: uuid.UUID) -> schemas.VersionOut:
        with routed_reads(user_id):
            row = await self._version(user_id, resume_id, version_id)
        return version_out(self.envelope, row)

    async def file(self, user_id: uuid.UUID, resume_id: uuid.UUID, version_id: uuid.UUID) -> tuple[bytes, str, str]:
        """(original bytes, filename, content type) of a version."""
        row = await self._version(user_id, resume_id, version_id)
        return await self.store.get(row["object_key"]), row["filename"], row["content_type"]
