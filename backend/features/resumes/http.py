"""HTTP routes of resumes: multipart uploads answered 202, reads, the original file."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Annotated, Any

from litestar import Controller, Response, delete, get, patch, post
from litestar.datastructures import State, UploadFile
from litestar.di import NamedDependency, Provide
from litestar.openapi.spec import Encoding
from litestar.params import FromPath, JSONBody, MultipartBody, QueryParameter
from litestar.status_codes import HTTP_202_ACCEPTED

from backend.engines import documents
from backend.features.resumes import schemas
from backend.features.resumes.service import MAX_BYTES, ResumeService
from backend.platform.http import auth, idempotency, openapi, problems
from backend.platform.http.identity import Principal
from backend.platform.http.verified import require_verified_email
from backend.platform.storage.base import content_disposition

# The body may exceed the file by the multipart framing; the service enforces MAX_BYTES exactly.
UPLOAD_BODY_LIMIT = MAX_BYTES + 64 * 1024


ExportFormat = Annotated[
    documents.ResumeFormat,
    QueryParameter(
        name="format",
        description="pdf (one column, embedded fonts, links), docx (Word) or json (JSON Resume v1.0.0)",
    ),
]


@dataclass
class ResumeUpload:
    """multipart/form-data: `file` (a PDF, at most 10 MB) and an optional `title`."""

    file: UploadFile
    title: str | None = None


@dataclass
class VersionUpload:
    file: UploadFile


@dataclass
class PdfUploadOperation(idempotency.IdempotentOperation):
    """An upload's OpenAPI: the multipart part `file` is declared `application/pdf` (what the api reads)."""

    def __post_init__(self) -> None:
        super().__post_init__()
        body = self.request_body
        form = body.content.get("multipart/form-data") if body is not None and hasattr(body, "content") else None
        if form is not None:
            form.encoding = {"file": Encoding(content_type="application/pdf")}


def _upload(**opt: Any) -> dict[str, Any]:
    """Route arguments of an upload: idempotent (web/idempotency.py), its file declared a PDF."""
    return {**idempotency.idempotent(**opt), "operation_class": PdfUploadOperation}


def provide_resume_service(state: State) -> ResumeService:
    return ResumeService(
        state.store,
        state.envelope,
        redis=state.redis,
        settings=state.settings.storage,
        inspections=state.get("pdf_inspections"),
    )


