"""Every Piccolo table, in one package."""

from backend.platform.db.tables.accounts import (
    AccountErasure,
    EmailToken,
    NotificationSettings,
    PersonalAccessToken,
    RefreshToken,
    Session,
    User,
)
from backend.platform.db.tables.ai import AIUsage, Analysis, CoverLetter
from backend.platform.db.tables.applications import (
    Application,
    ApplicationActivity,
    ApplicationEvent,
    ApplicationSnapshot,
)
from backend.platform.db.tables.contacts import Contact, ContactApplication
from backend.platform.db.tables.email import EmailOutbox
from backend.platform.db.tables.idempotency import IdempotencyRecord
from backend.platform.db.tables.interviews import CalendarFeed, Interview, InterviewReminder
from backend.platform.db.tables.notifications import FollowUpReminder, GhostingSuggestion, Notification
from backend.platform.db.tables.outbox import TaskOutbox
from backend.platform.db.tables.resumes import Resume, ResumeVersion

ALL_TABLES = (
    User,
    Session,
    RefreshToken,
    EmailToken,
    PersonalAccessToken,
    NotificationSettings,
    EmailOutbox,
    IdempotencyRecord,
    Application,
    ApplicationEvent,
    ApplicationSnapshot,
    Resume,
    ResumeVersion,
    TaskOutbox,
    CoverLetter,
    Analysis,
    AIUsage,
    Notification,
    FollowUpReminder,
    GhostingSuggestion,
    AccountErasure,
    ApplicationActivity,
    Interview,
    InterviewReminder,
    Contact,
    ContactApplication,
    CalendarFeed,
)

__all__ = [
    "ALL_TABLES",
    "AIUsage",
    "AccountErasure",
    "Analysis",
    "Application",
    "ApplicationActivity",
    "ApplicationEvent",
    "ApplicationSnapshot",
    "CalendarFeed",
    "Contact",
    "ContactApplication",
    "CoverLetter",
    "EmailOutbox",
    "EmailToken",
    "FollowUpReminder",
    "GhostingSuggestion",
    "IdempotencyRecord",
    "Interview",
    "InterviewReminder",
    "Notification",
    "NotificationSettings",
    "PersonalAccessToken",
    "RefreshToken",
    "Resume",
    "ResumeVersion",
    "Session",
    "TaskOutbox",
    "User",
]
