"""Analysis rules on the api side: record the analysis and its job in one transaction; read results."""

from __future__ import annotations

import uuid
from typing import Any

import msgspec
from redis.asyncio import Redis

from backend import errors
from backend.features.ai import quota, sources
from backend.features.ai.work import RUN_TASK
from backend.features.analyses import schemas
from backend.features.analyses.scoring import Check, Keywords
from backend.platform.db.engine import DB
from backend.platform.db.replicas import routed_reads
from backend.platform.db.tables import Analysis, ResumeVersion
from backend.settings import AISettings
from tasks import outbox


def _result(raw: Any) -> dict[str, Any]:
    value = msgspec.json.decode(raw) if isinstance(raw, str | bytes) else raw
    return value if isinstance(value, dict) else {}


def to_out(row: dict[str, Any]) -> schemas.AnalysisOut:
    result = _result(row["result"])
    return schemas.AnalysisOut(
        id=row["id"], status=row["status"], resume_version_id=row["resume_version"],
        application_id=row["application"], score=row["score"],
        keywords=msgspec.convert(result["keywords"], Keywords) if "keywords" in result else None,
        checks=msgspec.convert(result.get("checks", []), list[Check]), suggestions=result.get("suggestions", []),
        narrative=result.get("narrative"), provider=row["provider"], error=row["error"],
        created_at=row["created_at"], completed_at=row["completed_at"],
    )  # fmt: skip


class AnalysisService:
    def __init__(self, redis: Redis, settings: AISettings) -> None:
        self.redis, self.settings = redis, settings

    async def create(
        self,
        user_id: uuid.UUID,
        *,
        version_id: uuid.UUID | None,
        application_id: uuid.UUID | None,
        job_description: str | None,
    ) -> schemas.AnalysisOut:
        if application_id is not None:
            app = await sources.owned_application(user_id, application_id)
            job_description = job_description or app["job_description"]
            version_id = version_id or app["resume_version_id"]
        if not job_description or not job_description.strip():
            raise errors.Unprocessable(
                "Give a job_description, or an application that has one",
                errors=[errors.FieldError("job_description", "required (the application has none)")],
            )
        version = await sources.parsed_version(user_id, version_id)
        await quota.admit(self.redis, self.settings, user_id)
        analysis_id = uuid.uuid4()
        async with DB.transaction():
            await Analysis(
                id=analysis_id, user=user_id, resume_version=version, application=application_id,
                job_description=job_description,
            ).save()  # fmt: skip
            await outbox.enqueue(RUN_TASK, analysis_id=str(analysis_id))
        return await self.get(user_id, analysis_id)

    async def version_in_resume(self, user_id: uuid.UUID, resume_id: uuid.UUID, version_id: uuid.UUID) -> bool:
        return bool(
            await ResumeVersion.exists().where(
                (ResumeVersion.id == version_id) & (ResumeVersion.resume == resume_id) & (ResumeVersion.user == user_id)
            )
        )

    async def get(self, user_id: uuid.UUID, analysis_id: uuid.UUID) -> schemas.AnalysisOut:
        with routed_reads(user_id):
            row = await Analysis.select().where((Analysis.id == analysis_id) & (Analysis.user == user_id)).first()
        if row is None:
            raise errors.NotFound("No such analysis")
        return to_out(row)
