"""Wire types of the analysis endpoints."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

import msgspec

from backend.features.analyses.scoring import Check, Keywords
from backend.platform.http.inputs import Input

Description = Annotated[str, msgspec.Meta(min_length=1, max_length=50_000)]


class AnalysisCreate(Input):
    """A resume version (default: the default resume's newest parsed one) against an application's job
    description or a pasted one (which wins when both are given)."""

    resume_version_id: uuid.UUID | None = None
    application_id: uuid.UUID | None = None
    job_description: Description | None = None


class VersionAnalysisCreate(Input):
    application_id: uuid.UUID | None = None
    job_description: Description | None = None


class AnalysisOut(msgspec.Struct, kw_only=True):
    id: uuid.UUID
    status: Literal["queued", "running", "completed", "failed"]
    resume_version_id: uuid.UUID
    application_id: uuid.UUID | None
    score: int | None
    keywords: Keywords | None
    checks: list[Check]
    suggestions: list[str]
    narrative: str | None  # a model's feedback, when a model is configured
    provider: str
    error: str | None
    created_at: datetime
    completed_at: datetime | None
