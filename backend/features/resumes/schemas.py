"""Wire types of the resumes endpoints."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

import msgspec

from backend.platform.http.inputs import Input

Title = Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
VersionStatus = Literal["queued", "parsing", "parsed", "failed"]
# upload: a PDF, parsed by the worker (its file at `.../file`); json_resume, linkedin: imported, no file
VersionSource = Literal["upload", "json_resume", "linkedin"]


class ResumeUpdate(Input):
    title: Title | msgspec.UnsetType = msgspec.UNSET
    is_default: Literal[True] | msgspec.UnsetType = msgspec.UNSET  # make this one the default


class VersionSummary(msgspec.Struct, kw_only=True):
    id: uuid.UUID
    number: int
    status: VersionStatus
    filename: str
    size: int
    content_type: str
    created_at: datetime
    source: VersionSource


class VersionOut(VersionSummary, kw_only=True):
    """A version with its parse result (JSON Resume) or the reason it failed."""

    sha256: str
    pages: int
    parsed: dict[str, Any] | None
    error: str | None
    error_code: str | None
    parsed_at: datetime | None


class ResumeOut(msgspec.Struct, kw_only=True):
    id: uuid.UUID
    title: str
    is_default: bool
    created_at: datetime
    updated_at: datetime
    latest_version: VersionSummary | None


class ResumePage(msgspec.Struct, kw_only=True):
    items: list[ResumeOut]
    next_cursor: str | None = None


# -- imports (POST /api/v1/resumes/import) ------------------------------------------------------------
class ImportNote(msgspec.Struct, kw_only=True):
    """Something the import read but changed (text re-decoded, a date left out): worth checking."""

    field: str  # where: `Positions.csv row 2: Started On`, `Profile.csv`
    message: str


class ResumeImported(msgspec.Struct, kw_only=True):
    """The new resume, its one version (already `parsed`: `parsed` holds the JSON Resume data), and notes."""

    resume: ResumeOut
    version: VersionOut
    notes: list[ImportNote]
