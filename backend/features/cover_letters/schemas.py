"""Wire types of the cover-letter endpoints."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

import msgspec

from backend.platform.http.inputs import Input

Tone = Literal["professional", "enthusiastic", "friendly", "concise"]
Status = Literal["queued", "streaming", "completed", "failed", "cancelled"]
Text200 = Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
Description = Annotated[str, msgspec.Meta(max_length=50_000)]
Instructions = Annotated[str, msgspec.Meta(max_length=2_000)]
Content = Annotated[str, msgspec.Meta(max_length=20_000)]


class CoverLetterCreate(Input):
    """From an application, or from company + role + job_description (these override the application's)."""

    application_id: uuid.UUID | None = None
    company: Text200 | None = None
    role: Text200 | None = None
    job_description: Description | None = None
    resume_version_id: uuid.UUID | None = None  # default: the default resume's newest parsed version
    tone: Tone = "professional"
    instructions: Instructions = ""


class CoverLetterUpdate(Input):
    content: Content


class CoverLetterOut(msgspec.Struct, kw_only=True):
    id: uuid.UUID
    status: Status
    application_id: uuid.UUID | None
    resume_version_id: uuid.UUID | None
    company: str
    role: str
    tone: str
    content: str
    seq: int  # deltas `content` covers (while streaming: the last checkpoint)
    provider: str
    model: str
    usage: dict[str, Any]
    error: str | None
    created_at: datetime
    updated_at: datetime
    completed_at: datetime | None


class CoverLetterPage(msgspec.Struct, kw_only=True):
    items: list[CoverLetterOut]
    next_cursor: str | None = None
