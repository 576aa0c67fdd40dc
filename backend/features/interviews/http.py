"""HTTP routes of interviews: the rounds of one application, under the application's path."""

from __future__ import annotations

import uuid
from typing import Any

from litestar import Controller, Request, delete, get, patch, post
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, JSONBody
from litestar.status_codes import HTTP_201_CREATED

from backend.features.interviews import schemas
from backend.features.interviews import service as interviews
from backend.platform.crypto.envelope import Envelope
from backend.platform.http import auth, idempotency, problems
from backend.platform.http.identity import Principal


def provide_envelope(request: Request[Any, Any, Any], principal: NamedDependency[Principal]) -> Envelope:
    """Takes `principal` so that the two resolve in a chain (DEVELOPERS.md)."""
    envelope: Envelope = request.app.state.envelope
    return envelope


class InterviewController(Controller):
    path = "/api/v1/applications/{application_id:uuid}/interviews"
    tags = ["interviews"]
    security = auth.BEARER_SECURITY
    dependencies = {
        "principal": Provide(auth.provide_principal),
        "envelope": Provide(provide_envelope, sync_to_thread=False),
    }

    @post(
        "/",
        operation_id="createInterview",
        status_code=HTTP_201_CREATED,
        responses=problems.problem_responses(401, 403, 404, 409),
        **idempotency.idempotent(),
    )
    async def create(
        self,
        application_id: FromPath[uuid.UUID],
        data: JSONBody[schemas.InterviewCreate],
        principal: NamedDependency[Principal],
        envelope: NamedDependency[Envelope],
    ) -> schemas.InterviewOut:
        """Schedule an interview round; it enters the application's timeline, and reminders come
        before it as the notification settings say."""
        return await interviews.create(envelope, principal.user.id, application_id, data)

    @get("/", operation_id="listInterviews", responses=problems.problem_responses(401, 404))
    async def list_interviews(
        self,
        application_id: FromPath[uuid.UUID],
        principal: NamedDependency[Principal],
        envelope: NamedDependency[Envelope],
    ) -> list[schemas.InterviewOut]:
        """The application's interviews, soonest first."""
        return await interviews.list_for(envelope, principal.user.id, application_id)

    @get("/{interview_id:uuid}", operation_id="getInterview", responses=problems.problem_responses(401, 404))
    async def get_interview(
        self,
        application_id: FromPath[uuid.UUID],
        interview_id: FromPath[uuid.UUID],
        principal: NamedDependency[Principal],
        envelope: NamedDependency[Envelope],
    ) -> schemas.InterviewOut:
        return await interviews.get(envelope, principal.user.id, application_id, interview_id)

    @patch("/{interview_id:uuid}", operation_id="updateInterview", responses=problems.problem_responses(401, 403, 404))
    async def update_interview(
        self,
        application_id: FromPath[uuid.UUID],
        interview_id: FromPath[uuid.UUID],
        data: JSONBody[schemas.InterviewUpdate],
        principal: NamedDependency[Principal],
        envelope: NamedDependency[Envelope],
    ) -> schemas.InterviewOut:
        """Change fields: a new time or an outcome enters the timeline (and moves or stops the reminders)."""
        return await interviews.update(envelope, principal.user.id, application_id, interview_id, data)

    @delete("/{interview_id:uuid}", operation_id="deleteInterview", responses=problems.problem_responses(401, 403, 404))
    async def delete_interview(
        self,
        application_id: FromPath[uuid.UUID],
        interview_id: FromPath[uuid.UUID],
        principal: NamedDependency[Principal],
        envelope: NamedDependency[Envelope],
    ) -> None:
        """Remove the interview (the timeline keeps that it was removed)."""
        await interviews.delete(envelope, principal.user.id, application_id, interview_id)