class ResumeController(Controller):
    path = "/api/v1/resumes"
    tags = ["resumes"]
    security = auth.BEARER_SECURITY
    dependencies = {
        "principal": Provide(auth.provide_principal),
        "resumes": Provide(provide_resume_service, sync_to_thread=False),
    }

    @post(
        "/",
        operation_id="uploadResume",
        status_code=HTTP_202_ACCEPTED,
        request_max_body_size=UPLOAD_BODY_LIMIT,
        responses=problems.problem_responses(401, 403, 409, 413, 429),
        **_upload(),
    )
    async def upload(
        self,
        data: MultipartBody[ResumeUpload],
        principal: NamedDependency[Principal],
        resumes: NamedDependency[ResumeService],
        state: State,
    ) -> schemas.ResumeOut:
        """Upload a PDF as a new resume; it is parsed in the background (watch the realtime socket)."""
        require_verified_email(principal, state.settings.auth)
        content = await data.file.read()
        return await resumes.upload(principal.user.id, content, data.file.filename or "resume.pdf", title=data.title)

    @get("/", operation_id="listResumes", responses=problems.problem_responses(401))
    async def list_resumes(
        self, principal: NamedDependency[Principal], resumes: NamedDependency[ResumeService]
    ) -> schemas.ResumePage:
        return await resumes.list_all(principal.user.id)

    @get("/{resume_id:uuid}", operation_id="getResume", responses=problems.problem_responses(401, 404))
    async def get_resume(
        self,
        resume_id: FromPath[uuid.UUID],
        principal: NamedDependency[Principal],
        resumes: NamedDependency[ResumeService],
    ) -> schemas.ResumeOut:
        return await resumes.get(principal.user.id, resume_id)

    @patch("/{resume_id:uuid}", operation_id="updateResume", responses=problems.problem_responses(401, 403, 404))
    async def update_resume(
        self,
        resume_id: FromPath[uuid.UUID],
        data: JSONBody[schemas.ResumeUpdate],
        principal: NamedDependency[Principal],
        resumes: NamedDependency[ResumeService],
    ) -> schemas.ResumeOut:
        """Rename, or make it the default resume."""
        return await resumes.update(principal.user.id, resume_id, data)

    @delete("/{resume_id:uuid}", operation_id="deleteResume", responses=problems.problem_responses(401, 403, 404))
    async def delete_resume(
        self,
        resume_id: FromPath[uuid.UUID],
        principal: NamedDependency[Principal],
        resumes: NamedDependency[ResumeService],
    ) -> None:
        """Delete the resume, every version and the stored files."""
        await resumes.delete(principal.user.id, resume_id)

    @post(
        "/{resume_id:uuid}/versions",
        operation_id="uploadResumeVersion",
        status_code=HTTP_202_ACCEPTED,
        request_max_body_size=UPLOAD_BODY_LIMIT,
        responses=problems.problem_responses(401, 403, 404, 409, 413, 429),
        **_upload(),
    )
    async def upload_version(
        self,
        resume_id: FromPath[uuid.UUID],
        data: MultipartBody[VersionUpload],
        principal: NamedDependency[Principal],
        resumes: NamedDependency[ResumeService],
        state: State,
    ) -> schemas.ResumeOut:
        """Upload a new version of a resume (parsed in the background)."""
        require_verified_email(principal, state.settings.auth)
        content = await data.file.read()
        filename = data.file.filename or "resume.pdf"
        return await resumes.upload(principal.user.id, content, filename, resume_id=resume_id)

    @get(
        "/{resume_id:uuid}/versions", operation_id="listResumeVersions", responses=problems.problem_responses(401, 404)
    )
    async def versions(
        self,
        resume_id: FromPath[uuid.UUID],
        principal: NamedDependency[Principal],
        resumes: NamedDependency[ResumeService],
    ) -> list[schemas.VersionSummary]:
        return await resumes.versions(principal.user.id, resume_id)

    @get(
        "/{resume_id:uuid}/versions/{version_id:uuid}",
        operation_id="getResumeVersion",
        responses=problems.problem_responses(401, 404),
    )
    async def version(
        self,
        resume_id: FromPath[uuid.UUID],
        version_id: FromPath[uuid.UUID],
        principal: NamedDependency[Principal],
        resumes: NamedDependency[ResumeService],
    ) -> schemas.VersionOut:
        """Status of the parse, and the parsed resume (JSON Resume fields) once `parsed`."""
        return await resumes.version(principal.user.id, resume_id, version_id)

    @get(
        "/{resume_id:uuid}/versions/{version_id:uuid}/file",
        operation_id="downloadResumeVersion",
        responses=problems.problem_responses(401, 404),
        media_type="application/pdf",
    )
    async def file(
        self,
        resume_id: FromPath[uuid.UUID],
        version_id: FromPath[uuid.UUID],
        principal: NamedDependency[Principal],
        resumes: NamedDependency[ResumeService],
    ) -> Response[bytes]:
        """The original PDF (decrypted here: the stored object is ciphertext, so no presigned URL)."""
        content, filename, content_type = await resumes.file(principal.user.id, resume_id, version_id)
        headers: dict[str, Any] = {"Content-Disposition": content_disposition(filename), "Cache-Control": "private"}
        return Response(content, media_type=content_type, headers=headers)

    @get(
        "/{resume_id:uuid}/versions/{version_id:uuid}/export",
        operation_id="exportResumeVersion",
        responses=problems.problem_responses(401, 404, 429),
        media_type=documents.MEDIA_TYPES["pdf"],
        operation_class=openapi.file_operation(
            {
                documents.MEDIA_TYPES["pdf"]: "format=pdf",
                documents.MEDIA_TYPES["docx"]: "format=docx",
                documents.MEDIA_TYPES["json"]: "format=json: a JSON Resume v1.0.0 document",
            }
        ),
    )
    async def export_version(
        self,
        resume_id: FromPath[uuid.UUID],
        version_id: FromPath[uuid.UUID],
        principal: NamedDependency[Principal],
        resumes: NamedDependency[ResumeService],
        fmt: ExportFormat = "pdf",
    ) -> Response[bytes]:
        """The parsed version as a document (an attachment), made from its parsed data: 422
        `version-not-parsed` until the parse has completed, or when it failed."""
        content, filename, media_type = await resumes.export(principal.user.id, resume_id, version_id, fmt)
        return Response(content, media_type=media_type, headers={"Content-Disposition": content_disposition(filename)})
