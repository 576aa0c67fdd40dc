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
from backend.platform.db.tables.applications import Application, ApplicationEvent, ApplicationSnapshot
from backend.platform.db.tables.email import EmailOutbox
from backend.platform.db.tables.idempotency import IdempotencyRecord
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
)

__all__ = [
    "ALL_TABLES",
    "AIUsage",
    "AccountErasure",
    "Analysis",
    "Application",
    "ApplicationEvent",
    "ApplicationSnapshot",
    "CoverLetter",
    "EmailOutbox",
    "EmailToken",
    "FollowUpReminder",
    "GhostingSuggestion",
    "IdempotencyRecord",
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
