"""AI results and their cost.

A cover letter's text holds the user's name and history (PII): stored encrypted
(`backend.platform.crypto.envelope`, aad `cover_letters.content:<id>`), checkpointed while it streams.
"""

from __future__ import annotations

from piccolo.columns import JSONB, UUID, Boolean, Bytea, ForeignKey, Integer, OnDelete, Text, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from backend.platform.db.engine import DB
from backend.platform.db.tables.accounts import User
from backend.platform.db.tables.applications import Application
from backend.platform.db.tables.resumes import ResumeVersion


class CoverLetter(Table, tablename="cover_letters", db=DB):
    id = UUID(primary_key=True)
    user = ForeignKey(references=User, on_delete=OnDelete.cascade, index=True)
    application = ForeignKey(references=Application, on_delete=OnDelete.cascade, null=True, default=None, index=True)
    resume_version = ForeignKey(
        references=ResumeVersion, on_delete=OnDelete.set_null, null=True, default=None, index=True
    )
    company = Varchar(length=200)
    role = Varchar(length=200)
    job_description = Text(default="")
    tone = Varchar(length=20, default="professional")
    instructions = Text(default="")
    status = Varchar(length=10, default="queued")  # queued | streaming | completed | failed | cancelled
    content = Bytea(null=True, default=None)  # encrypted text: the checkpoint while streaming
    seq = Integer(default=0)  # deltas covered by `content`
    provider = Varchar(length=20, default="")
    model = Varchar(length=100, default="")
    usage = JSONB(default={})
    error = Varchar(length=500, null=True, default=None)
    attempts = Integer(default=0)
    created_at = Timestamptz(default=TimestamptzNow(), index=True)
    updated_at = Timestamptz(default=TimestamptzNow())
    completed_at = Timestamptz(null=True, default=None)


class Analysis(Table, tablename="analyses", db=DB):
    id = UUID(primary_key=True)
    user = ForeignKey(references=User, on_delete=OnDelete.cascade, index=True)
    resume_version = ForeignKey(references=ResumeVersion, on_delete=OnDelete.cascade, index=True)
    application = ForeignKey(references=Application, on_delete=OnDelete.cascade, null=True, default=None, index=True)
    job_description = Text(default="")
    status = Varchar(length=10, default="queued")  # queued | running | completed | failed
    score = Integer(null=True, default=None)
    result = JSONB(default={})  # keywords, checks, suggestions, narrative
    provider = Varchar(length=20, default="")
    error = Varchar(length=500, null=True, default=None)
    attempts = Integer(default=0)
    created_at = Timestamptz(default=TimestamptzNow())
    completed_at = Timestamptz(null=True, default=None)


class AIUsage(Table, tablename="ai_usage", db=DB):
    """Tokens one model call cost a user (the daily budget sums these)."""

    id = UUID(primary_key=True)
    user = ForeignKey(references=User, on_delete=OnDelete.cascade, index=True)
    kind = Varchar(length=20)  # cover_letter | analysis
    ref_id = UUID()
    provider = Varchar(length=20)
    model = Varchar(length=100)
    prompt_tokens = Integer(default=0)
    completion_tokens = Integer(default=0)
    estimated = Boolean(default=False)  # the endpoint reported no usage: counted from the text
    created_at = Timestamptz(default=TimestamptzNow(), index=True)
