"""`GET /me/export`: all of the user's data as JSON (GDPR art. 15 and 20).

Every table that holds rows of the user contributes (the user, notification settings, sessions,
personal access tokens, notifications, follow-up and interview reminders, ghosting suggestions, resumes
and versions, applications and their timelines, interviews, contacts, the calendar feed's state, cover
letters, analyses, AI usage, emails), decrypted where it is stored encrypted (parsed resumes, cover letters,
interviews' and contacts' details, timeline entries). Secrets never leave: no password hash, token hashes, refresh
tokens, or email links with their tokens. Stored files are listed (name, size, sha256); each
downloads from its own endpoint. Sign-in sessions only: a personal access token cannot export.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import datetime
from typing import Any

import msgspec

from backend.features.accounts import personal_tokens, schemas
from backend.features.accounts.profile import notification_settings
from backend.features.accounts.service import user_out
from backend.features.analyses.schemas import AnalysisOut
from backend.features.analyses.service import to_out as analysis_out
from backend.features.applications import activity
from backend.features.applications import queries as application_repo
from backend.features.applications.schemas import ApplicationEventOut, ApplicationOut
from backend.features.applications.service import merge_timeline
from backend.features.applications.service import to_out as application_out
from backend.features.calendar import service as calendar_feed
from backend.features.calendar.schemas import CalendarFeedStatus
from backend.features.contacts import service as contacts
from backend.features.contacts.schemas import ContactOut
from backend.features.cover_letters.schemas import CoverLetterOut
from backend.features.cover_letters.service import letter_out
from backend.features.interviews import service as interviews
from backend.features.interviews.schemas import InterviewOut
from backend.features.notifications import queries as notification_repo
from backend.features.notifications import service as notification_services
from backend.features.notifications.schemas import NotificationOut
from backend.features.resumes.schemas import ResumeOut, VersionOut
from backend.features.resumes.service import resume_out, version_out
from backend.platform.crypto.envelope import Envelope
from backend.platform.db.replicas import routed_reads
from backend.platform.db.tables import (
    AIUsage,
    Analysis,
    CoverLetter,
    EmailOutbox,
    FollowUpReminder,
    InterviewReminder,
    PersonalAccessToken,
    Resume,
    ResumeVersion,
    Session,
    User,
)


class ResumeExport(ResumeOut, kw_only=True):
    """A resume with every version and its parsed data (the files: `GET /resumes/{id}/versions/{v}/file`)."""

    versions: list[VersionOut]


class ApplicationExport(ApplicationOut, kw_only=True):
    """An application with its timeline (status changes, interviews, contacts), oldest first."""

    timeline: list[ApplicationEventOut]


class EmailRecordOut(msgspec.Struct, kw_only=True):
    """An email sent (or being sent) to the user; its links and their tokens are not included."""

    id: uuid.UUID
    template: str
    to_address: str
    created_at: datetime
    sent_at: datetime | None
    failed_at: datetime | None


class PersonalTokenRecord(schemas.PersonalTokenOut, kw_only=True):
    """A personal access token, also a revoked one (never its secret or hash)."""

    revoked_at: datetime | None


class FollowUpReminderOut(msgspec.Struct, kw_only=True):
    application_id: uuid.UUID
    due_at: datetime
    created_at: datetime


class GhostingSuggestionOut(msgspec.Struct, kw_only=True):
    """An application suggested as ghosted, or decided on: `applied_at` is when its wait began."""

    application_id: uuid.UUID
    applied_at: datetime
    suggested_at: datetime | None
    decision: str | None  # confirmed | dismissed
    decided_at: datetime | None


class InterviewReminderOut(msgspec.Struct, kw_only=True):
    interview_id: uuid.UUID
    starts_at: datetime  # the interview time it reminded of
    minutes_before: int
    created_at: datetime


class AIUsageOut(msgspec.Struct, kw_only=True):
    """Model tokens one AI request cost (what the daily budget counts)."""

    kind: str
    ref_id: uuid.UUID
    provider: str
    model: str
    prompt_tokens: int
    completion_tokens: int
    estimated: bool
    created_at: datetime


class AccountExport(msgspec.Struct, kw_only=True):
    """Everything the service holds about the user (GDPR art. 15/20). Secrets are never included."""

    exported_at: datetime
    user: schemas.UserOut
    notification_settings: schemas.NotificationSettingsBody
    sessions: list[schemas.SessionOut]
    personal_access_tokens: list[PersonalTokenRecord]
    notifications: list[NotificationOut] = msgspec.field(default_factory=list)
    resumes: list[ResumeExport] = msgspec.field(default_factory=list)
    applications: list[ApplicationExport] = msgspec.field(default_factory=list)
    cover_letters: list[CoverLetterOut] = msgspec.field(default_factory=list)
    analyses: list[AnalysisOut] = msgspec.field(default_factory=list)
    emails: list[EmailRecordOut] = msgspec.field(default_factory=list)
    follow_up_reminders: list[FollowUpReminderOut] = msgspec.field(default_factory=list)
    ghosting_suggestions: list[GhostingSuggestionOut] = msgspec.field(default_factory=list)
    ai_usage: list[AIUsageOut] = msgspec.field(default_factory=list)
    interviews: list[InterviewOut] = msgspec.field(default_factory=list)
    interview_reminders: list[InterviewReminderOut] = msgspec.field(default_factory=list)
    contacts: list[ContactOut] = msgspec.field(default_factory=list)
    calendar_feed: CalendarFeedStatus | None = None


async def export(user: User, envelope: Envelope) -> AccountExport:
    with routed_reads(user.id):
        return await _export(user, envelope)


async def _export(user: User, envelope: Envelope) -> AccountExport:
    return AccountExport(
        exported_at=datetime.now().astimezone(),
        user=user_out(user, envelope),
        notification_settings=await notification_settings(user),
        sessions=await _sessions(user),
        personal_access_tokens=await _tokens(user),
        notifications=await notification_services.all_of(user.id),
        resumes=await _resumes(user, envelope),
        applications=await _applications(user, envelope),
        cover_letters=[
            letter_out(envelope, row)
            for row in await CoverLetter.select().where(CoverLetter.user == user.id).order_by(CoverLetter.created_at)
        ],
        analyses=[
            analysis_out(row)
            for row in await Analysis.select().where(Analysis.user == user.id).order_by(Analysis.created_at)
        ],
        emails=[
            msgspec.convert(row, EmailRecordOut)
            for row in await EmailOutbox.select(
                EmailOutbox.id, EmailOutbox.template, EmailOutbox.to_address, EmailOutbox.created_at,
                EmailOutbox.sent_at, EmailOutbox.failed_at,
            ).where(EmailOutbox.user == user.id).order_by(EmailOutbox.created_at)
        ],
        follow_up_reminders=[
            FollowUpReminderOut(application_id=r["application"], due_at=r["due_at"], created_at=r["created_at"])
            for r in await FollowUpReminder.select().where(FollowUpReminder.user == user.id)
            .order_by(FollowUpReminder.created_at)
        ],
        ghosting_suggestions=[
            GhostingSuggestionOut(application_id=r.pop("application"), **r)
            for r in await notification_repo.ghosting_suggestions_of(user.id)
        ],
        ai_usage=[
            msgspec.convert(row, AIUsageOut)
            for row in await AIUsage.select(
                AIUsage.kind, AIUsage.ref_id, AIUsage.provider, AIUsage.model, AIUsage.prompt_tokens,
                AIUsage.completion_tokens, AIUsage.estimated, AIUsage.created_at,
            ).where(AIUsage.user == user.id).order_by(AIUsage.created_at)
        ],
        interviews=await interviews.all_out(envelope, user.id),
        interview_reminders=[
            InterviewReminderOut(
                interview_id=r["interview"], starts_at=r["starts_at"], minutes_before=r["minutes_before"],
                created_at=r["created_at"],
            )
            for r in await InterviewReminder.select().where(InterviewReminder.user == user.id)
            .order_by(InterviewReminder.created_at)
        ],
        contacts=await contacts.all_out(envelope, user.id),
        calendar_feed=await calendar_feed.status(user.id),
    )  # fmt: skip


async def _tokens(user: User) -> list[PersonalTokenRecord]:
    rows = (
        await PersonalAccessToken.objects()
        .where(PersonalAccessToken.user == user.id)
        .order_by(PersonalAccessToken.created_at)
    )
    return [PersonalTokenRecord(**personal_tokens.public_fields(row), revoked_at=row.revoked_at) for row in rows]


async def _sessions(user: User) -> list[schemas.SessionOut]:
    rows = await Session.objects().where(Session.user == user.id).order_by(Session.created_at)
    fields = ("id", "created_at", "last_used_at", "expires_at", "revoked_at", "user_agent")
    return [schemas.SessionOut(**{name: getattr(s, name) for name in fields}) for s in rows]


async def _resumes(user: User, envelope: Envelope) -> list[ResumeExport]:
    versions: dict[Any, list[dict[str, Any]]] = defaultdict(list)
    for row in await ResumeVersion.select().where(ResumeVersion.user == user.id).order_by(ResumeVersion.number):
        versions[row["resume"]].append(row)
    exported = []
    for row in await Resume.select().where(Resume.user == user.id).order_by(Resume.created_at):
        mine = versions.get(row["id"], [])
        summary = msgspec.structs.asdict(resume_out(row, mine[-1] if mine else None))
        exported.append(ResumeExport(**summary, versions=[version_out(envelope, v) for v in mine]))
    return exported


async def _applications(user: User, envelope: Envelope) -> list[ApplicationExport]:
    rows, timelines = await application_repo.all_with_timelines(user.id)
    return [
        ApplicationExport(
            **msgspec.structs.asdict(application_out(row)),
            timeline=merge_timeline(timelines.get(row["id"], []), await activity.entries(envelope, row["id"])),
        )
        for row in rows
    ]
