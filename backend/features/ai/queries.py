"""Queries of the AI area (its raw SQL): the default resume version of a task and the day's token use
(one user's, and everyone's)."""

from __future__ import annotations

import uuid
from datetime import datetime

from backend.platform.db.tables import AIUsage, ResumeVersion


async def default_parsed_version(user_id: uuid.UUID) -> uuid.UUID | None:
    """The newest parsed version of the user's default resume, else of any resume; None without one."""
    rows = await ResumeVersion.raw(
        """
        SELECT v.id FROM resume_versions v JOIN resumes r ON r.id = v.resume
        WHERE v."user" = {} AND v.status = 'parsed'
        ORDER BY r.is_default DESC, v.created_at DESC LIMIT 1
        """,
        user_id,
    )
    return uuid.UUID(str(rows[0]["id"])) if rows else None


async def model_tokens_since(user_id: uuid.UUID, start: datetime) -> int:
    """Tokens the user's model calls used since `start` (the builtin provider's are not counted)."""
    rows = await AIUsage.raw(
        "SELECT coalesce(sum(prompt_tokens + completion_tokens), 0) AS n FROM ai_usage "
        "WHERE \"user\" = {} AND created_at >= {} AND provider <> 'builtin'",
        user_id,
        start,
    )
    return int(rows[0]["n"])


async def all_model_tokens_since(start: datetime) -> int:
    """Tokens every user's model calls used since `start` (the global daily cap's seed)."""
    rows = await AIUsage.raw(
        "SELECT coalesce(sum(prompt_tokens + completion_tokens), 0) AS n FROM ai_usage "
        "WHERE created_at >= {} AND provider <> 'builtin'",
        start,
    )
    return int(rows[0]["n"])
