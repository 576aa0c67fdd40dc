"""Resume rules: validate the PDF by content, store it encrypted, record the version and its parse
job in one transaction, read results back decrypted. No Litestar import.

Every upload costs a sandboxed inspection child here, a parser child in a worker and stored bytes,
so each is budgeted (docs/security.md, "Budgets for costly work"), cheapest check first, and a
refused upload changes nothing:

- `RESUME_MAX_VERSIONS` versions per resume (409 `too-many-versions`) and `STORAGE_QUOTA_BYTES` per
  user (413 `storage-quota-exceeded`): checked before anything is spent, and again under a per-user
  lock in the transaction that inserts, so concurrent uploads cannot overshoot;
- `UPLOADS_PER_HOUR` per user (429 + Retry-After), counted before the inspection child starts: an
  upload refused after it (a bad PDF, a duplicate) has cost that child and counts;
- the duplicate check compares the exact bytes and the content fingerprint (page count + normalized
  text, `document.content_fingerprint`), so the same document with bytes appended, other metadata or
  saved again is refused too (409 `duplicate-upload`). A PDF without a text layer has no fingerprint
  and only its exact bytes are compared; two files with the same text and another look (fonts,
  colours, layout) count as duplicates.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import uuid
from datetime import UTC, datetime
from typing import Any

import structlog
from redis.asyncio import Redis

from backend import errors
from backend.engines import documents, resume_parser
from backend.engines.resume_parser.models import PdfInfo
from backend.features.resumes import parsing, queries, schemas
from backend.platform import ratelimit, redis_client
from backend.platform.crypto.envelope import Envelope
from backend.platform.db.engine import DB
from backend.platform.db.replicas import routed_reads
from backend.platform.db.tables import Resume, ResumeVersion
from backend.platform.storage import ObjectStore
from backend.settings import StorageSettings
from tasks import outbox

log = structlog.get_logger("career_copilot.resumes")
MAX_BYTES = 10 * 1024 * 1024
MAX_RESUMES = 100
SOURCES = {"json_resume": "a JSON Resume document", "linkedin": "a LinkedIn data export"}
NO_FILE = "This version was imported from {source}: it has no file. Its data is the version's `parsed` field."


def object_key(user_id: uuid.UUID, resume_id: uuid.UUID, version_id: uuid.UUID) -> str:
    return f"users/{user_id}/resumes/{resume_id}/versions/{version_id}"


def _summary(row: dict[str, Any]) -> schemas.VersionSummary:
    return schemas.VersionSummary(
        id=row["id"], number=row["number"], status=row["status"], filename=row["filename"], size=row["size"],
        content_type=row["content_type"], created_at=row["created_at"], source=row["source"],
    )  # fmt: skip


def version_out(envelope: Envelope, row: dict[str, Any]) -> schemas.VersionOut:
    """A version with its parsed data (decrypted)."""
    parsed = None
    if row["parsed"] is not None:
        parsed = envelope.decrypt_json(bytes(row["parsed"]), f"resume_versions.parsed:{row['id']}")
    return schemas.VersionOut(
        id=row["id"], number=row["number"], status=row["status"], filename=row["filename"], size=row["size"],
        content_type=row["content_type"], created_at=row["created_at"], source=row["source"], sha256=row["sha256"],
        pages=row["pages"],
        parsed=parsed, error=row["error"], error_code=row["error_code"], parsed_at=row["parsed_at"],
    )  # fmt: skip


def resume_out(row: dict[str, Any], latest: dict[str, Any] | None) -> schemas.ResumeOut:
    return schemas.ResumeOut(
        id=row["id"], title=row["title"], is_default=row["is_default"], created_at=row["created_at"],
        updated_at=row["updated_at"], latest_version=_summary(latest) if latest else None,
    )  # fmt: skip


async def take_export(redis: Redis | None, user_id: uuid.UUID, limit: int) -> None:
    """Count a document export (a resume's or a letter's) in the user's hourly window, or raise
    TooManyRequests (429, Retry-After): each costs the api tens of milliseconds of CPU."""
    if redis is None:
        return
    window = ratelimit.Window(f"rl:export:{redis_client.tag(user_id)}", limit, 3600)
    if wait := await ratelimit.take(redis, [window]):
        raise errors.TooManyRequests(f"At most {limit} exports an hour; try again in {wait} seconds", retry_after=wait)


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.1f} MB"


class ResumeService:
    def __init__(
        self,
        store: ObjectStore,
        envelope: Envelope,
        *,
        redis: Redis | None = None,
        settings: StorageSettings | None = None,
        inspections: asyncio.Semaphore | None = None,
        limits: parsing.ParseLimits | None = None,
    ) -> None:
        self.store = store
        self.envelope = envelope
        self.redis = redis
        self.settings = settings or StorageSettings()
        self.inspections = inspections  # sandboxed inspections of this process at once (PARSER_CHILDREN)
        self.limits = limits or parsing.ParseLimits()  # the parse child's: time, memory, pages

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
        await self._check_budgets(user_id, resume_id, len(data))  # before anything is spent
        await self._take_upload(user_id)
        info = await self._inspect(data)
        digest = hashlib.sha256(data).hexdigest()
        await self._check_duplicate(user_id, digest, info.fingerprint)
        new_resume = resume_id is None
        rid, vid = resume_id or uuid.uuid4(), uuid.uuid4()
        key = object_key(user_id, rid, vid)
        await self.store.put(key, data, "application/pdf")  # before the commit: never a row without its file
        try:
            async with DB.transaction():
                await queries.lock_user_uploads(user_id)  # until the commit: the budgets below hold
                await self._check_budgets(user_id, None if new_resume else rid, len(data))
                await self._check_duplicate(user_id, digest, info.fingerprint)  # a concurrent twin committed first
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
                    pages=info.pages, content_sha256=info.fingerprint,
                ).save()  # fmt: skip
                await Resume.update({Resume.updated_at: datetime.now(UTC)}).where(Resume.id == rid)
                await outbox.enqueue(parsing.PARSE_TASK, version_id=str(vid))
        except BaseException:
            await self._forget_object(key)
            raise
        return await self.get(user_id, rid)

    async def _check_budgets(self, user_id: uuid.UUID, resume_id: uuid.UUID | None, size: int) -> None:
        """The version cap of the resume (None: a new one) and the user's storage quota."""
        cap = self.settings.max_versions_per_resume
        if resume_id is not None and await queries.version_count(resume_id) >= cap:
            raise errors.Conflict(
                f"This resume already has {cap} versions, the most one may keep. Delete the resume or start a new one.",
                slug="too-many-versions",
            )
        quota = self.settings.quota_bytes_per_user
        used = await queries.stored_bytes(user_id)
        if used + size > quota:
            raise errors.PayloadTooLarge(
                f"This file ({_megabytes(size)}) does not fit in your storage: {_megabytes(used)} of "
                f"{_megabytes(quota)} are used. Delete resumes you no longer need, then upload again.",
                slug="storage-quota-exceeded",
            )

    async def _take_upload(self, user_id: uuid.UUID) -> None:
        """Count the upload in the user's hourly window, or raise TooManyRequests (429, Retry-After)."""
        if self.redis is None:
            return
        limit = self.settings.uploads_per_hour
        window = ratelimit.Window(f"rl:upload:{redis_client.tag(user_id)}", limit, 3600)
        if wait := await ratelimit.take(self.redis, [window]):
            raise errors.TooManyRequests(
                f"At most {limit} uploads an hour; try again in {wait} seconds", retry_after=wait
            )

    async def _inspect(self, data: bytes) -> PdfInfo:
        """The upload checks (`inspect_pdf` + fingerprint) in a sandboxed child under the parser's
        limits (time, memory, pages), at most `inspections` at once in this process."""
        limits = self.limits

        async def run() -> PdfInfo:
            return await resume_parser.inspect_isolated_async(
                data, max_pages=limits.max_pages, cpu_seconds=limits.cpu_seconds, memory_mb=limits.memory_mb,
                wall_seconds=limits.wall_seconds,
            )  # fmt: skip

        if self.inspections is None:
            return await run()
        async with self.inspections:
            return await run()

    async def _check_duplicate(self, user_id: uuid.UUID, digest: str, fingerprint: str | None) -> None:
        same: Any = ResumeVersion.sha256 == digest
        if fingerprint is not None:
            same = same | (ResumeVersion.content_sha256 == fingerprint)
        duplicate = (
            await ResumeVersion.select(ResumeVersion.id, ResumeVersion.resume, ResumeVersion.sha256)
            .where((ResumeVersion.user == user_id) & same)
            .first()
        )
        if duplicate is not None:
            exact = "This exact file" if duplicate["sha256"] == digest else "A file with the same content"
            raise errors.Conflict(
                f"{exact} is already uploaded (resume {duplicate['resume']}, version {duplicate['id']})",
                slug="duplicate-upload",
            )

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
            if key["object_key"] is not None:  # an imported version has no file
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
        """(original bytes, filename, content type) of a version; an imported one has none (404)."""
        row = await self._version(user_id, resume_id, version_id)
        if row["object_key"] is None:
            raise errors.NotFound(
                NO_FILE.format(source=SOURCES.get(row["source"], "imported")), slug="version-has-no-file"
            )
        return await self.store.get(row["object_key"]), row["filename"], row["content_type"]

    async def export(
        self, user_id: uuid.UUID, resume_id: uuid.UUID, version_id: uuid.UUID, fmt: documents.ResumeFormat
    ) -> tuple[bytes, str, str]:
        """(file, file name, media type) of a parsed version as PDF, Word or JSON Resume, built from its
        parsed data; 422 `version-not-parsed` while it is queued or parsing, or when its parse failed;
        429 past `DOCUMENT_EXPORTS_PER_HOUR`."""
        with routed_reads(user_id):
            resume = await self._owned(user_id, resume_id)
            row = await self._version(user_id, resume_id, version_id)
        number = row["number"]
        if row["status"] in ("queued", "parsing"):
            raise errors.Unprocessable(
                f"Version {number} is still being parsed (status: {row['status']}); its documents are made "
                "from the parsed data, so export it once it is parsed (the `resume.parsed` event says when).",
                slug="version-not-parsed",
            )
        if row["status"] != "parsed" or row["parsed"] is None:
            reason = f": {row['error']}" if row["error"] else ""
            raise errors.Unprocessable(
                f"Version {number} could not be parsed{reason}, so it has no data to export. "
                "Upload a new version of the resume.",
                slug="version-not-parsed",
            )
        await take_export(self.redis, user_id, self.settings.document_exports_per_hour)
        parsed = self.envelope.decrypt_json(bytes(row["parsed"]), parsing.parsed_aad(row["id"]))
        modified = row["parsed_at"].isoformat(timespec="seconds") if row["parsed_at"] else None
        content = await asyncio.to_thread(documents.resume_document, parsed, fmt, last_modified=modified)
        basics = parsed.get("basics") if isinstance(parsed.get("basics"), dict) else {}
        name = basics.get("name") if isinstance(basics.get("name"), str) else ""
        filename = documents.file_name(name or resume["title"], f"resume v{number}", ext=fmt)
        return content, filename, documents.MEDIA_TYPES[fmt]
