"""HTTP route of resume imports: `POST /api/v1/resumes/import` (a JSON Resume document or LinkedIn's
data export, chosen by the body's Content-Type). Kept apart from the upload routes (http.py)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from litestar import Controller, Request, Response, post
from litestar.datastructures import State
from litestar.di import NamedDependency, Provide
from litestar.openapi.spec import OpenAPIMediaType, OpenAPIType, RequestBody, Schema
from litestar.params import QueryParameter
from litestar.status_codes import HTTP_201_CREATED

from backend import errors
from backend.engines.resume_import import LIMITS
from backend.features.resumes import schemas
from backend.features.resumes.http import UPLOAD_BODY_LIMIT, provide_resume_service
from backend.features.resumes.imports import ResumeImports
from backend.features.resumes.service import MAX_BYTES, ResumeService
from backend.platform.http import auth, idempotency, problems
from backend.platform.http.identity import Principal
from backend.platform.http.verified import require_verified_email

JSON_TYPES = ("application/json",)  # and any application/*+json
ZIP_TYPES = ("application/zip", "application/x-zip-compressed", "application/x-zip")
JSON_RESUME_SCHEMA = "https://raw.githubusercontent.com/jsonresume/resume-schema/v1.0.0/schema.json"


@dataclass
class ImportOperation(idempotency.IdempotentOperation):
    """The import's OpenAPI: the body is a JSON Resume document or a ZIP (the handler reads it raw)."""

    def __post_init__(self) -> None:
        super().__post_init__()
        mb = MAX_BYTES // (1024 * 1024)
        self.request_body = RequestBody(
            required=True,
            description=(
                f"A JSON Resume v1 document (`application/json`, schema: {JSON_RESUME_SCHEMA}), or LinkedIn's "
                "data export as downloaded (`application/zip`: the archive of CSVs, at least `Profile.csv` and "
                f"`Positions.csv`). At most {mb} MB (413); the archive at most {LIMITS.max_entries} entries "
                f"and {LIMITS.max_total_bytes // (1024 * 1024)} MB unpacked (413 `import-too-large`)."
            ),
            content={
                "application/json": OpenAPIMediaType(
                    schema=Schema(type=OpenAPIType.OBJECT, additional_properties=True, description="JSON Resume v1"),
                    example={"basics": {"name": "Ada Lovelace", "label": "Analyst"}, "work": []},
                ),
                "application/zip": OpenAPIMediaType(
                    schema=Schema(type=OpenAPIType.STRING, format=None, content_media_type="application/zip")
                ),
            },
        )


def provide_imports(resumes: NamedDependency[ResumeService]) -> ResumeImports:
    return ResumeImports(resumes)


class ResumeImportController(Controller):
    path = "/api/v1/resumes"
    tags = ["resumes"]
    security = auth.BEARER_SECURITY
    dependencies = {
        "principal": Provide(auth.provide_principal),
        "resumes": Provide(provide_resume_service, sync_to_thread=False),
        "imports": Provide(provide_imports, sync_to_thread=False),
    }

    @post(
        "/import",
        operation_id="importResume",
        status_code=HTTP_201_CREATED,
        request_max_body_size=UPLOAD_BODY_LIMIT,
        responses=problems.problem_responses(401, 403, 409, 413, 415, 422, 429),
        **{**idempotency.idempotent(), "operation_class": ImportOperation},
    )
    async def import_resume(
        self,
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        imports: NamedDependency[ResumeImports],
        state: State,
        title: Annotated[
            str | None, QueryParameter(max_length=200, description="The new resume's title (default: the name)")
        ] = None,
    ) -> Response[schemas.ResumeImported]:
        """Import a resume without a PDF: a JSON Resume document or LinkedIn's data export becomes a new
        resume with one version, `parsed` at once (no file is stored). 422 lists what is missing or
        wrong; `notes` in the answer say what was read but changed (re-decoded text, dates left out)."""
        require_verified_email(principal, state.settings.auth)
        media_type = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
        is_json = media_type in JSON_TYPES or (media_type.startswith("application/") and media_type.endswith("+json"))
        if not is_json and media_type not in ZIP_TYPES:
            raise errors.UnsupportedMediaType(
                "Send a JSON Resume document as application/json, or LinkedIn's data export as application/zip"
            )
        body = await request.body()
        user_id = principal.user.id
        if is_json:
            imported = await imports.json_resume(user_id, body, title=title)
        else:
            imported = await imports.linkedin(user_id, body, title=title)
        return Response(imported, status_code=HTTP_201_CREATED)
