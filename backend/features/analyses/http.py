"""HTTP routes of analysis: queue an analysis (202), read its result."""

from __future__ import annotations

import uuid

from litestar import Controller, get, post
from litestar.datastructures import State
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, JSONBody
from litestar.status_codes import HTTP_202_ACCEPTED

from backend import errors
from backend.features.analyses import schemas
from backend.features.analyses.service import AnalysisService
from backend.platform.http import auth, idempotency, problems
from backend.platform.http.identity import Principal
from backend.platform.http.verified import require_verified_email


def provide_analysis_service(state: State) -> AnalysisService:
    return AnalysisService(state.redis, state.settings.ai)


_DEPENDENCIES = {
    "principal": Provide(auth.provide_principal),
    "analyses": Provide(provide_analysis_service, sync_to_thread=False),
}


class AnalysisController(Controller):
    path = "/api/v1/analyses"
    tags = ["analysis"]
    security = auth.BEARER_SECURITY
    dependencies = _DEPENDENCIES

    @post(
        "/",
        operation_id="createAnalysis",
        status_code=HTTP_202_ACCEPTED,
        responses=problems.problem_responses(401, 403, 404, 409, 429, 503),
        **idempotency.idempotent(),
    )
    async def create(
        self,
        data: JSONBody[schemas.AnalysisCreate],
        principal: NamedDependency[Principal],
        analyses: NamedDependency[AnalysisService],
        state: State,
    ) -> schemas.AnalysisOut:
        """Analyse a resume version against a job; `analysis.completed` arrives on the realtime socket."""
        require_verified_email(principal, state.settings.auth)
        return await analyses.create(
            principal.user.id,
            version_id=data.resume_version_id,
            application_id=data.application_id,
            job_description=data.job_description,
        )

    @get("/{analysis_id:uuid}", operation_id="getAnalysis", responses=problems.problem_responses(401, 404))
    async def get_analysis(
        self,
        analysis_id: FromPath[uuid.UUID],
        principal: NamedDependency[Principal],
        analyses: NamedDependency[AnalysisService],
    ) -> schemas.AnalysisOut:
        """Status, score 0-100, keywords matched/missing, checks, suggestions and (with a model) a narrative."""
        return await analyses.get(principal.user.id, analysis_id)


class VersionAnalysisController(Controller):
    """The nested form: `POST /resumes/{id}/versions/{vid}/analyses`."""

    path = "/api/v1/resumes/{resume_id:uuid}/versions/{version_id:uuid}/analyses"
    tags = ["analysis"]
    security = auth.BEARER_SECURITY
    dependencies = _DEPENDENCIES

    @post(
        "/",
        operation_id="createVersionAnalysis",
        status_code=HTTP_202_ACCEPTED,
        responses=problems.problem_responses(401, 403, 404, 409, 429, 503),
        **idempotency.idempotent(),
    )
    async def create(
        self,
        resume_id: FromPath[uuid.UUID],
        version_id: FromPath[uuid.UUID],
        data: JSONBody[schemas.VersionAnalysisCreate],
        principal: NamedDependency[Principal],
        analyses: NamedDependency[AnalysisService],
        state: State,
    ) -> schemas.AnalysisOut:
        """Analyse this resume version against an application's or a pasted job description."""
        require_verified_email(principal, state.settings.auth)
        if not await analyses.version_in_resume(principal.user.id, resume_id, version_id):
            raise errors.NotFound("No such resume version")
        return await analyses.create(
            principal.user.id, version_id=version_id, application_id=data.application_id,
            job_description=data.job_description,
        )  # fmt: skip
