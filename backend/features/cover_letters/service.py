"""Cover-letter rules on the api side: create (row + job in one transaction), read, edit, cancel, delete.

Generation itself runs in the worker (`generation`). No Litestar import.
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime
from typing import Any

import msgspec
import structlog
from redis.asyncio import Redis

from backend import errors
from backend.engines import documents
from backend.features.ai import quota, sources
from backend.features.ai.work import GENERATE_TASK
from backend.features.cover_letters import schemas
from backend.features.resumes.service import take_export
from backend.platform.crypto.envelope import Envelope
from backend.platform.db.engine import DB
from backend.platform.db.replicas import routed_reads
from backend.platform.db.tables import CoverLetter
from backend.platform.http import pagination
from backend.platform.realtime import events
from backend.platform.realtime.publisher import Publisher
from backend.platform.realtime.sink import publish_best_effort
from backend.settings import AISettings
from tasks import outbox

log = structlog.get_logger("career_copilot.cover_letters")
ACTIVE = ("queued", "streaming")


def content_aad(letter_id: uuid.UUID | str) -> str:
    return f"cover_letters.content:{letter_id}"


def decrypt_content(envelope: Envelope, row: dict[str, Any]) -> str:
    blob = row.get("content")
    return envelope.decrypt_text(bytes(blob), content_aad(row["id"])) if blob is not None else ""


def _usage(raw: Any) -> dict[str, Any]:
    value = msgspec.json.decode(raw) if isinstance(raw, str | bytes) else raw
    return value if isinstance(value, dict) else {}


def letter_out(envelope: Envelope, row: dict[str, Any]) -> schemas.CoverLetterOut:
    """A letter with its content (decrypted)."""
    return schemas.CoverLetterOut(
        id=row["id"], status=row["status"], application_id=row["application"],
        resume_version_id=row["resume_version"], company=row["company"], role=row["role"], tone=row["tone"],
        content=decrypt_content(envelope, row), seq=row["seq"], provider=row["provider"],
        model=row["model"], usage=_usage(row["usage"]), error=row["error"], created_at=row["created_at"],
        updated_at=row["updated_at"], completed_at=row["completed_at"],
    )  # fmt: skip


class CoverLetterService:
    def __init__(
        self,
        envelope: Envelope,
        redis: Redis,
        publisher: Publisher,
        settings: AISettings,
        *,
        exports_per_hour: int = 120,
    ) -> None:
        self.envelope, self.redis, self.publisher, self.settings = envelope, redis, publisher, settings
        self.exports_per_hour = exports_per_hour  # DOCUMENT_EXPORTS_PER_HOUR

    def _out(self, row: dict[str, Any]) -> schemas.CoverLetterOut:
        return letter_out(self.envelope, row)

    async def _owned(self, user_id: uuid.UUID, letter_id: uuid.UUID) -> dict[str, Any]:
        row = await CoverLetter.select().where((CoverLetter.id == letter_id) & (CoverLetter.user == user_id)).first()
        if row is None:
            raise errors.NotFound("No such cover letter")
        return row

    async def create(self, user_id: uuid.UUID, body: schemas.CoverLetterCreate) -> schemas.CoverLetterOut:
        """Record the letter `queued` and its generation job in one transaction."""
        company, role, job = body.company, body.role, body.job_description
        version_id = body.resume_version_id
        if body.application_id is not None:
            app = await sources.owned_application(user_id, body.application_id)
            company, role = company or app["company"], role or app["role"]
            job = job if job is not None else app["job_description"]
            version_id = version_id or app["resume_version_id"]
        else:
            missing = [
                name for name, value in (("company", company), ("role", role), ("job_description", job)) if not value
            ]
            if missing:
                raise errors.Unprocessable(
                    "Give an application_id, or company, role and job_description",
                    errors=[errors.FieldError(name, "required without application_id") for name in missing],
                )
        version = await sources.parsed_version(user_id, version_id)
        await quota.admit(self.redis, self.settings, user_id)
        letter_id = uuid.uuid4()
        async with DB.transaction():
            await CoverLetter(
                id=letter_id, user=user_id, application=body.application_id, resume_version=version,
                company=company or "", role=role or "", job_description=job or "", tone=body.tone,
                instructions=body.instructions,
            ).save()  # fmt: skip
            await outbox.enqueue(GENERATE_TASK, cover_letter_id=str(letter_id))
        return self._out(await self._owned(user_id, letter_id))

    async def get(self, user_id: uuid.UUID, letter_id: uuid.UUID) -> schemas.CoverLetterOut:
        with routed_reads(user_id):
            row = await self._owned(user_id, letter_id)
        return self._out(row)

    async def list_page(
        self, user_id: uuid.UUID, *, application_id: uuid.UUID | None, limit: int, cursor: str | None
    ) -> schemas.CoverLetterPage:
        """Newest first; `application_id` filters to one application's letters."""
        pagination.check_limit(limit)
        query = CoverLetter.select().where(CoverLetter.user == user_id)
        if application_id is not None:
            query = query.where(CoverLetter.application == application_id)
        scope = f"cover_letters:{user_id}"
        if (key := pagination.decode_cursor(cursor, scope)) is not None:
            try:
                at, last = datetime.fromisoformat(str(key[0])), uuid.UUID(str(key[1]))
            except (IndexError, ValueError):
                raise errors.BadRequest("The cursor is not valid", slug="invalid-cursor") from None
            query = query.where(
                (CoverLetter.created_at < at) | ((CoverLetter.created_at == at) & (CoverLetter.id < last))
            )
        with routed_reads(user_id):
            rows = await query.order_by(CoverLetter.created_at, CoverLetter.id, ascending=False).limit(limit + 1)
        more = len(rows) > limit
        rows = rows[:limit]
        next_cursor = (
            pagination.encode_cursor([rows[-1]["created_at"].isoformat(), str(rows[-1]["id"])], scope) if more else None
        )
        return schemas.CoverLetterPage(items=[self._out(r) for r in rows], next_cursor=next_cursor)

    async def update(
        self, user_id: uuid.UUID, letter_id: uuid.UUID, body: schemas.CoverLetterUpdate
    ) -> schemas.CoverLetterOut:
        """The user's own edit; not while the letter is still being written."""
        row = await self._owned(user_id, letter_id)
        if row["status"] in ACTIVE:
            raise errors.Conflict("The letter is still being written; cancel it or wait", slug="letter-streaming")
        updated = (
            await CoverLetter.update(
                {
                    CoverLetter.content: self.envelope.encrypt_text(body.content, content_aad(letter_id)),
                    CoverLetter.updated_at: datetime.now(UTC),
                }
            )
            .where((CoverLetter.id == letter_id) & CoverLetter.status.not_in(list(ACTIVE)))
            .returning(CoverLetter.id)
        )
        if not updated:
            raise errors.Conflict("The letter is still being written; cancel it or wait", slug="letter-streaming")
        return await self.get(user_id, letter_id)

    async def cancel(self, user_id: uuid.UUID, letter_id: uuid.UUID) -> schemas.CoverLetterOut:
        """Stop generation: the worker notices within a checkpoint interval and keeps the partial text.

        A letter still queued is announced `cancelled` here; a streaming one by its worker, after its
        last delta, so no delta follows the event.
        """
        async with DB.transaction():
            row = (
                await CoverLetter.select(CoverLetter.status)
                .where((CoverLetter.id == letter_id) & (CoverLetter.user == user_id))
                .lock_rows("UPDATE")
                .first()
            )
            if row is None:
                raise errors.NotFound("No such cover letter")
            previous = str(row["status"])
            if previous not in ACTIVE:
                if previous == "cancelled":
                    return await self.get(user_id, letter_id)
                raise errors.Conflict(f"The letter is already {previous}", slug="letter-finished")
            await CoverLetter.update(
                {CoverLetter.status: "cancelled", CoverLetter.updated_at: datetime.now(UTC)}
            ).where(CoverLetter.id == letter_id)
        if previous == "queued":
            await self._announce(user_id, events.CoverLetterCancelled(data=events.CoverLetterRef(letter_id)))
        return await self.get(user_id, letter_id)

    async def delete(self, user_id: uuid.UUID, letter_id: uuid.UUID) -> None:
        """Delete the letter; a running generation notices and stops."""
        await self._owned(user_id, letter_id)
        await CoverLetter.delete().where((CoverLetter.id == letter_id) & (CoverLetter.user == user_id))

    async def export(
        self, user_id: uuid.UUID, letter_id: uuid.UUID, fmt: documents.LetterFormat
    ) -> tuple[bytes, str, str]:
        """(file, file name, media type) of the letter as PDF, Word or plain text; 409 `letter-streaming`
        while it is being written, 409 `letter-empty` when it has no text (a failed letter), 429 past
        `DOCUMENT_EXPORTS_PER_HOUR` (counted with resume exports)."""
        with routed_reads(user_id):
            row = await self._owned(user_id, letter_id)
        if row["status"] in ACTIVE:
            raise errors.Conflict(
                "The letter is still being written; export it once it is completed, or cancel it",
                slug="letter-streaming",
            )
        text = decrypt_content(self.envelope, row)
        if not text.strip():
            raise errors.Conflict("The letter has no text to export; write it or edit it first", slug="letter-empty")
        await take_export(self.redis, user_id, self.exports_per_hour)
        letter = documents.Letter(company=row["company"], role=row["role"], text=text)
        content = await asyncio.to_thread(documents.letter_document, letter, fmt)
        filename = documents.file_name("cover letter", row["company"], row["role"], ext=fmt)
        return content, filename, documents.MEDIA_TYPES[fmt]

    async def _announce(self, user_id: uuid.UUID, event: events.Event) -> None:
        await publish_best_effort(self.publisher, user_id, event, log=log, lost="cover_letter_event_lost")
