"""Wire types of the applications endpoints."""

from __future__ import annotations

import typing
import uuid
from datetime import date, datetime
from typing import Annotated, Literal

import msgspec

from backend.platform.http.inputs import HTTP_URL, Input

# `ghosted`: applied, and no answer ever came (confirmed by the user, e.g. from a ghosting suggestion).
Status = Literal[
    "wishlist", "applied", "screening", "interview", "offer", "accepted", "rejected", "ghosted", "withdrawn"
]  # fmt: skip
STATUSES: tuple[str, ...] = typing.get_args(Status)
# Where a status stands in the funnel (queries.OUTCOMES, analytics): an employer's answer, rejections
# included; an interview; an offer. `ghosted` and `withdrawn` are no answer.
RESPONSE_STATUSES = ("screening", "interview", "offer", "accepted", "rejected")
INTERVIEW_STATUSES = ("interview", "offer", "accepted")
OFFER_STATUSES = ("offer", "accepted")
ENDED_STATUSES = ("accepted", "rejected", "ghosted", "withdrawn")
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
    responded: int  # of those, how many got an answer (screening or later, rejections included; not ghosted)
    response_rate: float | None
    median_days_to_first_response: float | None
    by_source: list[SourceStats]


SMALL_SAMPLE = 5  # a group with fewer applied applications is flagged `small_sample`
MatchBand = Literal["0-49", "50-69", "70-84", "85-100", "none"]
MATCH_BANDS: tuple[str, ...] = typing.get_args(MatchBand)
# A day of a query: YYYY-MM-DD in the years 1900-2199 (a day that does not exist, e.g. 02-30: 422).
DAY_PATTERN = r"^(19|20|21)[0-9]{2}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$"


class FlowNode(msgspec.Struct, kw_only=True):
    status: Status
    applications: int  # of the cohort, how many have ever been in this status


class FlowLink(msgspec.Struct, kw_only=True):
    source: Status
    target: Status
    applications: int  # how many applications moved from `source` to `target` (once each, however often)


class Flow(msgspec.Struct, kw_only=True):
    """The status transitions of the timelines, as a Sankey diagram's nodes and links (a link back,
    e.g. interview -> applied, makes a cycle: drop or fold such links for a strict Sankey)."""

    nodes: list[FlowNode]
    links: list[FlowLink]


class Funnel(msgspec.Struct, kw_only=True):
    """Applied applications and how far they went. Rates are fractions (0-1, 4 decimals), null when
    their denominator is 0; `small_sample` when fewer than 5 were applied (read the rates as anecdotes)."""

    applied: int
    responded: int  # got an answer: screening, interview, offer, accepted or rejected
    interviewed: int  # reached interview (or offer, accepted)
    offered: int  # reached offer (or accepted)
    response_rate: float | None  # responded / applied
    interview_rate: float | None  # interviewed / applied
    offer_rate: float | None  # offered / applied
    interviews_per_response: float | None  # interviewed / responded
    offers_per_interview: float | None  # offered / interviewed
    small_sample: bool


class ResumeVersionFunnel(Funnel, kw_only=True):
    resume_version_id: uuid.UUID | None  # null: applications sent with no resume version linked
    label: str  # "<resume title> v<number>", "No resume version" or "Deleted resume version"


class SourceFunnel(Funnel, kw_only=True):
    source: str  # as typed on the applications ("" when none)


class MatchBandFunnel(Funnel, kw_only=True):
    band: MatchBand  # of the best completed analysis score of the application; "none": not analysed


class WeekFunnel(Funnel, kw_only=True):
    week: str  # ISO week of `applied_at` in the owner's time zone, e.g. "2026-W05" ("none": no applied_at)


class ApplicationAnalytics(msgspec.Struct, kw_only=True):
    """Outcomes of the applications that started (`applied_at`, else `created_at`) from `from` to
    `to`, days in `time_zone` (the owner's notification settings), both included, null: open."""

    from_: date | None = msgspec.field(name="from")
    to: date | None
    time_zone: str
    flow: Flow  # every application of the period, applied or not
    overall: Funnel  # the funnels below count applied applications only
    by_resume_version: list[ResumeVersionFunnel]  # most applied first
    by_source: list[SourceFunnel]  # most applied first
    by_match_band: list[MatchBandFunnel]  # every band, in order, also empty ones
    by_week: list[WeekFunnel]  # weeks with applications, oldest first


class ImportRejection(msgspec.Struct, kw_only=True):
    row: int  # 1-based data row (the header is row 0)
    errors: list[str]


class ImportReport(msgspec.Struct, kw_only=True):
    imported: int
    rejected: list[ImportRejection]


ImportUrl = Annotated[str, msgspec.Meta(min_length=1, max_length=2000, pattern=f"^{HTTP_URL}$")]
ImportMethod = Literal["json-ld", "microdata", "board", "text"]
FieldSource = Literal["json-ld", "microdata", "board", "text", "url", "host"]
ImportedField = Literal["role", "company", "location", "remote", "salary", "description"]


class ApplicationImport(Input):
    """A job posting to import: its `url`, fetched by the api; or, for a page behind a sign-in, the
    page as the user's browser shows it in `html` (then nothing is fetched and `url` only names it).
    `html` may be at most JOB_FETCH_MAX_BYTES bytes (UTF-8; 413 above)."""

    url: ImportUrl
    status: Status = "wishlist"
    html: str | None = None


class ImportedApplication(msgspec.Struct, kw_only=True):
    """The application created from a posting, where each field came from, and the stored page."""

    application: ApplicationOut
    method: ImportMethod  # where the role came from
    sources: dict[ImportedField, FieldSource]  # every field filled from the page, and from where
    snapshot_id: uuid.UUID  # the page as it was read: GET /api/v1/applications/{id}/snapshot
    page: Literal["fetched", "browser"]  # fetched by the api, or sent by the browser in `html`
