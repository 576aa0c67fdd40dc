"""Wire types of the applications endpoints."""

from __future__ import annotations

import typing
import uuid
from datetime import datetime
from typing import Annotated, Literal

import msgspec

from backend.platform.http.inputs import HTTP_URL, Input

Status = Literal["wishlist", "applied", "screening", "interview", "offer", "accepted", "rejected", "withdrawn"]
STATUSES: tuple[str, ...] = typing.get_args(Status)
Remote = Literal["onsite", "hybrid", "remote"]
Text200 = Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
Short = Annotated[str, msgspec.Meta(max_length=200)]
Salary = Annotated[int, msgspec.Meta(ge=0, le=100_000_000)]
Currency = Annotated[str, msgspec.Meta(pattern=r"^[A-Z]{3}$")]
Url = Annotated[str, msgspec.Meta(max_length=2000, pattern=f"^({HTTP_URL})?$")]
Description = Annotated[str, msgspec.Meta(max_length=50_000)]
Notes = Annotated[str, msgspec.Meta(max_length=5_000)]
Source = Annotated[str, msgspec.Meta(max_length=100)]
Tag = Annotated[str, msgspec.Meta(min_length=1, max_length=40, pattern=r"^[^|]+$")]  # "|" separates tags in CSV
Tags = Annotated[list[Tag], msgspec.Meta(max_length=20)]
StatusNote = Annotated[str, msgspec.Meta(max_length=1000)]
UNSET = msgspec.UNSET

# Query of the list: `status` is statuses separated by commas (empty parts are ignored).
_ONE_STATUS = "(?:" + "|".join(STATUSES) + ")?"
STATUS_FILTER_PATTERN = f"^{_ONE_STATUS}(?:,{_ONE_STATUS})*$"
Sort = Literal[
    "-updated_at", "updated_at", "-created_at", "created_at", "company", "-company", "applied_at", "-applied_at",
    "next_follow_up_at",
]  # fmt: skip


class ApplicationCreate(Input):
    company: Text200
    role: Text200
    status: Status = "wishlist"
    location: Short = ""
    remote: Remote | None = None
    salary_min: Salary | None = None
    salary_max: Salary | None = None
    currency: Currency | None = None
    job_url: Url = ""
    job_description: Description = ""
    source: Source = ""
    applied_at: datetime | None = None
    next_follow_up_at: datetime | None = None
    notes: Notes = ""
    tags: Tags = msgspec.field(default_factory=list)
    resume_version_id: uuid.UUID | None = None


class ApplicationUpdate(Input):
    """PATCH: only the fields present change; `status_note` annotates a status change."""

    company: Text200 | msgspec.UnsetType = UNSET
    role: Text200 | msgspec.UnsetType = UNSET
    status: Status | msgspec.UnsetType = UNSET
    status_note: StatusNote | msgspec.UnsetType = UNSET
    location: Short | msgspec.UnsetType = UNSET
    remote: Remote | msgspec.UnsetType | None = UNSET
    salary_min: Salary | msgspec.UnsetType | None = UNSET
    salary_max: Salary | msgspec.UnsetType | None = UNSET
    currency: Currency | msgspec.UnsetType | None = UNSET
    job_url: Url | msgspec.UnsetType = UNSET
    job_description: Description | msgspec.UnsetType = UNSET
    source: Source | msgspec.UnsetType = UNSET
    applied_at: datetime | msgspec.UnsetType | None = UNSET
    next_follow_up_at: datetime | msgspec.UnsetType | None = UNSET
    notes: Notes | msgspec.UnsetType = UNSET
    tags: Tags | msgspec.UnsetType = UNSET
    resume_version_id: uuid.UUID | msgspec.UnsetType | None = UNSET


class ApplicationOut(msgspec.Struct, kw_only=True):
    id: uuid.UUID
    company: str
    role: str
    status: Status
    location: str
    remote: Remote | None
    salary_min: int | None
    salary_max: int | None
    currency: str | None
    job_url: str
    job_description: str
    source: str
    applied_at: datetime | None
    next_follow_up_at: datetime | None
    notes: str
    tags: list[str]
    resume_version_id: uuid.UUID | None
    created_at: datetime
    updated_at: datetime


class ApplicationPage(msgspec.Struct, kw_only=True):
    items: list[ApplicationOut]
    next_cursor: str | None


TimelineKind = Literal[
    "status",
    "interview_scheduled",
    "interview_rescheduled",
    "interview_outcome",
    "interview_removed",
    "contact_linked",
    "contact_unlinked",
]
InterviewKind = Literal["phone_screen", "technical", "onsite", "behavioral", "panel", "final", "other"]
InterviewOutcome = Literal["pending", "passed", "failed", "cancelled", "no_show"]


class TimelineInterview(msgspec.Struct, kw_only=True):
    """The interview an entry is about, as it was then (it may have moved or been removed since)."""

    id: uuid.UUID
    kind: InterviewKind
    starts_at: datetime
    previous_starts_at: datetime | None = None  # interview_rescheduled
    outcome: InterviewOutcome | None = None  # interview_outcome
    previous_outcome: InterviewOutcome | None = None  # interview_outcome


class TimelineContact(msgspec.Struct, kw_only=True):
    """The contact an entry is about, with the name it had then."""

    id: uuid.UUID
    name: str


class ApplicationEventOut(msgspec.Struct, kw_only=True):
    """One entry of the timeline. `kind` "status" is a status change (`to_status` set, `from_status`
    null for the first); the others are about an interview (`interview`) or a contact (`contact`),
    and their `from_status`/`to_status` are null."""

    id: uuid.UUID
    at: datetime
    kind: TimelineKind = "status"
    from_status: Status | None
    to_status: Status | None
    note: str
    interview: TimelineInterview | None = None
    contact: TimelineContact | None = None


class SourceStats(msgspec.Struct, kw_only=True):
    source: str
    total: int
    applied: int
    responded: int
    response_rate: float | None


class ApplicationStats(msgspec.Struct, kw_only=True):
    """The funnel: counts per current status, response rate and speed, per source."""

    total: int
    by_status: dict[str, int]
    applied: int  # applications that reached `applied` (or later)
    responded: int  # of those, how many moved on from `applied` (any answer, rejections included)
    response_rate: float | None
    median_days_to_first_response: float | None
    by_source: list[SourceStats]


class ImportRejection(msgspec.Struct, kw_only=True):
    row: int  # 1-based data row (the header is row 0)
    errors: list[str]


class ImportReport(msgspec.Struct, kw_only=True):
    imported: int
    rejected: list[ImportRejection]
