"""Every server → browser event, as one msgspec tagged union.

On the wire an event is `{"id": "<event id>", "type": "<type>", "ts": "<iso time>", "data": {...}}`.
`id` is given by the history stream when the event is published (ids increase per user); `ts` is the
publish time. Add a type by declaring a `data` Struct and an `Event` subclass with its `tag`, then
listing it in `ServerEvent`; the AsyncAPI document and JSON Schema are generated from this module.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

import msgspec

Percent = Annotated[int, msgspec.Meta(ge=0, le=100)]
Instant = Annotated[datetime, msgspec.Meta(tz=True)]  # aware: `format: date-time` in the schema


class Event(msgspec.Struct, tag_field="type", kw_only=True, frozen=True, omit_defaults=True):
    """Base of every event: the envelope fields besides `type` and `data`."""

    id: str = ""
    ts: str = ""


# -- payloads ---------------------------------------------------------------------------------------
class ResumeParseProgressData(msgspec.Struct, frozen=True):
    resume_id: uuid.UUID
    version_id: uuid.UUID
    stage: str
    percent: Percent


class ResumeVersionRef(msgspec.Struct, frozen=True):
    resume_id: uuid.UUID
    version_id: uuid.UUID


class ResumeParseFailedData(msgspec.Struct, frozen=True):
    resume_id: uuid.UUID
    version_id: uuid.UUID
    error: str


class AnalysisCompletedData(msgspec.Struct, frozen=True):
    analysis_id: uuid.UUID
    score: Percent


class AnalysisFailedData(msgspec.Struct, frozen=True):
    analysis_id: uuid.UUID
    error: str


class CoverLetterDeltaData(msgspec.Struct, frozen=True):
    cover_letter_id: uuid.UUID
    seq: int
    text: str


class CoverLetterRef(msgspec.Struct, frozen=True):
    cover_letter_id: uuid.UUID


# Why a letter failed; clients may meet values added later and should treat them as `unavailable`.
LetterFailure = Literal["ungrounded", "provider_error", "resume_gone", "interrupted", "unavailable"]


class RefusedItem(msgspec.Struct, frozen=True):
    """Something a refused letter stated that neither the resume nor the job holds."""

    kind: str  # employer | title | school | degree | metric; new kinds may be added
    text: str  # as the letter wrote it, on one line


class CoverLetterFailedData(msgspec.Struct, frozen=True):
    cover_letter_id: uuid.UUID
    error: str  # one sentence, safe to show
    reason: LetterFailure | None = None  # None only in events published before the field existed
    refused: list[RefusedItem] = msgspec.field(default_factory=list)  # when `reason` is ungrounded


class Notification(msgspec.Struct, frozen=True, kw_only=True):
    """An in-app notification, as `GET /api/v1/notifications` lists it (`NotificationOut`)."""

    id: uuid.UUID
    kind: str  # e.g. "follow_up_reminder"; new kinds are added compatibly
    title: str
    body: str
    link: str  # a path or URL to open, "" for none
    read_at: Instant | None
    created_at: Instant


class NotificationCreatedData(msgspec.Struct, frozen=True):
    notification: Notification


class ApplicationChangedData(msgspec.Struct, frozen=True):
    application_id: uuid.UUID
    op: Literal["created", "updated", "deleted"]


class Empty(msgspec.Struct, frozen=True):
    pass


# -- events -----------------------------------------------------------------------------------------
class ResumeParseProgress(Event, tag="resume.parse.progress", frozen=True):
    """A resume version's parsing moved to `stage` (percent done)."""

    data: ResumeParseProgressData


class ResumeParsed(Event, tag="resume.parsed", frozen=True):
    """A resume version was parsed; fetch it over REST."""

    data: ResumeVersionRef


class ResumeParseFailed(Event, tag="resume.parse.failed", frozen=True):
    """A resume version could not be parsed; `error` is safe to show."""

    data: ResumeParseFailedData


class AnalysisCompleted(Event, tag="analysis.completed", frozen=True):
    """A resume analysis finished with `score` (0-100)."""

    data: AnalysisCompletedData


class AnalysisFailed(Event, tag="analysis.failed", frozen=True):
    """A resume analysis failed; `error` is safe to show."""

    data: AnalysisFailedData


class CoverLetterDelta(Event, tag="cover_letter.delta", frozen=True):
    """The next piece of a streaming cover letter (`seq` increases by one per delta)."""

    data: CoverLetterDeltaData


class CoverLetterCompleted(Event, tag="cover_letter.completed", frozen=True):
    """A cover letter finished streaming; the full text is on the REST resource."""

    data: CoverLetterRef


class CoverLetterFailed(Event, tag="cover_letter.failed", frozen=True):
    """A cover letter failed: `error` is safe to show, `reason` says why, `refused` what it named unsourced."""

    data: CoverLetterFailedData


class CoverLetterCancelled(Event, tag="cover_letter.cancelled", frozen=True):
    """A cover letter was cancelled by its owner."""

    data: CoverLetterRef


class NotificationCreated(Event, tag="notification.created", frozen=True):
    """A new in-app notification."""

    data: NotificationCreatedData


class ApplicationChanged(Event, tag="application.changed", frozen=True):
    """A job application was created, updated or deleted (on any device)."""

    data: ApplicationChangedData


ServerEvent = (
    ResumeParseProgress
    | ResumeParsed
    | ResumeParseFailed
    | AnalysisCompleted
    | AnalysisFailed
    | CoverLetterDelta
    | CoverLetterCompleted
    | CoverLetterFailed
    | CoverLetterCancelled
    | NotificationCreated
    | ApplicationChanged
)


# -- control messages (not stored in history, no id) ------------------------------------------------
class SyncReset(msgspec.Struct, tag="sync.reset", tag_field="type", frozen=True):
    """The gap since `last_event_id` is older than the kept history: refetch state over REST."""


class Pong(msgspec.Struct, tag="pong", tag_field="type", frozen=True):
    pass


class Ping(msgspec.Struct, tag="ping", tag_field="type", frozen=True):
    pass


ControlMessage = SyncReset | Pong | Ping
ClientMessage = Ping | Pong  # what a browser may send

EVENT_TYPES: tuple[type[Event], ...] = ServerEvent.__args__
encoder = msgspec.json.Encoder()
client_decoder = msgspec.json.Decoder(ClientMessage)
event_decoder = msgspec.json.Decoder(ServerEvent)
