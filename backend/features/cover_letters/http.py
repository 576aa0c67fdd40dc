"""HTTP routes of cover letters: create (202, streamed over the realtime socket), read, edit, cancel, export."""

from __future__ import annotations

import uuid
from typing import Annotated

from litestar import Controller, Response, delete, get, patch, post
from litestar.datastructures import State
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter
from litestar.status_codes import HTTP_202_ACCEPTED

from backend.engines import documents
from backend.features.cover_letters import schemas
from backend.features.cover_letters.service import CoverLetterService
from backend.platform.http import auth, idempotency, openapi, pagination, params, problems
from backend.platform.http.identity import Principal
from backend.platform.http.verified import require_verified_email
from backend.platform.storage.base import content_disposition

ExportFormat = Annotated[
    documents.LetterFormat,
    QueryParameter(name="format", description="pdf, docx (Word) or txt (the plain text, UTF-8)"),
]


def provide_cover_letter_service(state: State) -> CoverLetterService:
    return CoverLetterService(
        state.envelope,
        state.redis,
        state.publisher,
        state.settings.ai,
        exports_per_hour=state.settings.storage.document_exports_per_hour,
    )


class CoverLetterController(Controller):
    path = "/api/v1/cover-letters"
    tags = ["cover letters"]
    security = auth.BEARER_SECURITY
    dependencies = {
        "principal": Provide(auth.provide_principal),
        "letters": Provide(provide_cover_letter_service, sync_to_thread=False),
    }

    @post(
        "/",
        operation_id="createCoverLetter",
        status_code=HTTP_202_ACCEPTED,
        responses=problems.problem_responses(401, 403, 404, 409, 429, 503),
        **idempotency.idempotent(),
    )
    async def create(
        self,
        data: JSONBody[schemas.CoverLetterCreate],
        principal: NamedDependency[Principal],
        letters: NamedDependency[CoverLetterService],
        state: State,
    ) -> schemas.CoverLetterOut:
        """Queue a cover letter; it streams as `cover_letter.delta` events on the realtime socket."""
        require_verified_email(principal, state.settings.auth)
        return await letters.create(principal.user.id, data)

    @get("/", operation_id="listCoverLetters", responses=problems.problem_responses(401))
    async def list_letters(
        self,
        principal: NamedDependency[Principal],
        letters: NamedDependency[CoverLetterService],
        application_id: FromQuery[uuid.UUID | None] = None,
        limit: params.Limit = pagination.DEFAULT_LIMIT,
        cursor: params.Cursor = None,
    ) -> schemas.CoverLetterPage:
        """The user's letters, newest first; `application_id` keeps one application's."""
        return await letters.list_page(principal.user.id, application_id=application_id, limit=limit, cursor=cursor)

    @get("/{letter_id:uuid}", operation_id="getCoverLetter", responses=problems.problem_responses(401, 404))
    async def get_letter(
        self,
        letter_id: FromPath[uuid.UUID],
        principal: NamedDependency[Principal],
        letters: NamedDependency[CoverLetterService],
    ) -> schemas.CoverLetterOut:
        """One letter; while it streams, `content` is the last checkpoint."""
        return await letters.get(principal.user.id, letter_id)

    @patch(
        "/{letter_id:uuid}", operation_id="updateCoverLetter", responses=problems.problem_responses(401, 403, 404, 409)
    )
    async def update_letter(
        self,
        letter_id: FromPath[uuid.UUID],
        data: JSONBody[schemas.CoverLetterUpdate],
        principal: NamedDependency[Principal],
        letters: NamedDependency[CoverLetterService],
    ) -> schemas.CoverLetterOut:
        """Replace the text with the user's edit (not while it is being written)."""
        return await letters.update(principal.user.id, letter_id, data)

    @post(
        "/{letter_id:uuid}/cancel",
        operation_id="cancelCoverLetter",
        status_code=HTTP_202_ACCEPTED,
        responses=problems.problem_responses(401, 403, 404, 409),
    )
    async def cancel(
        self,
        letter_id: FromPath[uuid.UUID],
        principal: NamedDependency[Principal],
        letters: NamedDependency[CoverLetterService],
    ) -> schemas.CoverLetterOut:
        """Stop generation; the text written so far is kept and `cover_letter.cancelled` follows."""
        return await letters.cancel(principal.user.id, letter_id)

    @delete("/{letter_id:uuid}", operation_id="deleteCoverLetter", responses=problems.problem_responses(401, 403, 404))
    async def delete_letter(
        self,
        letter_id: FromPath[uuid.UUID],
        principal: NamedDependency[Principal],
        letters: NamedDependency[CoverLetterService],
    ) -> None:
        """Delete the letter; a generation still running notices and stops."""
        await letters.delete(principal.user.id, letter_id)

    @get(
        "/{letter_id:uuid}/export",
        operation_id="exportCoverLetter",
        responses=problems.problem_responses(401, 404, 409, 429),
        media_type=documents.MEDIA_TYPES["pdf"],
        operation_class=openapi.file_operation(
            {
                documents.MEDIA_TYPES["pdf"]: "format=pdf",
                documents.MEDIA_TYPES["docx"]: "format=docx",
                documents.MEDIA_TYPES["txt"]: "format=txt (UTF-8)",
            }
        ),
    )
    async def export_letter(
        self,
        letter_id: FromPath[uuid.UUID],
        principal: NamedDependency[Principal],
        letters: NamedDependency[CoverLetterService],
        fmt: ExportFormat = "pdf",
    ) -> Response[bytes]:
        """The letter as a document (an attachment) headed by its role and company; 409 while it is
        being written or has no text (`letter-streaming`, `letter-empty`)."""
        content, filename, media_type = await letters.export(principal.user.id, letter_id, fmt)
        return Response(content, media_type=media_type, headers={"Content-Disposition": content_disposition(filename)})
